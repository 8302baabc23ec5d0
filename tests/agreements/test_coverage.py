"""Does the BAA cover what is used? Each service and data location in use that the BAA's lists
do not cover is a gap, named with where we learnt of it."""

from __future__ import annotations

import pytest

from riskapp.agreements.coverage import (
    EU,
    Gap,
    Used,
    countries_of,
    country_name,
    coverage_gaps,
    entries,
    location_covered,
    service_covered,
)


def inventory(*items: str) -> list[Used]:
    return [Used(item, "inventory") for item in items]


def test_a_list_is_typed_one_per_line_and_commas_or_semicolons_separate_too() -> None:
    assert entries("Exchange Online\n\n  SharePoint ; Teams,OneDrive  \n") == [
        "Exchange Online", "SharePoint", "Teams", "OneDrive"]
    assert entries("") == []


# --- services --------------------------------------------------------------------------------

@pytest.mark.parametrize("covered", [
    ["Exchange Online"], ["exchange online"], ["Microsoft 365 Exchange Online"],
    ["SharePoint", "Exchange Online"], ["All services"],
])
def test_a_service_named_by_the_baa_is_covered(covered: list[str]) -> None:
    assert service_covered("Exchange Online", covered)


@pytest.mark.parametrize("covered", [["SharePoint Online"], ["Teams"], []])
def test_a_service_the_baa_does_not_name_is_not_covered(covered: list[str]) -> None:
    assert not service_covered("Exchange Online", covered)


# --- locations -------------------------------------------------------------------------------

@pytest.mark.parametrize(("place", "covered"), [
    ("Germany", ["EU"]),
    ("Germany (DE)", ["EU"]),
    ("Germany (DE)", ["European Union"]),
    ("Germany (DE)", ["Germany"]),
    ("Germany", ["Germany (DE)"]),
    ("Norway (NO)", ["EEA"]),
    ("United States (US)", ["USA"]),
    ("United States (US)", ["United States"]),
    ("us-east-1", ["US"]),
    ("us-east-1", ["United States"]),
    ("eu-west-1", ["EU"]),
    ("eu-central-1", ["Germany", "EU"]),
    ("ca-central-1", ["Canada"]),
    ("eu-west-2", ["UK"]),
    ("us-east-1", ["US-East-1"]),
    ("Japan (JP)", ["Worldwide"]),
    ("Frankfurt data centre", ["Frankfurt data centre"]),
])
def test_a_location_within_a_covered_region_is_covered(place: str, covered: list[str]) -> None:
    assert location_covered(place, covered)


@pytest.mark.parametrize(("place", "covered"), [
    ("Norway (NO)", ["EU"]),
    ("India (IN)", ["US", "EU"]),
    ("us-east-1", ["EU"]),
    ("eu-west-1", ["US"]),
    ("eu-west-2", ["EU"]),           # London is not in the EU
    ("eu-central-2", ["EU"]),        # nor Zurich
    ("us-west-2", ["us-east-1"]),    # a BAA naming one region covers that region only
    ("United States (US)", ["us-east-1"]),
    ("Frankfurt data centre", ["EU"]),  # a place we cannot place is compared by name
    ("Germany (DE)", []),
])
def test_a_location_outside_every_covered_region_is_not_covered(
        place: str, covered: list[str]) -> None:
    assert not location_covered(place, covered)


@pytest.mark.parametrize(("place", "codes"), [
    ("Germany (DE)", {"DE"}), ("Germany", {"DE"}), ("de", {"DE"}), ("EU", EU),
    ("us-east-1", {"US"}), ("eu-west-2", {"GB"}), ("UK", {"GB"}),
])
def test_a_place_names_its_countries(place: str, codes: set[str]) -> None:
    assert countries_of(place) == codes


def test_a_place_that_is_no_country_names_none() -> None:
    assert countries_of("Atlantis") is None


def test_an_answered_country_is_written_with_its_code() -> None:
    assert country_name("DE") == "Germany (DE)"
    assert countries_of(country_name("US")) == {"US"}


# --- the gaps --------------------------------------------------------------------------------

def test_everything_covered_leaves_no_gap() -> None:
    assert coverage_gaps("Exchange Online\nSharePoint Online", "US",
                         inventory("Exchange Online"), inventory("us-east-1")) == []


def test_each_service_and_location_not_covered_is_a_gap_in_the_order_given() -> None:
    gaps = coverage_gaps(
        "Exchange Online", "EU",
        inventory("Teams", "Exchange Online", "Power BI"),
        [Used("Germany (DE)", "assessment #4"), Used("United States (US)", "assessment #4")])

    assert gaps == [Gap("service", "Teams", "inventory"), Gap("service", "Power BI", "inventory"),
                    Gap("location", "United States (US)", "assessment #4")]


def test_a_baa_with_empty_lists_leaves_everything_in_use_as_a_gap() -> None:
    gaps = coverage_gaps("", "", inventory("Exchange Online"), inventory("us-east-1"))

    assert [(gap.kind, gap.item) for gap in gaps] == [("service", "Exchange Online"),
                                                      ("location", "us-east-1")]


def test_a_baa_covering_all_services_and_everywhere_leaves_no_gap() -> None:
    assert coverage_gaps("All services", "everywhere", inventory("Teams", "Exchange Online"),
                         inventory("India", "us-east-1")) == []


def test_an_item_used_twice_is_one_gap() -> None:
    gaps = coverage_gaps("", "US", inventory("Teams", "teams"),
                         [Used("India (IN)", "inventory"), Used("india (in)", "assessment #2")])
    assert gaps == [Gap("service", "Teams", "inventory"),
                    Gap("location", "India (IN)", "inventory")]


def test_a_gap_says_what_is_not_covered_and_where_it_was_learnt() -> None:
    assert Gap("service", "Teams", "inventory").describe() == (
        "Service Teams (inventory) is not covered by the BAA")
    assert Gap("location", "India (IN)", "assessment #3").describe() == (
        "Data location India (IN) (assessment #3) is not covered by the BAA")
