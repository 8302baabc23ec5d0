"""Every change to a vendor leaves an audit event saying who changed what."""

from __future__ import annotations

import io
from collections.abc import Callable

from flask.testing import FlaskClient

from riskapp.audit.services import verify_chain
from riskapp.vendors.models import Vendor
from tests.vendors.conftest import only_vendor, vendor_events, vendor_form

CSV = ("name,primary_domain,category\n"
       "Acme Mail,mail.acme.example,email\nZenith Hosting,zenith.example,hosting\n")


def fields_of(vendor: Vendor) -> dict[str, str]:
    """Return the form submission that leaves ``vendor`` exactly as it is."""
    return vendor_form(
        name=vendor.name, primary_domain=vendor.primary_domain,
        extra_domains="\n".join(vendor.extra_domains), category=vendor.category,
        services=vendor.services, stores_phi="y" if vendor.stores_phi else None,
        processes_phi="y" if vendor.processes_phi else None,
        transmits_phi="y" if vendor.transmits_phi else None, criticality=vendor.criticality,
        status=vendor.status, business_owner=vendor.business_owner,
        contact_name=vendor.contact_name, contact_email=vendor.contact_email, notes=vendor.notes,
    )


def test_creating_a_vendor_records_who_created_what(officer: FlaskClient) -> None:
    officer.post("/vendors/new", data=vendor_form(extra_domains="files.acme.example"))

    vendor = only_vendor()
    [event] = vendor_events()
    assert event.action == "vendor.created"
    assert event.actor_id == officer.user.id
    assert (event.object_type, event.object_id, event.object_label) == (
        "vendor", str(vendor.id), "Acme Mail"
    )
    assert event.summary == "Added vendor Acme Mail"
    assert event.changes["name"] == {"before": None, "after": "Acme Mail"}
    assert event.changes["extra_domains"] == {"before": None, "after": ["files.acme.example"]}
    assert event.changes["criticality"] == {"before": None, "after": "high"}
    assert event.changes["stores_phi"] == {"before": None, "after": True}


