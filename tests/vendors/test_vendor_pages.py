"""Adding, editing, archiving and restoring a vendor through its pages, as an officer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from riskapp.database import db
from riskapp.vendors.models import Vendor
from tests.vendors.conftest import (
    form_values,
    listed_names,
    only_vendor,
    vendor_form,
    vendor_named,
    vendor_names,
)


def test_the_new_vendor_form_opens_with_sensible_defaults(officer: FlaskClient) -> None:
    response = officer.get("/vendors/new")

    assert response.status_code == 200
    values = form_values(response.text)
    assert values["criticality"] == "medium"
    assert values["status"] == "onboarding"


def test_a_created_vendor_is_shown_on_its_detail_page(officer: FlaskClient) -> None:
    response = officer.post("/vendors/new", data=vendor_form(
        primary_domain="https://Mail.ACME.example:8443/login",
        extra_domains="bücher.de, Files.Acme.Example.",
    ), follow_redirects=True)

    vendor = only_vendor()
    assert response.request.path == f"/vendors/{vendor.id}"
    assert "<h1>Acme Mail</h1>" in response.text
    assert "Added Acme Mail." in response.text
    assert '<dd class="mono">mail.acme.example</dd>' in response.text
    assert (
        '<dd class="mono">files.acme.example, bücher.de (xn--bcher-kva.de)</dd>' in response.text
    )
    assert "Stores PHI" in response.text
    assert "Appointment reminder emails" in response.text


def test_a_created_vendor_keeps_every_field(officer: FlaskClient) -> None:
    officer.post("/vendors/new", data=vendor_form(processes_phi="y"))

    vendor = only_vendor()
    assert (vendor.name, vendor.category, vendor.criticality, vendor.status) == (
        "Acme Mail", "email", "high", "active"
    )
    assert (vendor.stores_phi, vendor.processes_phi, vendor.transmits_phi) == (True, True, False)
    assert vendor.services == "Appointment reminder emails"
    assert vendor.business_owner == "Patient Services"
    assert (vendor.contact_name, vendor.contact_email) == ("Dana Smith", "dana@acme.example")
    assert vendor.notes == "Signed BAA in 2023"
    assert vendor.archived_at is None


def test_created_domains_are_normalised(officer: FlaskClient) -> None:
    officer.post("/vendors/new", data=vendor_form(
        primary_domain="https://Mail.Acme.Example:443/login",
        extra_domains="bücher.de, ACME.example.\nhttps://mail.acme.example/",
    ))

    vendor = only_vendor()
    assert vendor.primary_domain == "mail.acme.example"
    # The primary domain typed again among the others is not stored twice.
    assert sorted(vendor.extra_domains) == ["acme.example", "xn--bcher-kva.de"]


def test_text_fields_are_trimmed_and_the_contact_email_lowered(officer: FlaskClient) -> None:
    officer.post("/vendors/new", data=vendor_form(
        name="  Acme Mail  ", contact_email=" Dana@ACME.example ",
    ))

    vendor = only_vendor()
    assert vendor.name == "Acme Mail"
    assert vendor.contact_email == "dana@acme.example"


def test_a_bad_domain_shows_the_form_again_with_everything_typed(officer: FlaskClient) -> None:
    typed = vendor_form(primary_domain="localhost", extra_domains="files.acme.example",
                        processes_phi="y")

    response = officer.post("/vendors/new", data=typed)

    assert response.status_code == 200
    assert form_values(response.text) == typed
    assert "&#39;localhost&#39; needs a dot and a top-level domain" in response.text
    assert len(vendor_names()) == 0


def test_a_bad_other_domain_is_reported_and_the_typed_list_kept(officer: FlaskClient) -> None:
    typed = vendor_form(extra_domains="files.acme.example\n*.acme.example")

    response = officer.post("/vendors/new", data=typed)

    assert response.status_code == 200
    assert form_values(response.text)["extra_domains"] == "files.acme.example\n*.acme.example"
    assert "enter the domain itself, not a wildcard." in response.text
    assert len(vendor_names()) == 0


def test_a_missing_name_shows_the_form_again_with_everything_typed(officer: FlaskClient) -> None:
    typed = vendor_form(name="")

    response = officer.post("/vendors/new", data=typed)

    assert response.status_code == 200
    assert form_values(response.text) == typed
    assert 'id="name-error">This field is required.' in response.text
    assert len(vendor_names()) == 0


def test_a_bad_contact_email_shows_the_form_again_with_everything_typed(
    officer: FlaskClient,
) -> None:
    typed = vendor_form(contact_email="dana at acme", transmits_phi="y", stores_phi=None)

    response = officer.post("/vendors/new", data=typed)

    assert response.status_code == 200
    assert form_values(response.text) == typed
    assert 'id="contact_email-error">Invalid email address.' in response.text
    assert len(vendor_names()) == 0


def test_a_form_error_says_that_what_was_typed_is_kept(officer: FlaskClient) -> None:
    response = officer.post("/vendors/new", data=vendor_form(name=""))

    assert "Please correct the fields marked below; everything you typed is kept." in response.text


def test_a_duplicate_name_in_any_case_is_refused_on_the_name_field(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail")

    response = officer.post("/vendors/new", data=vendor_form(name="ACME mail"))

    assert response.status_code == 200
    assert 'id="name-error">A vendor named &#39;Acme Mail&#39; already exists.' in response.text
    assert form_values(response.text)["name"] == "ACME mail"
    assert len(vendor_names()) == 1


def test_a_duplicate_name_differing_in_non_ascii_case_is_refused(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Öko Mail")

    response = officer.post("/vendors/new", data=vendor_form(name="öko mail"))

    assert "A vendor named &#39;Öko Mail&#39; already exists." in response.text
    assert len(vendor_names()) == 1


def test_the_edit_form_shows_the_vendor_as_stored(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", primary_domain="mail.acme.example",
                         extra_domains=["b.acme.example", "a.acme.example"], stores_phi=True)

    values = form_values(officer.get(f"/vendors/{vendor.id}/edit").text)

    assert values["name"] == "Acme Mail"
    assert values["primary_domain"] == "mail.acme.example"
    assert values["extra_domains"] == "a.acme.example\nb.acme.example"
    assert values["stores_phi"] == "y"
    assert "processes_phi" not in values


def test_editing_changes_the_fields(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", primary_domain="mail.acme.example", stores_phi=True)

    response = officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(
        name="Acme Messaging", primary_domain="mail.acme.example", category="marketing",
        criticality="critical", status="offboarded", stores_phi=None, transmits_phi="y",
        notes="Contract ended",
    ), follow_redirects=True)

    assert response.request.path == f"/vendors/{vendor.id}"
    assert "Saved Acme Messaging." in response.text
    vendor = only_vendor()
    assert (vendor.name, vendor.category, vendor.criticality, vendor.status) == (
        "Acme Messaging", "marketing", "critical", "offboarded"
    )
    assert (vendor.stores_phi, vendor.transmits_phi) == (False, True)
    assert vendor.notes == "Contract ended"


def test_editing_adds_and_removes_other_domains(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", primary_domain="mail.acme.example",
                         extra_domains=["old.acme.example", "kept.acme.example"])

    officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(
        primary_domain="mail.acme.example", extra_domains="kept.acme.example NEW.acme.example",
    ))

    vendor = only_vendor()
    assert vendor.primary_domain == "mail.acme.example"
    assert vendor.extra_domains == ["kept.acme.example", "new.acme.example"]


def test_editing_switches_the_primary_domain(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", primary_domain="mail.acme.example",
                         extra_domains=["portal.acme.example"])

    officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(
        primary_domain="portal.acme.example", extra_domains="mail.acme.example",
    ))

    vendor = only_vendor()
    assert vendor.primary_domain == "portal.acme.example"
    assert vendor.extra_domains == ["mail.acme.example"]


def test_an_edit_may_keep_the_vendors_own_name_in_another_case(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")

    officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(name="ACME Mail"))

    assert only_vendor().name == "ACME Mail"


def test_an_edit_to_another_vendors_name_is_refused_on_the_name_field(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail")
    vendor = make_vendor("Zenith Hosting")

    response = officer.post(f"/vendors/{vendor.id}/edit", data=vendor_form(name="acme mail"))

    assert response.status_code == 200
    assert 'id="name-error">A vendor named &#39;Acme Mail&#39; already exists.' in response.text
    assert form_values(response.text)["name"] == "acme mail"


def test_an_edit_with_an_error_changes_nothing(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail", notes="Original")

    response = officer.post(f"/vendors/{vendor.id}/edit",
                            data=vendor_form(notes="Changed", primary_domain="10.0.0.1"))

    assert response.status_code == 200
    assert form_values(response.text)["notes"] == "Changed"
    assert only_vendor().notes == "Original"


def test_archiving_hides_the_vendor_from_the_list(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")
    make_vendor("Zenith Hosting")

    response = officer.post(f"/vendors/{vendor.id}/archive", follow_redirects=True)

    assert "Archived Acme Mail." in response.text
    assert vendor_named("Acme Mail").archived_at is not None
    assert listed_names(officer.get("/vendors/").text) == ["Zenith Hosting"]


def test_an_archived_vendor_is_listed_under_archived(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")
    make_vendor("Zenith Hosting")
    officer.post(f"/vendors/{vendor.id}/archive")

    response = officer.get("/vendors/?archived=1")

    assert "Archived vendors" in response.text
    assert listed_names(response.text) == ["Acme Mail"]


def test_an_archived_vendors_page_offers_restore_instead_of_archive(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")
    officer.post(f"/vendors/{vendor.id}/archive")

    page = officer.get(f"/vendors/{vendor.id}").text

    assert f'action="/vendors/{vendor.id}/restore"' in page
    assert f'action="/vendors/{vendor.id}/archive"' not in page


def test_restoring_brings_the_vendor_back_to_the_list(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Mail")
    officer.post(f"/vendors/{vendor.id}/archive")

    response = officer.post(f"/vendors/{vendor.id}/restore", follow_redirects=True)

    assert "Restored Acme Mail." in response.text
    assert only_vendor().archived_at is None
    assert listed_names(officer.get("/vendors/").text) == ["Acme Mail"]
    assert listed_names(officer.get("/vendors/?archived=1").text) == []


def test_an_unknown_vendor_is_not_found(officer: FlaskClient) -> None:
    assert officer.get("/vendors/999").status_code == 404
    assert officer.get("/vendors/999/edit").status_code == 404
    assert officer.post("/vendors/999/archive").status_code == 404


def test_vendor_text_is_escaped_in_every_page(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("<script>alert(1)</script>", notes="<img src=x onerror=alert(2)>")

    pages = [officer.get(path).text for path in
             ("/vendors/", f"/vendors/{vendor.id}", f"/vendors/{vendor.id}/edit")]

    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in pages[1]
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages[1]


def test_a_created_vendors_name_is_escaped_in_the_confirmation(officer: FlaskClient) -> None:
    response = officer.post("/vendors/new", data=vendor_form(name="<b>Bold</b> Mail"),
                            follow_redirects=True)

    assert "<b>Bold</b>" not in response.text
    assert "Added &lt;b&gt;Bold&lt;/b&gt; Mail." in response.text



def test_the_database_itself_refuses_two_vendors_with_one_name(app: Flask) -> None:
    for name in ("Acme  Mail", "ACME mail"):
        db.session.add(Vendor(
            name=name, category="email", criticality="low", status="active", services="",
            business_owner="", contact_name="", contact_email="", notes="",
        ))
    with pytest.raises(IntegrityError):
        db.session.flush()
