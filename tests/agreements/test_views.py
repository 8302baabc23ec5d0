"""The BAA, contract and decision pages as an officer and a viewer use them: the panel on the
vendor page, the form, the signed document, the clause verdicts and the decision."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements import services
from riskapp.agreements.models import BaaStatus, Decision
from riskapp.agreements.services import AgreementFields
from riskapp.database import db
from riskapp.vendors.models import Vendor
from tests.agreements.documents import COMPLETE_BAA, baa_pdf, scanned_pdf
from tests.conftest import PASSWORD, csrf_token_from


@pytest.fixture
def officer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.OFFICER, name="Olivia Officer")


@pytest.fixture
def viewer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.VIEWER)


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    """Who records terms set up outside the page under test."""
    return make_user(Role.ADMIN)


@pytest.fixture
def vendor(make_vendor: Callable[..., Vendor]) -> Vendor:
    return make_vendor("Acme Mail", stores_phi=True, services="Exchange Online\nTeams")


def in_force(**changes: Any) -> AgreementFields:
    """A BAA signed a month ago, in force for most of a year from the real today (the pages
    show the BAA as it stands today)."""
    today = services.today()
    return replace(AgreementFields(
        baa_status=BaaStatus.SIGNED.value, baa_effective_on=today - timedelta(days=30),
        baa_expires_on=today + timedelta(days=335), breach_notice_days=10,
        covered_services="Exchange Online\nTeams", covered_regions="US"), **changes)


def record(vendor: Vendor, fields: AgreementFields, actor: User) -> None:
    services.save_agreement(vendor, fields, actor=actor)
    db.session.commit()


def text_of(response: Any) -> str:
    """The page as a reader sees it: entities such as &#39; read as characters."""
    return html.unescape(response.text)


def agreement_form(**overrides: str) -> dict[str, str]:
    """A complete, valid submission of the BAA and contract form."""
    return {
        "baa_required": "auto", "baa_status": "signed", "baa_effective_on": "2024-01-01",
        "baa_expires_on": "2026-12-31", "baa_notice_days": "", "breach_notice_days": "15",
        "signed_by_vendor": "Vera Vendor, CEO", "signed_by_us": "Priya Privacy",
        "covered_services": "Exchange Online", "covered_regions": "US", "data_locations": "",
        "contract_starts_on": "2024-01-01", "contract_renews_on": "", "contract_ends_on": "",
        "contract_notice_days": "", "contract_owner_id": "", "notes": "",
    } | overrides


def stored(content: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename="Signed BAA.pdf")


def pdf_upload(content: bytes, filename: str = "Signed BAA.pdf") -> dict[str, Any]:
    return {"document": (io.BytesIO(content), filename)}


# --- the panel on the vendor page ------------------------------------------------------------

def test_the_vendor_page_shows_the_baa_and_when_a_breach_must_be_reported(
        officer: FlaskClient, vendor: Vendor, admin: User) -> None:
    record(vendor, in_force(), admin)

    page = text_of(officer.get(f"/vendors/{vendor.id}"))

    report_by = (services.today() + timedelta(days=10)).isoformat()
    assert 'id="agreement"' in page
    assert "BAA: Signed" in page
    assert ("10 days from discovery, as the BAA requires. For an incident discovered today, "
            f"the vendor must report by <strong>{report_by}</strong>") in page


def test_a_vendor_without_a_baa_shows_it_missing_and_the_legal_limit(
        officer: FlaskClient, vendor: Vendor) -> None:
    page = text_of(officer.get(f"/vendors/{vendor.id}"))

    report_by = (services.today() + timedelta(days=60)).isoformat()
    assert "BAA: Required but missing" in page
    assert ("No window in the BAA: at most 60 days from discovery (45 CFR 164.410). For an "
            f"incident discovered today, the vendor must report by <strong>{report_by}"
            "</strong>") in page


def test_the_vendor_page_lists_what_the_baa_does_not_cover(
        officer: FlaskClient, vendor: Vendor, admin: User) -> None:
    record(vendor, in_force(covered_services="Exchange Online",
                            data_locations="us-east-1\neu-west-1"), admin)

    page = text_of(officer.get(f"/vendors/{vendor.id}"))

    assert "Service Teams (inventory) is not covered by the BAA" in page
    assert "Data location eu-west-1 (inventory) is not covered by the BAA" in page
    assert "us-east-1 (inventory)" not in page