def test_an_edit_records_before_and_after_of_the_changed_fields_only(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", notes="Old note")
    submission = fields_of(vendor) | {"notes": "New note", "criticality": "critical"}

    officer.post(f"/vendors/{vendor.id}/edit", data=submission)

    [event] = vendor_events("vendor.updated")
    assert event.actor_id == officer.user.id
    assert event.object_id == str(vendor.id)
    assert event.changes == {
        "criticality": {"before": "medium", "after": "critical"},
        "notes": {"before": "Old note", "after": "New note"},
    }
    assert event.summary == "Changed criticality, notes"


def test_an_edit_of_domains_records_the_domain_lists(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", primary_domain="mail.acme.example",
                         extra_domains=["portal.acme.example"])
    submission = fields_of(vendor) | {"primary_domain": "portal.acme.example",
                                      "extra_domains": "mail.acme.example cdn.acme.example"}

    officer.post(f"/vendors/{vendor.id}/edit", data=submission)

    [event] = vendor_events("vendor.updated")
    assert event.changes == {
        "primary_domain": {"before": "mail.acme.example", "after": "portal.acme.example"},
        "extra_domains": {"before": ["portal.acme.example"],
                          "after": ["cdn.acme.example", "mail.acme.example"]},
    }


def test_an_edit_that_changes_nothing_records_nothing(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", extra_domains=["a.acme.example", "b.acme.example"],
                         stores_phi=True, notes="Note")
    updated_at = vendor.updated_at

    response = officer.post(f"/vendors/{vendor.id}/edit", data=fields_of(vendor))

    assert response.status_code == 302
    assert vendor_events("vendor.updated") == []
    assert only_vendor().updated_at == updated_at


def test_an_edit_that_only_reorders_or_retypes_domains_records_nothing(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", primary_domain="mail.acme.example",
                         extra_domains=["a.acme.example", "b.acme.example"])
    submission = fields_of(vendor) | {
        "primary_domain": "https://MAIL.acme.example/",
        "extra_domains": "B.acme.example, a.acme.example, mail.acme.example",
    }

    officer.post(f"/vendors/{vendor.id}/edit", data=submission)

    assert vendor_events("vendor.updated") == []


def test_an_edit_marks_the_vendor_as_updated(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")
    updated_at = vendor.updated_at

    officer.post(f"/vendors/{vendor.id}/edit", data=fields_of(vendor) | {"notes": "New"})

    assert only_vendor().updated_at > updated_at


def test_a_refused_edit_records_nothing(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Zenith Hosting")
    vendor = make_vendor("Acme Mail")

    officer.post(f"/vendors/{vendor.id}/edit", data=fields_of(vendor) | {"name": "zenith hosting"})
    officer.post(f"/vendors/{vendor.id}/edit", data=fields_of(vendor) | {"primary_domain": "x"})

    assert vendor_events("vendor.updated") == []


def test_archiving_and_restoring_are_recorded(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")

    officer.post(f"/vendors/{vendor.id}/archive")
    officer.post(f"/vendors/{vendor.id}/restore")

    events = vendor_events()[1:]
    assert [(event.action, event.summary, event.actor_id) for event in events] == [
        ("vendor.archived", "Archived vendor Acme Mail", officer.user.id),
        ("vendor.restored", "Restored vendor Acme Mail", officer.user.id),
    ]
    assert {event.object_id for event in events} == {str(vendor.id)}


def test_archiving_an_archived_vendor_again_records_nothing_more(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")

    officer.post(f"/vendors/{vendor.id}/archive")
    officer.post(f"/vendors/{vendor.id}/archive")
    officer.post(f"/vendors/{vendor.id}/restore")
    officer.post(f"/vendors/{vendor.id}/restore")

    assert [event.action for event in vendor_events()] == [
        "vendor.created", "vendor.archived", "vendor.restored",
    ]


def test_an_import_records_each_vendor_and_the_import(officer: FlaskClient) -> None:
    officer.post("/vendors/import/confirm", data={"csv_text": CSV})

    events = vendor_events()
    assert [(event.action, event.object_label) for event in events] == [
        ("vendor.created", "Acme Mail"),
        ("vendor.created", "Zenith Hosting"),
        ("vendor.imported", ""),
    ]
    assert events[-1].changes == {"count": 2}
    assert events[-1].summary == "Imported 2 vendors from CSV"
    assert {event.actor_id for event in events} == {officer.user.id}


def test_checking_an_import_records_nothing(officer: FlaskClient) -> None:
    officer.post("/vendors/import", data={"file": (io.BytesIO(CSV.encode()), "v.csv")},
                 content_type="multipart/form-data")

    assert vendor_events() == []


def test_a_refused_import_records_nothing(officer: FlaskClient) -> None:
    officer.post("/vendors/import/confirm", data={"csv_text": CSV + "Bad,localhost,email\n"})

    assert vendor_events() == []


def test_a_refused_form_records_nothing(officer: FlaskClient) -> None:
    officer.post("/vendors/new", data=vendor_form(contact_email="not an email"))

    assert vendor_events() == []


def test_the_audit_chain_stays_intact_through_vendor_changes(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")
    officer.post(f"/vendors/{vendor.id}/edit", data=fields_of(vendor) | {"notes": "New"})
    officer.post(f"/vendors/{vendor.id}/archive")
    officer.post("/vendors/import/confirm", data={"csv_text": CSV.replace("Acme", "Apex")})

    assert verify_chain().intact


def test_saving_unchanged_notes_sent_with_browser_line_breaks_records_nothing(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", notes="First line\nSecond line")
    # Browsers send a textarea's line breaks as CRLF.
    submission = fields_of(vendor) | {"notes": "First line\r\nSecond line"}

    officer.post(f"/vendors/{vendor.id}/edit", data=submission)

    assert vendor_events("vendor.updated") == []
