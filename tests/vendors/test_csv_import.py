"""Importing vendors from a CSV file on the import page: check first, then all or nothing."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from riskapp.vendors.models import Vendor
from tests.vendors.conftest import form_values, vendor_named, vendor_names

_PROBLEM_ROW = re.compile(
    r'<tr><td class="num">(\d+)</td><td>(.*?)</td><td><ul class="changes">(.*?)</ul></td></tr>',
    re.DOTALL,
)

GOOD_CSV = (
    "name,primary_domain,other_domains,category,services,stores_phi,processes_phi,"
    "transmits_phi,criticality,status,business_owner,contact_name,contact_email,notes\n"
    "Acme Mail,https://Mail.Acme.Example/,files.acme.example cdn.acme.example,email,"
    "Reminders,yes,no,yes,high,active,Patient Services,Dana Smith,Dana@Acme.example,BAA 2023\n"
    "Zenith Hosting,zenith.example,,Hosting,,no,no,no,,,,,,\n"
)


def upload(client: FlaskClient, data: bytes | str, filename: str = "vendors.csv") -> TestResponse:
    content = data.encode() if isinstance(data, str) else data
    return client.post("/vendors/import", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def problems(page_html: str) -> dict[int, tuple[str, list[str]]]:
    """Return the problem table as {row number: (name, [problems])}."""
    return {
        int(number): (html.unescape(name),
                      [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", items)])
        for number, name, items in _PROBLEM_ROW.findall(page_html)
    }


def file_problems(page_html: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'<p class="error">(.*?)</p>', page_html)]


def test_the_import_page_explains_the_columns(officer: FlaskClient) -> None:
    page = officer.get("/vendors/import").text

    assert "Required: <code>name, primary_domain, category</code>" in page


def test_checking_a_valid_file_lists_the_vendors_and_imports_nothing(
    officer: FlaskClient,
) -> None:
    response = upload(officer, GOOD_CSV)

    assert response.status_code == 200
    assert "2 vendors ready to import" in response.text
    assert "Acme Mail <span class=\"mono muted\">mail.acme.example</span>" in response.text
    assert "Zenith Hosting <span class=\"mono muted\">zenith.example</span>" in response.text
    assert vendor_names() == []


def test_the_check_page_carries_the_file_to_the_confirm_form(officer: FlaskClient) -> None:
    page = upload(officer, GOOD_CSV).text

    assert 'action="/vendors/import/confirm"' in page
    assert form_values(page)["csv_text"] == GOOD_CSV


def test_confirming_imports_every_vendor(officer: FlaskClient) -> None:
    csv_text = form_values(upload(officer, GOOD_CSV).text)["csv_text"]

    response = officer.post("/vendors/import/confirm", data={"csv_text": csv_text},
                            follow_redirects=True)

    assert "Imported 2 vendors." in response.text
    assert vendor_names() == ["Acme Mail", "Zenith Hosting"]


def test_imported_vendors_hold_every_column(officer: FlaskClient) -> None:
    officer.post("/vendors/import/confirm", data={"csv_text": GOOD_CSV})

    acme = vendor_named("Acme Mail")
    assert acme.primary_domain == "mail.acme.example"
    assert sorted(acme.extra_domains) == ["cdn.acme.example", "files.acme.example"]
    assert (acme.category, acme.criticality, acme.status) == ("email", "high", "active")
    assert (acme.stores_phi, acme.processes_phi, acme.transmits_phi) == (True, False, True)
    assert (acme.services, acme.business_owner, acme.notes) == (
        "Reminders", "Patient Services", "BAA 2023"
    )
    assert (acme.contact_name, acme.contact_email) == ("Dana Smith", "dana@acme.example")


def test_blank_optional_columns_take_the_forms_defaults(officer: FlaskClient) -> None:
    officer.post("/vendors/import/confirm", data={"csv_text": GOOD_CSV})

    zenith = vendor_named("Zenith Hosting")
    assert (zenith.category, zenith.criticality, zenith.status) == (
        "hosting", "medium", "onboarding"
    )
    assert zenith.extra_domains == []
    assert not zenith.handles_phi


def test_names_with_markup_survive_the_trip_through_the_confirm_form(
    officer: FlaskClient,
) -> None:
    csv = 'name,primary_domain,category\n"Smith & Sons <Mail>",smith.example,email\n'
    page = upload(officer, csv).text
    assert "Smith &amp; Sons &lt;Mail&gt;" in page

    officer.post("/vendors/import/confirm", data={"csv_text": form_values(page)["csv_text"]})

    assert vendor_names() == ["Smith & Sons <Mail>"]


def test_one_bad_row_among_good_ones_imports_nothing_and_names_every_problem(
    officer: FlaskClient,
) -> None:
    csv = (
        "name,primary_domain,category,stores_phi,contact_email\n"
        "Good One,good1.example,email,yes,\n"
        "Bad Domain,localhost,email,no,\n"
        "Good Two,good2.example,hosting,,\n"
        "Two Problems,bad.example,food,no,not-an-email\n"
        ",nameless.example,email,no,\n"
    )

    response = upload(officer, csv)

    assert response.status_code == 200
    assert "Nothing imported: the file has problems" in response.text
    assert "3 of 5 rows need fixing." in response.text
    assert problems(response.text) == {
        2: ("Bad Domain", ["primary_domain: 'localhost' needs a dot and a top-level domain, "
                           "such as example.com."]),
        4: ("Two Problems", ["category: Not a valid choice.",
                             "contact_email: Invalid email address."]),
        5: ("", ["name: This field is required."]),
    }
    assert 'action="/vendors/import/confirm"' not in response.text
    assert vendor_names() == []


def test_names_in_the_problem_list_are_escaped(officer: FlaskClient) -> None:
    csv = "name,primary_domain,category\n<script>alert(1)</script>,localhost,email\n"

    page = upload(officer, csv).text

    assert "<script>alert(1)</script>" not in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page


def test_confirming_a_file_with_a_bad_row_imports_nothing(officer: FlaskClient) -> None:
    csv = "name,primary_domain,category\nGood,good.example,email\nBad,localhost,email\n"

    response = officer.post("/vendors/import/confirm", data={"csv_text": csv})

    assert response.status_code == 200
    assert problems(response.text)[2][0] == "Bad"
    assert vendor_names() == []


def test_row_numbers_count_blank_lines_so_they_match_the_file(officer: FlaskClient) -> None:
    csv = "name,primary_domain,category\nGood,good.example,email\n\n,,\nBad,localhost,email\n"

    assert list(problems(upload(officer, csv).text)) == [4]


def test_a_row_longer_than_the_header_is_a_problem(officer: FlaskClient) -> None:
    csv = "name,primary_domain,category\nAcme,acme.example,email,surplus\n"

    assert problems(upload(officer, csv).text) == {
        1: ("Acme", ["has 4 cells but the header has 3."]),
    }


def test_unknown_columns_are_named(officer: FlaskClient) -> None:
    csv = "name,primary_domain,category,Website,phone\nAcme,acme.example,email,x,y\n"

    page = upload(officer, csv).text

    assert file_problems(page)[0].startswith("Unknown column(s): Website, phone. Expected: name,")
    assert vendor_names() == []


def test_missing_required_columns_are_named(officer: FlaskClient) -> None:
    page = upload(officer, "name,notes\nAcme,hello\n").text

    assert file_problems(page) == ["Missing required column(s): primary_domain, category."]


def test_an_empty_file_is_refused(officer: FlaskClient) -> None:
    assert file_problems(upload(officer, b"").text) == ["The file is empty."]


def test_a_file_with_only_a_header_is_refused(officer: FlaskClient) -> None:
    page = upload(officer, "name,primary_domain,category\n").text

    assert file_problems(page) == ["The file has a header but no vendor rows."]


def test_a_file_that_is_not_valid_csv_is_refused_naming_the_line(officer: FlaskClient) -> None:
    # A quote left open runs on past the csv module's field size limit.
    csv = 'name,primary_domain,category\n"Acme,acme.example,email\n' + "x" * 140_000

    response = upload(officer, csv)

    assert response.status_code == 200
    assert file_problems(response.text) == [
        "Line 3 is not valid CSV: field larger than field limit (131072)."
    ]
    assert vendor_names() == []


def test_checking_without_a_file_asks_for_one(officer: FlaskClient) -> None:
    response = officer.post("/vendors/import", data={}, content_type="multipart/form-data")

    assert response.status_code == 200
    assert "Choose a CSV file to import." in response.text


def test_confirming_without_the_file_text_imports_nothing(officer: FlaskClient) -> None:
    response = officer.post("/vendors/import/confirm", data={"csv_text": ""},
                            follow_redirects=True)

    assert response.request.path == "/vendors/import"
    assert "Nothing to import: upload the CSV file again." in response.text


def test_a_name_repeated_within_the_file_is_reported_on_the_later_row(
    officer: FlaskClient,
) -> None:
    csv = ("name,primary_domain,category\nAcme Mail,acme.example,email\n"
           "Zenith,zenith.example,email\nACME MAIL,acme2.example,email\n")

    assert problems(upload(officer, csv).text) == {
        3: ("ACME MAIL", ["name: 'ACME MAIL' is already in row 1."]),
    }


def test_a_name_already_in_the_inventory_is_reported(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail")
    csv = ("name,primary_domain,category\n"
           "Zenith,zenith.example,email\nacme mail,acme.example,email\n")

    assert problems(upload(officer, csv).text) == {
        2: ("acme mail", ["name: a vendor named 'acme mail' already exists."]),
    }
    assert vendor_names() == ["Acme Mail"]


def test_a_name_added_between_check_and_confirm_stops_the_import(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    csv_text = form_values(upload(officer, GOOD_CSV).text)["csv_text"]
    make_vendor("Zenith Hosting")

    response = officer.post("/vendors/import/confirm", data={"csv_text": csv_text})

    assert response.status_code == 200
    assert list(problems(response.text)) == [2]
    assert vendor_names() == ["Zenith Hosting"]


@pytest.mark.parametrize(
    ("cell", "meaning"),
    [("yes", True), ("Yes", True), ("Y", True), ("true", True), ("1", True), ("x", True),
     ("no", False), ("N", False), ("FALSE", False), ("0", False), ("", False), (" ", False)],
)
def test_phi_columns_read_yes_and_no_words(officer: FlaskClient, cell: str, meaning: bool) -> None:
    csv = f"name,primary_domain,category,stores_phi\nAcme,acme.example,email,{cell}\n"

    officer.post("/vendors/import/confirm", data={"csv_text": csv})

    assert vendor_named("Acme").stores_phi is meaning


@pytest.mark.parametrize("column", ["stores_phi", "processes_phi", "transmits_phi"])
def test_a_phi_column_that_is_neither_yes_nor_no_is_a_problem(
    officer: FlaskClient, column: str,
) -> None:
    csv = f"name,primary_domain,category,{column}\nAcme,acme.example,email,maybe\n"

    assert problems(upload(officer, csv).text) == {
        1: ("Acme", [f"{column}: 'maybe' is not yes or no."]),
    }


def test_a_utf8_file_with_a_byte_order_mark_is_read(officer: FlaskClient) -> None:
    data = "name,primary_domain,category\nBücher Mail,bücher.de,email\n".encode("utf-8-sig")

    page = upload(officer, data).text
    officer.post("/vendors/import/confirm", data={"csv_text": form_values(page)["csv_text"]})

    assert vendor_named("Bücher Mail").primary_domain == "xn--bcher-kva.de"


def test_a_windows_1252_file_is_read(officer: FlaskClient) -> None:
    data = "name,primary_domain,category,notes\nCafé Santé,cafe.example,email,€ 5\n".encode(
        "cp1252"
    )

    page = upload(officer, data).text
    officer.post("/vendors/import/confirm", data={"csv_text": form_values(page)["csv_text"]})

    assert vendor_named("Café Santé").notes == "€ 5"


def test_headers_are_matched_ignoring_case_spaces_and_hyphens(officer: FlaskClient) -> None:
    csv = ("Name,Primary Domain,OTHER-DOMAINS,Category,Stores PHI\n"
           "Acme,acme.example,files.acme.example,Email,Yes\n")

    officer.post("/vendors/import/confirm", data={"csv_text": csv})

    acme = vendor_named("Acme")
    assert (acme.primary_domain, acme.extra_domains) == ("acme.example", ["files.acme.example"])
    assert acme.stores_phi is True


def test_windows_line_endings_and_quoted_cells_are_read(officer: FlaskClient) -> None:
    csv = ('name,primary_domain,category,notes\r\n'
           '"Acme, Inc.",acme.example,email,"line one\r\nline two"\r\n')

    officer.post("/vendors/import/confirm", data={"csv_text": csv})

    # Stored with plain newlines, as the web form stores them, so neither looks "changed".
    assert vendor_named("Acme, Inc.").notes == "line one\nline two"


def test_empty_columns_a_spreadsheet_adds_at_the_end_are_ignored(officer: FlaskClient) -> None:
    csv = "name,primary_domain,category,,\nZenith,zenith.example,email,,\n"

    page = upload(officer, csv).text

    assert "1 vendor ready to import" in page


def test_a_file_with_unreadable_characters_is_refused_not_imported_garbled(
    officer: FlaskClient,
) -> None:
    # 0x81 is undefined in Windows-1252 and invalid as UTF-8.
    data = b"name,primary_domain,category\nAcme \x81 Mail,acme.example,email\n"

    page = upload(officer, data).text

    assert "Some characters could not be read" in page
    assert vendor_names() == []


def test_a_file_holding_a_nul_character_is_refused_naming_the_line(officer: FlaskClient) -> None:
    csv = "name,primary_domain,category\nAcme,acme.example,email\nBe\x00ta,beta.example,email\n"

    page = upload(officer, csv).text

    assert file_problems(page) == [
        "Line 3 holds a NUL character, which no vendor detail may contain. The file may not be "
        "a CSV, or was saved as UTF-16: save it as 'CSV UTF-8' and try again."]
    assert vendor_names() == []