def test_an_approval_whose_baa_lapsed_is_flagged_on_the_vendor_page(
        officer: FlaskClient, vendor: Vendor, admin: User) -> None:
    yesterday = services.today() - timedelta(days=1)
    record(vendor, in_force(baa_effective_on=yesterday - timedelta(days=365),
                            baa_expires_on=yesterday), admin)
    services.decide(vendor, Decision.APPROVED_PHI, "BAA signed", actor=admin,
                    on=yesterday)
    db.session.commit()

    page = text_of(officer.get(f"/vendors/{vendor.id}"))

    assert "BAA: Expired" in page
    assert "Decision needs attention" in page
    assert (f"Needs attention: approved for PHI, but the BAA is now expired (signed, but it "
            f"expired on {yesterday.isoformat()})") in page


# --- the form --------------------------------------------------------------------------------

def test_the_form_saves_the_terms_and_returns_to_the_agreement(
        officer: FlaskClient, vendor: Vendor) -> None:
    assert officer.get(f"/vendors/{vendor.id}/agreement/edit").status_code == 200

    response = officer.post(f"/vendors/{vendor.id}/agreement/edit", data=agreement_form(),
                            follow_redirects=True)

    assert response.request.path == f"/vendors/{vendor.id}/agreement"
    page = text_of(response)
    assert "Saved the BAA and contract of Acme Mail." in page
    assert "Vera Vendor, CEO (vendor); Priya Privacy (us)" in page
    assert "15 days from discovery, as the BAA requires" in page
    agreement = services.agreement_of(vendor)
    assert agreement is not None
    assert (agreement.baa_status, agreement.baa_expires_on) == ("signed", date(2026, 12, 31))


def test_the_form_opens_with_the_terms_as_stored(
        officer: FlaskClient, vendor: Vendor, admin: User) -> None:
    record(vendor, in_force(signed_by_vendor="Vera Vendor, CEO", contract_owner_id=admin.id),
           admin)

    page = officer.get(f"/vendors/{vendor.id}/agreement/edit").text

    assert 'value="Vera Vendor, CEO"' in page
    assert f'<option selected value="{admin.id}">' in page
    assert '<option selected value="signed">Signed</option>' in page


def test_contradictory_terms_show_the_form_again_with_what_was_typed(
        officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/agreement/edit", data=agreement_form(
        baa_effective_on="2025-05-01", baa_expires_on="2024-05-01"))

    page = text_of(response)
    assert response.status_code == 200
    assert "Please correct the fields marked below; everything you typed is kept." in page
    assert '<p class="error" id="baa_expires_on-error">The BAA must expire after it takes ' \
           'effect.</p>' in page
    assert 'value="2025-05-01"' in page
    assert 'value="2024-05-01"' in page
    assert 'value="Vera Vendor, CEO"' in page
    assert services.agreement_of(vendor) is None


def test_a_mistyped_number_shows_the_form_again_with_what_was_typed(
        officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/agreement/edit",
                            data=agreement_form(breach_notice_days="ten"))

    page = text_of(response)
    assert 'id="breach_notice_days-error">Not a valid integer value.' in page
    assert 'value="ten"' in page
    assert services.agreement_of(vendor) is None


def test_the_history_shows_each_change_with_before_and_after(
        officer: FlaskClient, vendor: Vendor) -> None:
    for status in ("requested", "negotiating"):
        response = officer.post(f"/vendors/{vendor.id}/agreement/edit", data=agreement_form(
            baa_status=status, baa_effective_on="", baa_expires_on=""))
        assert response.status_code == 302

    page = officer.get(f"/vendors/{vendor.id}/agreement").text

    assert "Changed the BAA and contract of Acme Mail: baa_status" in page
    assert '<span class="mono">baa_status</span>: requested &rarr; negotiating' in page
    assert '<span class="mono">signed_by_vendor</span>: — &rarr; Vera Vendor, CEO' in page


# --- the signed document ---------------------------------------------------------------------

def test_an_uploaded_baa_fills_the_checklist_and_downloads_as_an_attachment(
        officer: FlaskClient, vendor: Vendor) -> None:
    content = baa_pdf(COMPLETE_BAA)

    response = officer.post(f"/vendors/{vendor.id}/agreement/document",
                            data=pdf_upload(content), follow_redirects=True)

    page = text_of(response)
    assert ("Uploaded Signed BAA.pdf. The clause checklist below was filled from its text: "
            "confirm or correct each clause.") in page
    assert "may audit and inspect" in page
    assert "Suggested: present" in page
    document = services.agreement_of(vendor).current_document  # type: ignore[union-attr]
    assert document is not None
    assert document.sha256 in page

    download = officer.get(f"/vendors/{vendor.id}/agreement/documents/{document.id}")

    assert download.status_code == 200
    assert download.data == content
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == 'attachment; filename="Signed BAA.pdf"'
    assert "no-store" in download.headers["Cache-Control"]


