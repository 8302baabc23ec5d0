"""The vendor list: search, filters, sorting and pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from riskapp.vendors.models import Vendor
from tests.vendors.conftest import listed_names, pager_links

AddVendors = Callable[..., list[Vendor]]
NamesOn = Callable[[str], list[str]]
ARCHIVED_AT = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
def names_on(viewer: FlaskClient) -> NamesOn:
    """Return the vendor names the list shows for a query string."""

    def names(query: str = "") -> list[str]:
        response = viewer.get(f"/vendors/?{query}")
        assert response.status_code == 200
        return listed_names(response.text)

    return names


def test_the_list_is_sorted_by_name_ignoring_case(
    add_vendors: AddVendors, names_on: NamesOn,
) -> None:
    add_vendors({"name": "beta"}, {"name": "Alpha"}, {"name": "Charlie"})

    assert names_on("") == ["Alpha", "beta", "Charlie"]


def test_search_matches_a_name_substring_in_any_case(
    add_vendors: AddVendors, names_on: NamesOn,
) -> None:
    add_vendors({"name": "Acme Mail"}, {"name": "MailChimp"}, {"name": "Zenith Hosting"})

    assert names_on("q=MAIL") == ["Acme Mail", "MailChimp"]


def test_search_matches_a_domain_substring_in_any_case(
    add_vendors: AddVendors, names_on: NamesOn,
) -> None:
    add_vendors({"name": "Acme", "domain": "mail.acme.example"},
                {"name": "Zenith", "domain": "zenith.example"})

    assert names_on("q=ACME.EX") == ["Acme"]


def test_search_matches_an_other_domain_too(
    make_vendor: Callable[..., Vendor], names_on: NamesOn,
) -> None:
    make_vendor("Acme", primary_domain="acme.example", extra_domains=["cdn-files.example"])
    make_vendor("Zenith", primary_domain="zenith.example")

    assert names_on("q=cdn-files") == ["Acme"]


def test_search_matches_non_ascii_letters_in_any_case(
    add_vendors: AddVendors, names_on: NamesOn,
) -> None:
    add_vendors({"name": "Ärztekammer Hosting"}, {"name": "Zenith"})

    assert names_on("q=ÄRZTE") == ["Ärztekammer Hosting"]
    assert names_on("q=ärzte") == ["Ärztekammer Hosting"]


def test_search_treats_percent_literally(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors({"name": "100% Uptime Hosting"}, {"name": "100 Percent Hosting"})

    assert names_on("q=100%25") == ["100% Uptime Hosting"]


def test_search_treats_underscore_literally(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors({"name": "Data_Vault"}, {"name": "Data-Vault"}, {"name": "DataXVault"})

    assert names_on("q=data_vault") == ["Data_Vault"]


def test_search_treats_backslash_literally(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors({"name": r"Back\Slash Ltd"}, {"name": "Backslash Ltd"})

    assert names_on("q=k%5CS") == [r"Back\Slash Ltd"]


def test_search_with_no_match_says_so(add_vendors: AddVendors, viewer: FlaskClient) -> None:
    add_vendors({"name": "Acme Mail"})

    page = viewer.get("/vendors/?q=nothing-like-it").text

    assert listed_names(page) == []
    assert "No vendors match." in page


def test_the_search_box_keeps_the_query(viewer: FlaskClient) -> None:
    page = viewer.get("/vendors/?q=acme+mail").text

    assert 'name="q" value="acme mail"' in page


def test_filters_by_category(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors({"name": "Mailer", "category": "email"},
                {"name": "Host", "category": "hosting"})

    assert names_on("category=hosting") == ["Host"]


def test_filters_by_criticality(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors({"name": "Low one", "criticality": "low"},
                {"name": "Critical one", "criticality": "critical"})

    assert names_on("criticality=critical") == ["Critical one"]


def test_filters_by_status(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors({"name": "New", "status": "onboarding"}, {"name": "Gone", "status": "offboarded"})

    assert names_on("status=offboarded") == ["Gone"]


def test_filters_and_search_combine(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors(
        {"name": "Match", "category": "hosting", "criticality": "high", "status": "active"},
        {"name": "Wrong category", "category": "email", "criticality": "high",
         "status": "active"},
        {"name": "Wrong criticality", "category": "hosting", "criticality": "low",
         "status": "active"},
        {"name": "Wrong status", "category": "hosting", "criticality": "high",
         "status": "onboarding"},
        {"name": "Match but not searched", "category": "hosting", "criticality": "high",
         "status": "active", "domain": "other.example"},
    )

    assert names_on("category=hosting&criticality=high&status=active") == [
        "Match", "Match but not searched",
    ]
    assert names_on("q=bulk&category=hosting&criticality=high&status=active") == ["Match"]


@pytest.mark.parametrize(
    "query",
    ["category=food", "criticality=extreme", "status=%F0%9F%92%A5", "sort=price",
     "dir=sideways", "archived=yes", "page=abc", "page=-3"],
)
def test_invalid_filter_values_are_ignored(
    add_vendors: AddVendors, names_on: NamesOn, query: str,
) -> None:
    add_vendors({"name": "Acme"}, {"name": "Zenith"})

    assert names_on(query) == ["Acme", "Zenith"]


def test_the_filter_form_shows_the_chosen_filters(viewer: FlaskClient) -> None:
    page = viewer.get("/vendors/?category=hosting&criticality=high&status=active").text

    assert '<option value="hosting" selected>' in page
    assert '<option value="high" selected>' in page
    assert '<option value="active" selected>' in page


def test_sorts_by_name_descending(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors({"name": "b"}, {"name": "C"}, {"name": "a"})

    assert names_on("sort=name&dir=desc") == ["C", "b", "a"]


def test_sorts_by_criticality_in_order_of_severity_not_alphabet(
    add_vendors: AddVendors, names_on: NamesOn,
) -> None:
    add_vendors({"name": "H", "criticality": "high"}, {"name": "L", "criticality": "low"},
                {"name": "C", "criticality": "critical"}, {"name": "M", "criticality": "medium"})

    assert names_on("sort=criticality") == ["L", "M", "H", "C"]
    assert names_on("sort=criticality&dir=desc") == ["C", "H", "M", "L"]


def test_sorts_by_last_update(add_vendors: AddVendors, names_on: NamesOn) -> None:
    # add_vendors spaces updated_at a minute apart in row order.
    add_vendors({"name": "Oldest"}, {"name": "Middle"}, {"name": "Newest"})

    assert names_on("sort=updated") == ["Oldest", "Middle", "Newest"]
    assert names_on("sort=updated&dir=desc") == ["Newest", "Middle", "Oldest"]


def test_a_sort_column_header_links_to_the_reverse_order_keeping_filters(
    add_vendors: AddVendors, viewer: FlaskClient,
) -> None:
    add_vendors({"category": "email"})

    page = viewer.get("/vendors/?sort=criticality&category=email").text

    assert 'href="/vendors/?category=email&amp;sort=criticality&amp;dir=desc"' in page


def test_a_page_holds_25_vendors(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors(*({} for _ in range(60)))

    assert names_on("") == [f"Bulk vendor {number:03d}" for number in range(25)]
    assert names_on("page=2") == [f"Bulk vendor {number:03d}" for number in range(25, 50)]


def test_the_last_page_holds_the_rest(add_vendors: AddVendors, names_on: NamesOn) -> None:
    add_vendors(*({} for _ in range(60)))

    assert names_on("page=3") == [f"Bulk vendor {number:03d}" for number in range(50, 60)]


def test_a_page_past_the_end_is_empty_not_an_error(
    add_vendors: AddVendors, names_on: NamesOn,
) -> None:
    add_vendors(*({} for _ in range(30)))

    assert names_on("page=9") == []


def test_the_list_counts_all_matching_vendors(add_vendors: AddVendors, viewer: FlaskClient) -> None:
    add_vendors(*({} for _ in range(60)))

    assert "60 vendors, page 3 of 3" in viewer.get("/vendors/?page=3").text


def test_page_links_keep_the_filters_and_sort(add_vendors: AddVendors, viewer: FlaskClient) -> None:
    add_vendors(*({"category": "hosting"} for _ in range(60)), {"category": "email"})

    page = viewer.get("/vendors/?q=bulk&category=hosting&sort=updated&dir=desc&page=2").text

    links = pager_links(page)
    filters = {"q": ["bulk"], "category": ["hosting"], "sort": ["updated"], "dir": ["desc"]}
    assert links["← Previous"] == filters | {"page": ["1"]}
    assert links["3"] == filters | {"page": ["3"]}
    assert links["Next →"] == filters | {"page": ["3"]}


def test_a_single_page_has_no_pager(add_vendors: AddVendors, viewer: FlaskClient) -> None:
    add_vendors(*({} for _ in range(25)))

    assert 'class="pager"' not in viewer.get("/vendors/").text


def test_archived_vendors_are_left_out_of_the_list_and_its_count(
    add_vendors: AddVendors, viewer: FlaskClient,
) -> None:
    add_vendors({"name": "Working"}, {"name": "Archived", "archived_at": ARCHIVED_AT})

    page = viewer.get("/vendors/").text

    assert listed_names(page) == ["Working"]
    assert "1 vendor<" in page


def test_the_archived_list_shows_only_archived_vendors_and_filters_them(
    add_vendors: AddVendors, names_on: NamesOn,
) -> None:
    add_vendors({"name": "Working"},
                {"name": "Old host", "category": "hosting", "archived_at": ARCHIVED_AT},
                {"name": "Old mailer", "category": "email", "archived_at": ARCHIVED_AT})

    assert names_on("archived=1") == ["Old host", "Old mailer"]
    assert names_on("archived=1&category=email") == ["Old mailer"]



def test_searching_for_a_unicode_domain_finds_its_punycode_form(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor("Buchhandlung Mail", primary_domain="xn--bcher-kva.example")
    make_vendor("Other Mail", primary_domain="other.example")

    page = viewer.get("/vendors/?q=bücher").text

    assert "Buchhandlung Mail" in page
    assert "Other Mail" not in page
