"""Exporting the vendor list as CSV: what the list shows, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from riskapp.database import db
from riskapp.vendors.models import Category, Criticality, Vendor, VendorDomain, VendorStatus
from riskapp.vendors.services import VendorFields
from tests.vendors.conftest import vendor_named

HEADER = [
    "name", "primary_domain", "other_domains", "category", "services", "stores_phi",
    "processes_phi", "transmits_phi", "criticality", "status", "business_owner",
    "contact_name", "contact_email", "notes",
]


def exported(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/vendors/export.csv?{query}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def exported_names(client: FlaskClient, query: str = "") -> list[str]:
    return [row["name"] for row in exported(client, query)]


def test_the_export_is_a_csv_download_named_by_date(viewer: FlaskClient) -> None:
    response = viewer.get("/vendors/export.csv")

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="vendors-{date.today().isoformat()}.csv"'
    )


def test_the_export_starts_with_a_byte_order_mark_so_excel_reads_utf8(
    viewer: FlaskClient,
) -> None:
    assert viewer.get("/vendors/export.csv").data.startswith("\ufeff".encode())


def test_an_empty_inventory_exports_just_the_header(viewer: FlaskClient) -> None:
    assert exported(viewer) == []


def test_a_vendor_is_exported_with_every_column(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example",
                extra_domains=["files.acme.example", "cdn.acme.example"],
                category=Category.HOSTING, services="Reminders", stores_phi=True,
                transmits_phi=True, criticality=Criticality.HIGH, status=VendorStatus.ONBOARDING,
                business_owner="Patient Services", contact_name="Dana Smith",
                contact_email="dana@acme.example", notes="BAA 2023")

    assert exported(viewer) == [{
        "name": "Acme Mail", "primary_domain": "mail.acme.example",
        "other_domains": "cdn.acme.example files.acme.example", "category": "hosting",
        "services": "Reminders", "stores_phi": "yes", "processes_phi": "no",
        "transmits_phi": "yes", "criticality": "high", "status": "onboarding",
        "business_owner": "Patient Services", "contact_name": "Dana Smith",
        "contact_email": "dana@acme.example", "notes": "BAA 2023",
    }]


def test_the_export_holds_only_the_vendors_the_filters_match(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail", category=Category.EMAIL, criticality=Criticality.HIGH)
    make_vendor("Acme Hosting", category=Category.HOSTING, criticality=Criticality.HIGH)
    make_vendor("Acme Ads", category=Category.MARKETING, criticality=Criticality.HIGH)
    make_vendor("Acme Low", category=Category.HOSTING, criticality=Criticality.LOW)
    make_vendor("Zenith Hosting", category=Category.HOSTING, criticality=Criticality.HIGH)

    assert exported_names(viewer, "q=acme&category=hosting&criticality=high") == ["Acme Hosting"]


def test_the_export_follows_the_lists_sort(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("B", criticality=Criticality.LOW)
    make_vendor("A", criticality=Criticality.CRITICAL)
    make_vendor("C", criticality=Criticality.MEDIUM)

    assert exported_names(viewer, "sort=criticality&dir=desc") == ["A", "C", "B"]


def test_the_export_leaves_out_archived_vendors_unless_asked(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Working")
    make_vendor("Archived")
    vendor_named("Archived").archived_at = vendor_named("Working").created_at
    db.session.commit()

    assert exported_names(viewer) == ["Working"]
    assert exported_names(viewer, "archived=1") == ["Archived"]


def test_the_export_is_not_paginated(
    viewer: FlaskClient, add_vendors: Callable[..., list[Vendor]],
) -> None:
    add_vendors(*({} for _ in range(60)))

    assert len(exported(viewer)) == 60


def test_the_lists_export_link_carries_its_filters(viewer: FlaskClient) -> None:
    page = viewer.get("/vendors/?q=acme&category=hosting").text

    assert 'href="/vendors/export.csv?q=acme&amp;category=hosting"' in page


@pytest.mark.parametrize(
    "notes",
    ['=HYPERLINK("http://x","y")', "+1 555 0100", "-2+3", "@SUM(A1:A2)", "\tindented",
     "\r=1+1"],
)
def test_a_cell_a_spreadsheet_would_run_is_exported_behind_an_apostrophe(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor], notes: str,
) -> None:
    make_vendor("Acme Mail", notes=notes)

    assert exported(viewer)[0]["notes"] == "'" + notes


def test_every_text_column_is_neutralised_not_just_notes(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("=cmd|' /C calc'!A0", services="+services", business_owner="-owner",
                contact_name="@name", notes="ordinary")

    row = exported(viewer)[0]

    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert (row["services"], row["business_owner"], row["contact_name"]) == (
        "'+services", "'-owner", "'@name"
    )
    assert row["notes"] == "ordinary"


def test_an_apostrophe_or_formula_sign_inside_a_cell_is_left_alone(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("O'Brien Hosting", notes="a=b, c+d, e-f, g@h")

    row = exported(viewer)[0]

    assert (row["name"], row["notes"]) == ("O'Brien Hosting", "a=b, c+d, e-f, g@h")


def all_vendor_fields() -> dict[str, VendorFields]:
    db.session.expire_all()
    return {vendor.name: VendorFields.of(vendor)
            for vendor in db.session.scalars(select(Vendor))}


def empty_the_inventory() -> None:
    db.session.execute(delete(VendorDomain))
    db.session.execute(delete(Vendor))
    db.session.commit()


def test_an_export_imports_into_an_empty_inventory_as_the_same_vendors(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail", primary_domain="mail.acme.example",
                extra_domains=["files.acme.example", "xn--bcher-kva.de"],
                category=Category.EMAIL, services="Reminders, \"urgent\" ones", stores_phi=True,
                processes_phi=True, criticality=Criticality.CRITICAL,
                status=VendorStatus.ACTIVE, business_owner="Patient Services",
                contact_name="Dana O'Neil", contact_email="dana@acme.example",
                notes="Line one\nLine two, with comma")
    make_vendor("Zenith Hosting", primary_domain="zenith.example", category=Category.HOSTING,
                transmits_phi=True, criticality=Criticality.LOW,
                status=VendorStatus.OFFBOARDED)
    make_vendor("Café Santé", primary_domain="cafe.example", category=Category.OTHER)
    before = all_vendor_fields()
    csv_bytes = officer.get("/vendors/export.csv").data
    empty_the_inventory()

    page = officer.post("/vendors/import", data={"file": (io.BytesIO(csv_bytes), "v.csv")},
                        content_type="multipart/form-data").text
    assert "3 vendors ready to import" in page
    officer.post("/vendors/import/confirm", data={"csv_text": csv_bytes.decode("utf-8-sig")})

    assert all_vendor_fields() == before


def test_a_neutralised_cell_imports_back_as_it_was_typed(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail", services="- Email\n- SMS", contact_name="@dana",
                notes='=HYPERLINK("http://x","y")')
    before = all_vendor_fields()
    csv_text = officer.get("/vendors/export.csv").data.decode("utf-8-sig")
    empty_the_inventory()

    officer.post("/vendors/import/confirm", data={"csv_text": csv_text})

    assert all_vendor_fields() == before