def test_a_scanned_baa_is_kept_and_the_page_says_it_has_no_text(
        officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/agreement/document",
                            data=pdf_upload(scanned_pdf(), "scan.pdf"), follow_redirects=True)

    page = text_of(response)
    problem = ("This PDF has no text layer (it looks scanned): the clauses must be checked by "
               "reading it.")
    assert f"Uploaded scan.pdf. {problem}" in page
    assert f'<p class="flash flash-error">{problem}</p>' in page


def test_a_file_that_is_not_a_pdf_is_refused_on_the_page(
        officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/agreement/document",
                            data=pdf_upload(b"PK\x03\x04 a Word file", "baa.docx"))

    assert response.status_code == 400
    assert ("baa.docx is not a PDF, judging by its content. Upload the signed BAA as a PDF."
            in text_of(response))
    assert services.agreement_of(vendor) is None


def test_an_upload_without_a_file_asks_for_one(officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/agreement/document", data={})

    assert response.status_code == 400
    assert "Choose the signed BAA&#39;s PDF." in response.text


def test_the_officer_confirms_or_corrects_each_clause(
        officer: FlaskClient, vendor: Vendor, admin: User) -> None:
    document = services.store_document(vendor, stored(baa_pdf(COMPLETE_BAA)), actor=admin)
    db.session.commit()

    response = officer.post(
        f"/vendors/{vendor.id}/agreement/documents/{document.id}/clauses",
        data={"verdict-audit_access": "absent", "note-audit_access": "Annual survey only",
              "verdict-safeguards": "", "note-safeguards": "ignored without a verdict"},
        follow_redirects=True)

    page = text_of(response)
    assert "Recorded 1 clause verdict(s)." in page
    assert 'value="Annual survey only"' in page
    assert "confirmed by Olivia Officer" in page
    assert ("Clauses missing from the signed BAA:</strong> Covered entity's right to audit"
            in text_of(officer.get(f"/vendors/{vendor.id}")))
    checks = {check.clause: check for check in document.clauses}
    assert (checks["audit_access"].verdict, checks["audit_access"].note) == (
        "absent", "Annual survey only")
    assert checks["safeguards"].verdict is None


# --- the decision ----------------------------------------------------------------------------

def test_approval_for_phi_without_a_baa_is_refused_with_the_reason_shown(
        officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/decision", data={
        "decision": "approved_phi", "reason": "Good answers", "conditions_due_on": ""})

    assert response.status_code == 400
    assert ("A vendor can be approved for PHI only with a signed BAA in force; this one's BAA "
            "is required but missing.") in text_of(response)
    assert services.latest_decision(vendor) is None


def test_a_decision_without_a_reason_is_refused(officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/decision",
                            data={"decision": "rejected", "reason": "  "})

    assert response.status_code == 400
    assert "Say why: the reason is kept with the decision." in text_of(response)


def test_a_conditional_approval_without_a_date_is_refused_on_the_date_field(
        officer: FlaskClient, vendor: Vendor) -> None:
    response = officer.post(f"/vendors/{vendor.id}/decision",
                            data={"decision": "conditional", "reason": "MFA by autumn"})

    assert response.status_code == 400
    assert ('id="conditions_due_on-error">Give the date the conditions must be met by.'
            in text_of(response))


def test_approval_for_phi_with_a_signed_baa_is_recorded(
        officer: FlaskClient, vendor: Vendor, admin: User) -> None:
    record(vendor, in_force(), admin)

    response = officer.post(f"/vendors/{vendor.id}/decision", data={
        "decision": "approved_phi", "reason": "BAA signed; SOC 2 reviewed"},
        follow_redirects=True)

    page = text_of(response)
    assert "Recorded: Approved for PHI." in page
    assert "<strong>Approved for PHI</strong>" in page
    assert "by Olivia Officer" in page
    assert ": BAA signed; SOC 2 reviewed" in page
    assert services.latest_decision(vendor).decision == "approved_phi"  # type: ignore[union-attr]


# --- who may do what -------------------------------------------------------------------------

def test_a_viewer_sees_the_agreement_without_the_editing_controls(
        viewer: FlaskClient, vendor: Vendor, admin: User) -> None:
    record(vendor, in_force(), admin)
    services.store_document(vendor, stored(baa_pdf(COMPLETE_BAA)), actor=admin)
    db.session.commit()

    response = viewer.get(f"/vendors/{vendor.id}/agreement")

    assert response.status_code == 200
    assert "may audit and inspect" in text_of(response)
    for control in ("Edit BAA and contract", "Save verdicts", "Record decision",
                    "signed BAA</button>"):
        assert control not in response.text


