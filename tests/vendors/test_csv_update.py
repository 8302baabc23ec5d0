"""Re-importing an edited export updates the vendors it names, when the officer asks for it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

from riskapp.vendors.models import Criticality, Vendor, VendorStatus
from tests.vendors.conftest import form_values, vendor_events, vendor_named, vendor_names

EDITED_CSV = (
    "name,primary_domain,category,criticality,notes\n"
    "ACME MAIL,mail.acme.example,email,critical,BAA signed 2026-11-01\n"
    "Zenith Hosting,zenith.example,hosting,low,\n"
)


def check(client: FlaskClient, text: str, *, update_existing: bool) -> TestResponse:
    data = {"file": (io.BytesIO(text.encode()), "vendors.csv")}
    if update_existing:
        data["update_existing"] = "y"
    return client.post("/vendors/import", data=data, content_type="multipart/form-data")


def confirm(client: FlaskClient, check_page: str) -> TestResponse:
    values = form_values(check_page)
    return client.post("/vendors/import/confirm", data={
        "csv_text": values["csv_text"], "update_existing": values.get("update_existing", ""),
    }, follow_redirects=True)


def test_without_the_option_an_existing_name_is_refused_with_a_hint(
    officer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example")

    page = check(officer, EDITED_CSV, update_existing=False).text

    assert "a vendor named &#39;ACME MAIL&#39; already exists." in page
    assert 'tick "Update vendors that already exist"' in page


def test_with_the_option_the_check_says_which_rows_update_and_changes_nothing(
    officer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example")

    page = check(officer, EDITED_CSV, update_existing=True).text

    assert "2 vendors ready to import" in page
    assert "1 new, 1 already in the inventory" in page
    assert vendor_named("Acme Mail").criticality == Criticality.MEDIUM.value
    assert vendor_names() == ["Acme Mail"]


def test_confirming_updates_the_existing_vendor_and_adds_the_new_one(
    officer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example")

    response = confirm(officer, check(officer, EDITED_CSV, update_existing=True).text)

    assert "Imported 1 vendor. Updated 1." in response.text
    assert vendor_names() == ["ACME MAIL", "Zenith Hosting"]
    acme = vendor_named("ACME MAIL")
    assert (acme.criticality, acme.notes) == ("critical", "BAA signed 2026-11-01")
    updated = vendor_events("vendor.updated")
    assert [event.object_id for event in updated] == [str(acme.id)]
    assert updated[0].changes["criticality"] == {"before": "medium", "after": "critical"}


def test_the_option_is_not_assumed_when_confirming(
    officer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example")

    response = officer.post("/vendors/import/confirm", data={"csv_text": EDITED_CSV})

    assert "Nothing imported" in response.text
    assert vendor_named("Acme Mail").criticality == Criticality.MEDIUM.value


def test_the_cli_updates_existing_vendors_only_when_asked(
    runner: FlaskCliRunner, tmp_path: Path, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example")
    path = tmp_path / "edited.csv"
    path.write_text(EDITED_CSV)

    refused = runner.invoke(args=["vendors", "import", str(path)])
    updated = runner.invoke(args=["vendors", "import", str(path), "--update-existing"])

    assert refused.exit_code != 0
    assert updated.exit_code == 0
    assert updated.stdout == "Imported 1 vendor. Updated 1.\n"
    assert vendor_named("ACME MAIL").criticality == "critical"


def test_an_update_changes_only_the_columns_the_file_has(
    officer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor(
        "Acme Mail", primary_domain="mail.acme.example", notes="BAA on file since 2024",
        stores_phi=True, status=VendorStatus.ACTIVE, contact_email="privacy@acme.example",
    )
    only_criticality = (
        "name,primary_domain,category,criticality\nAcme Mail,mail.acme.example,email,high\n"
    )

    confirm(officer, check(officer, only_criticality, update_existing=True).text)

    acme = vendor_named("Acme Mail")
    assert acme.criticality == "high"
    assert (acme.notes, acme.stores_phi, acme.status, acme.contact_email) == (
        "BAA on file since 2024", True, "active", "privacy@acme.example"
    )


def test_a_column_present_but_blank_clears_that_detail(
    officer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example", notes="old note",
                stores_phi=True)
    cleared = (
        "name,primary_domain,category,notes,stores_phi\nAcme Mail,mail.acme.example,email,,no\n"
    )

    confirm(officer, check(officer, cleared, update_existing=True).text)

    acme = vendor_named("Acme Mail")
    assert (acme.notes, acme.stores_phi) == ("", False)


def test_the_check_marks_an_archived_vendor_the_file_would_update(
    officer: FlaskClient, make_vendor: Callable[..., Vendor]
) -> None:
    acme = make_vendor("Acme Mail", primary_domain="mail.acme.example")
    officer.post(f"/vendors/{acme.id}/archive")

    page = check(officer, EDITED_CSV, update_existing=True).text

    assert '<span class="badge">update</span> <span class="badge archived">archived</span>' in page