def test_a_viewer_may_not_change_anything(
        viewer: FlaskClient, vendor: Vendor, admin: User) -> None:
    document = services.store_document(vendor, stored(baa_pdf(COMPLETE_BAA)), actor=admin)
    db.session.commit()
    base = f"/vendors/{vendor.id}"

    assert viewer.get(f"{base}/agreement/edit").status_code == 403
    assert viewer.post(f"{base}/agreement/edit", data=agreement_form()).status_code == 403
    assert viewer.post(f"{base}/agreement/document",
                       data=pdf_upload(baa_pdf(COMPLETE_BAA))).status_code == 403
    assert viewer.post(f"{base}/agreement/documents/{document.id}/clauses",
                       data={"verdict-audit_access": "absent"}).status_code == 403
    assert viewer.post(f"{base}/decision", data={"decision": "rejected",
                                                 "reason": "No"}).status_code == 403
    agreement = services.agreement_of(vendor)
    assert agreement is not None
    assert (agreement.baa_status, len(agreement.documents)) == ("missing", 1)
    assert all(check.verdict is None for check in document.clauses)
    assert services.latest_decision(vendor) is None


def test_a_viewer_may_download_the_signed_baa(
        viewer: FlaskClient, vendor: Vendor, admin: User) -> None:
    document = services.store_document(vendor, stored(baa_pdf(COMPLETE_BAA)), actor=admin)
    db.session.commit()

    response = viewer.get(f"/vendors/{vendor.id}/agreement/documents/{document.id}")
    assert response.status_code == 200


# --- what must not leak ----------------------------------------------------------------------

def test_vendor_supplied_text_is_escaped(
        officer: FlaskClient, make_vendor: Callable[..., Vendor], admin: User) -> None:
    vendor = make_vendor("<script>alert(1)</script> Health", stores_phi=True,
                         services="<img src=x onerror=alert(2)>")
    record(vendor, in_force(covered_services="<script>alert(3)</script>",
                            signed_by_vendor="<b>Vera</b>"), admin)

    pages = [officer.get(path).text for path in (
        f"/vendors/{vendor.id}", f"/vendors/{vendor.id}/agreement",
        f"/vendors/{vendor.id}/agreement/edit")]

    for page in pages:
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Health" in page
    assert "&lt;img src=x onerror=alert(2)&gt; (inventory) is not covered" in pages[0]
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in pages[1]
    assert "&lt;b&gt;Vera&lt;/b&gt;" in pages[1]
    assert "<b>Vera</b>" not in pages[1]


def test_another_vendors_document_is_not_found(
        officer: FlaskClient, vendor: Vendor, make_vendor: Callable[..., Vendor],
        admin: User) -> None:
    document = services.store_document(vendor, stored(baa_pdf(COMPLETE_BAA)), actor=admin)
    db.session.commit()
    other = make_vendor("Other Vendor")

    assert officer.get(f"/vendors/{other.id}/agreement/documents/{document.id}"
                       ).status_code == 404
    assert officer.post(f"/vendors/{other.id}/agreement/documents/{document.id}/clauses",
                        data={"verdict-audit_access": "absent"}).status_code == 404
    assert all(check.verdict is None for check in document.clauses)


def test_an_unknown_vendor_is_not_found(officer: FlaskClient) -> None:
    assert officer.get("/vendors/999/agreement").status_code == 404
    assert officer.post("/vendors/999/decision", data={"decision": "rejected",
                                                       "reason": "No"}).status_code == 404


# --- with CSRF protection on, as in production -----------------------------------------------

@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_agreement_pages_forms_carry_a_working_csrf_token(
        app: Flask, make_user: Callable[..., User], vendor: Vendor) -> None:
    user = make_user(Role.OFFICER)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD,
                                "csrf_token": csrf_token_from(client.get("/login").text)})
    page = client.get(f"/vendors/{vendor.id}/agreement").text

    refused = client.post(f"/vendors/{vendor.id}/decision",
                          data={"decision": "rejected", "reason": "No BAA offered"})
    accepted = client.post(f"/vendors/{vendor.id}/decision", data={
        "decision": "rejected", "reason": "No BAA offered", "csrf_token": csrf_token_from(page)})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert services.latest_decision(vendor).decision == "rejected"  # type: ignore[union-attr]
