"""Hostile text stays text: whatever a vendor or an officer types, riskapp shows it literally
and harmlessly, in every place it shows it.

The hostile strings are in one table, :data:`HOSTILE`. Each test carries every one of them in
through the way a person would type it (the vendor form, the vendor portal and its
attestation, an upload, a questionnaire file an officer wrote, a clarification asked and
answered, the BAA and contract form, a clause note, a decision) and reads it back out where
people see it:

============================  =====================================================
output                        what "harmless" means there
============================  =====================================================
HTML pages                    escaped (``&lt;img``), never live markup
PDF reports                   printed as typed: reportlab markup is not interpreted
CSV exports                   a cell a spreadsheet would run gets a leading ``'``
                              (the vendor, portfolio and audit log exports)
XLSX exports                  a string cell, never a formula
reminder and invitation mail  one-line Subject, no added header; body as typed
calendar feed                 text escaped as RFC 5545 says; no added line,
                              property or event
the database                  stored and found by exactly the text typed
uploads                       no path in the name, nothing outside the uploads
                              folder, served only as an attachment
============================  =====================================================
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from markupsafe import escape
from openpyxl import load_workbook
from openpyxl.cell import Cell
from sqlalchemy import select

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements import services as agreements
from riskapp.agreements.coverage import entries
from riskapp.agreements.models import Agreement, BaaDocument, BaaStatus, Decision
from riskapp.assessments import services as assessments
from riskapp.assessments.evidence import UPLOAD_FOLDER
from riskapp.assessments.models import Assessment, EvidenceFile
from riskapp.database import db
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.loader import load_file
from riskapp.questionnaires.models import QuestionnaireVersion
from riskapp.reminders import services as reminders
from riskapp.vendors.models import Vendor
from tests.agreements.documents import COMPLETE_BAA, baa_pdf
from tests.reminders.conftest import MailServer
from tests.reports.conftest import pdf_text

HOSTILE = [
    # HTML and JavaScript
    pytest.param("<img src=x onerror=alert(1)>", id="html-img-onerror"),
    pytest.param("</script><script>alert(1)</script>", id="script-breakout"),
    pytest.param("javascript:alert(1)", id="javascript-url"),
    # reportlab paragraph markup
    pytest.param('<font color="red" size="40">big</font>', id="reportlab-font"),
    pytest.param("<para>", id="reportlab-para"),
    pytest.param("<b>bold</b>", id="reportlab-bold"),
    pytest.param("&lt;", id="entity"),
    # spreadsheet formulas
    pytest.param('=HYPERLINK("http://evil.example","click")', id="formula-hyperlink"),
    pytest.param("+cmd|' /C calc'!A0", id="formula-dde"),
    pytest.param("-2+3", id="formula-minus"),
    pytest.param("@SUM(1)", id="formula-at"),
    # SQL
    pytest.param("'; DROP TABLE vendors; --", id="sql"),
    # path traversal
    pytest.param("../../etc/passwd", id="path-unix"),
    pytest.param("..\\..\\windows\\win.ini", id="path-windows"),
]

# What would be live if it reached a page unescaped: none of it may appear in any page.
LIVE_MARKUP = ("<img src=x onerror", "<script>alert", 'href="javascript:', "href=javascript:",
               '<font color="red"', "<b>bold</b>", "<para>")
# A cell starting with one of these runs as a formula in Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_FILE = b"Our access-control policy, version 3.\n"


def as_html(text: str) -> str:
    """``text`` as a page must carry it to show it as typed (how Jinja escapes it)."""
    return str(escape(text))


def as_csv_cell(text: str) -> str:
    """``text`` as a CSV export must hold it: an apostrophe first when it would run."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def squeezed(text: str) -> str:
    """``text`` without whitespace: a PDF wraps lines anywhere, even inside a word."""
    return "".join(text.split())


def assert_shown_as_text(page: str, text: str, where: str) -> None:
    assert as_html(text) in page, f"{where} does not show {text!r} as typed"
    if "<" in text:
        assert text not in page, f"{where} carries {text!r} unescaped"
    for live in LIVE_MARKUP:
        assert live not in page, f"{where} has live markup {live!r}"


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def xlsx_rows(xlsx: bytes, sheet: str) -> list[dict[str, Cell]]:
    """The rows of ``sheet`` as cells by column name, once no sheet is found holding a
    formula."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for part in archive.namelist():
            if part.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(part), f"{part} holds a formula"
    header, *rows = load_workbook(io.BytesIO(xlsx))[sheet].iter_rows()
    return [{str(name.value): cell for name, cell in zip(header, row, strict=True)}
            for row in rows]


def assert_string_cell(cell: Cell, text: str) -> None:
    """XLSX has cell types: the text goes in whole, as a string cell a spreadsheet never
    runs."""
    assert (cell.value, cell.data_type) == (text, "s")


# --- how hostile text gets in -----------------------------------------------------------------


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"QUESTIONNAIRES_DIR": tmp_path / "questionnaires"}


@pytest.fixture
def officer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.OFFICER)


def vendor_form(text: str) -> dict[str, str]:
    """The vendor form with ``text`` as the vendor's name, its services and the notes."""
    return {"name": text, "primary_domain": "vendor.example", "category": "hosting",
            "services": text, "stores_phi": "y", "criticality": "high", "status": "active",
            "notes": text}


def add_vendor_through_the_form(officer: FlaskClient, text: str) -> Vendor:
    """An officer adds a vendor named ``text`` whose services and notes are ``text`` too."""
    response = officer.post("/vendors/new", data=vendor_form(text))
    assert response.status_code == 302, "the vendor form refused the vendor"
    vendor = db.session.scalars(select(Vendor)).one()
    assert (vendor.name, vendor.services, vendor.notes) == (text, text, text)  # as typed
    return vendor


def write_questionnaire(folder: Path, text: str) -> Path:
    """An officer's questionnaire file with ``text`` as its title, a question's text and
    help, the label of the choice the vendor picks, and the statement the vendor attests."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump({
        "id": "hostile", "title": text, "version": "1.0.0",
        "sections": [{"id": "practices", "title": "Practices", "questions": [
            {"id": "statement", "type": "long_text", "text": text, "help": text,
             "required": True},
            {"id": "mfa", "type": "yes_no", "text": "Do staff sign in with MFA?",
             "choices": [{"id": "yes", "label": text, "points": 0},
                         {"id": "no", "points": 10}]},
            {"id": "policy", "type": "file", "text": "Upload your access policy."},
        ]}],
        "attestation": {"statement": text},
    }, allow_unicode=True), encoding="utf-8")
    return path


def reply(text: str) -> str:
    """The vendor's answer to the officer's clarification request."""
    return f"As asked: {text}"


@dataclass
class Answered:
    """A vendor answered an assessment through the portal with hostile text and attested it
    under a hostile name; the officer asked, in hostile text, to clarify one answer; the
    vendor replied and submitted again; the officer accepted the answers. The portal pages
    and the file's download are read on the way: accepting the answers ends the link."""

    vendor: Vendor
    assessment: Assessment
    file: EvidenceFile
    portal_page: str  # the section as answered
    portal_review: str  # where the vendor attests
    portal_asked: str  # the section with the officer's question on it
    portal_download: Any
    written: list[Path]  # every file the upload wrote


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


def publish_questionnaire(app: Flask, text: str) -> QuestionnaireVersion:
    """Publish the officer's questionnaire file written with ``text``."""
    path = write_questionnaire(Path(app.config["QUESTIONNAIRES_DIR"]), text)
    questionnaire, errors = load_file(path)
    assert questionnaire is not None, errors
    questionnaires.publish(questionnaire, actor=None)
    version = questionnaires.published("hostile", "1.0.0")
    assert version is not None
    return version


@pytest.fixture
def answered(app: Flask, tmp_path: Path, officer: FlaskClient) -> Callable[[str], Answered]:
    def answer(text: str) -> Answered:
        version = publish_questionnaire(app, text)
        vendor = add_vendor_through_the_form(officer, text)
        user = db.session.get(User, officer.user.id)  # type: ignore[attr-defined]
        assessment, token = assessments.start_assessment(
            vendor, [version], actor=user, due_date=dt.date.today() + dt.timedelta(days=14),
            respondent_name="Vera Vendor", respondent_email="vera@vendor.example",
            link_days=30)
        db.session.commit()
        steps = f"/assessments/{assessment.id}"

        portal = app.test_client()
        assert portal.get(f"/r/{token}").status_code == 303
        before = files_under(tmp_path)
        answers = {"statement": text, "statement__comment": text, "mfa": "yes",
                   "mfa__comment": text, "go": "next"}
        saved = portal.post("/portal/0/practices", content_type="multipart/form-data", data={
            **answers, "revisions": "{}", "policy__upload": (io.BytesIO(TEXT_FILE), text)})
        assert saved.status_code == 303, "the portal refused the answers"
        written = sorted(files_under(tmp_path) - before)
        record = db.session.scalars(select(EvidenceFile)).one()
        page = portal.get("/portal/0/practices").text
        download = portal.get(f"/portal/files/{record.id}")
        review = portal.get("/portal/review").text
        attest = {"name": text, "title": text, "confirm": "yes"}
        assert portal.post("/portal/review", data=attest).status_code == 303, "not submitted"

        assert officer.post(f"{steps}/review").status_code == 302
        assert officer.post(f"{steps}/clarify", data={
            f"clarify__{version.id}__mfa": text}).status_code == 302
        asked = portal.get("/portal/0/practices").text
        replied = portal.post("/portal/0/practices", data={
            **answers, "mfa__comment": reply(text), "revisions": json.dumps({"mfa": 1})})
        assert replied.status_code == 303, "the portal refused the reply"
        assert portal.post("/portal/review", data=attest).status_code == 303, "not resubmitted"
        assert officer.post(f"{steps}/complete").status_code == 302
        return Answered(vendor, assessment, record, page, review, asked, download, written)

    return answer


def agreement_form(text: str, today: dt.date) -> dict[str, str]:
    """The BAA and contract form with ``text`` in every field that takes text. "BAA
    required: No" makes the vendor's report quote the notes that say why."""
    return {"baa_required": "no", "baa_status": "signed",
            "baa_effective_on": (today - dt.timedelta(days=300)).isoformat(),
            "baa_expires_on": (today + dt.timedelta(days=60)).isoformat(),
            "baa_notice_days": "", "breach_notice_days": "15", "signed_by_vendor": text,
            "signed_by_us": text, "covered_services": text, "covered_regions": text,
            "data_locations": text, "contract_starts_on": "", "contract_renews_on": "",
            "contract_ends_on": "", "contract_notice_days": "", "contract_owner_id": "",
            "notes": text}


@dataclass
class Agreed:
    """An officer recorded a vendor's BAA and contract with hostile text in every text
    field, uploaded the signed BAA under a hostile file name, confirmed a clause with a
    hostile note and approved the vendor on conditions, for a hostile reason."""

    vendor: Vendor
    document: BaaDocument
    conditions_due: dt.date


CLAUSE = "audit_access"  # the clause the officer notes


@pytest.fixture
def agreed(officer: FlaskClient, make_vendor: Callable[..., Vendor]
           ) -> Callable[[str], Agreed]:
    def agree(text: str) -> Agreed:
        # A plain name: every hostile string the vendor's pages show came from the agreement.
        vendor = make_vendor("Acme Health", stores_phi=True)
        base, today = f"/vendors/{vendor.id}", dt.date.today()
        saved = officer.post(f"{base}/agreement/edit", data=agreement_form(text, today))
        assert saved.status_code == 302, "the agreement form refused the terms"
        uploaded = officer.post(f"{base}/agreement/document", data={
            "document": (io.BytesIO(baa_pdf(COMPLETE_BAA)), text)})
        assert uploaded.status_code == 302, "the signed BAA was refused"
        document = db.session.scalars(select(BaaDocument)).one()
        confirmed = officer.post(f"{base}/agreement/documents/{document.id}/clauses", data={
            f"verdict-{CLAUSE}": "present", f"note-{CLAUSE}": text})
        assert confirmed.status_code == 302
        due = today + dt.timedelta(days=20)
        decided = officer.post(f"{base}/decision", data={
            "decision": "conditional", "reason": text, "conditions_due_on": due.isoformat()})
        assert decided.status_code == 302, "the decision was refused"
        return Agreed(vendor, document, due)

    return agree


def signed_baa_expiring(vendor: Vendor, expires: dt.date) -> None:
    """The vendor's BAA is signed and expires on ``expires``: a deadline with its name."""
    db.session.add(Agreement(vendor_id=vendor.id, baa_status=BaaStatus.SIGNED.value,
                             baa_effective_on=expires - dt.timedelta(days=1000),
                             baa_expires_on=expires))
    db.session.commit()


# --- typed into the vendor form: the database, the pages and the exports ----------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_a_vendor_typed_into_the_form_is_stored_exactly_and_found_by_its_name(
    officer: FlaskClient, text: str,
) -> None:
    vendor = add_vendor_through_the_form(officer, text)

    assert sa.inspect(db.session.connection()).has_table("vendors")  # nothing was dropped
    found = db.session.scalars(select(Vendor).where(Vendor.name == text)).all()
    assert [v.id for v in found] == [vendor.id]
    listed = officer.get("/vendors/", query_string={"q": text}).text
    assert f'href="/vendors/{vendor.id}"' in listed  # the search finds it by its name too


@pytest.mark.parametrize("text", HOSTILE)
def test_vendor_pages_show_the_name_services_and_notes_escaped(
    officer: FlaskClient, text: str,
) -> None:
    created = officer.post("/vendors/new", data=vendor_form(text), follow_redirects=True)
    vendor = db.session.scalars(select(Vendor)).one()

    pages = {
        "the confirmation": created.text,
        "the vendor list": officer.get("/vendors/").text,
        "the vendor page": officer.get(f"/vendors/{vendor.id}").text,
        "the vendor form": officer.get(f"/vendors/{vendor.id}/edit").text,
        "the vendor report page": officer.get(f"/vendors/{vendor.id}/report").text,
        "the portfolio page": officer.get("/reports/portfolio").text,
    }
    for where, page in pages.items():
        assert_shown_as_text(page, text, where)
    assert f"<dt>Notes</dt><dd>{as_html(text)}</dd>" in pages["the vendor page"]


@pytest.mark.parametrize("text", HOSTILE)
def test_exports_keep_the_text_intact_and_never_a_formula(
    officer: FlaskClient, text: str,
) -> None:
    add_vendor_through_the_form(officer, text)

    (vendor_row,) = csv_rows(officer.get("/vendors/export.csv"))
    assert [vendor_row[column] for column in ("name", "services", "notes")] == \
        [as_csv_cell(text)] * 3
    (portfolio_row,) = csv_rows(officer.get("/reports/portfolio.csv"))
    assert portfolio_row["name"] == as_csv_cell(text)
    (row,) = xlsx_rows(officer.get("/reports/portfolio.xlsx").data, "Vendors")
    assert_string_cell(row["name"], text)


def test_the_apostrophe_goes_only_before_text_a_spreadsheet_would_run() -> None:
    changed = {param.values[0] for param in HOSTILE
               if as_csv_cell(str(param.values[0])) != param.values[0]}
    assert changed == {'=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0",
                       "-2+3", "@SUM(1)"}


# --- the audit log: what was typed, as the log page and its export show it ---------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_the_audit_log_shows_and_exports_a_hostile_vendor_as_text(
    officer: FlaskClient, login_as: Callable[..., FlaskClient], text: str,
) -> None:
    add_vendor_through_the_form(officer, text)
    admin = login_as(Role.ADMIN)

    assert_shown_as_text(admin.get("/admin/audit/").text, text, "the audit log")
    rows = csv_rows(admin.get("/admin/audit/export.csv"))
    (added,) = [row for row in rows if row["action"] == "vendor.created"]
    assert added["object"] == as_csv_cell(text)
    assert added["summary"] == as_csv_cell(f"Added vendor {text}")
    changed = json.loads(added["changes"])
    assert changed["name"]["after"] == changed["notes"]["after"] == text
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), f"{column} {cell!r} would run"


# --- typed into the portal and the questionnaire: pages, PDFs and the upload ------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_an_assessment_answered_clarified_and_attested_stays_text_from_portal_to_pdf(
    answered: Callable[[str], Answered], officer: FlaskClient,
    login_as: Callable[..., FlaskClient], app: Flask, text: str,
) -> None:
    done = answered(text)
    name = done.file.filename
    shown = as_html(text)

    # Pages: the vendor's own (answering, asked to clarify, attesting), the officer's review,
    # the questionnaire as the officer wrote it.
    review = officer.get(f"/assessments/{done.assessment.id}").text
    definition = officer.get("/questionnaires/hostile").text
    for where, page in (("the portal", done.portal_page),
                        ("the portal asking to clarify", done.portal_asked),
                        ("the portal's review page", done.portal_review),
                        ("the assessment review page", review),
                        ("the questionnaire page", definition)):
        assert_shown_as_text(page, text, where)
    assert as_html(name) in done.portal_page
    assert as_html(name) in review
    # The questionnaire file: a question's help, a choice's label, the statement attested.
    assert f'<p class="hint">{shown}</p>' in done.portal_page
    assert f'value="yes"> {shown}</label>' in done.portal_page
    assert f"<li>{shown} · 0.0 points</li>" in definition
    assert f"<p>{shown}</p>" in done.portal_review
    # The officer's question, where the vendor reads it and beside the vendor's reply.
    assert f"The privacy office asks: {shown}</p>" in done.portal_asked
    assert f"Asked {dt.date.today().isoformat()}: {shown} (answered)</small>" in review
    assert f"Comment: {as_html(reply(text))}</small>" in review
    # The name and title the vendor signed under, on the review page and in the audit log.
    assert f"<dt>Attested by</dt><dd>{shown}, {shown}, " in review
    admin, submitted = login_as(Role.ADMIN), {"action": "assessment.submitted"}
    log = admin.get("/admin/audit/", query_string=submitted).text
    assert_shown_as_text(log, f"Submitted by {text}, {text}", "the audit log")
    exported = csv_rows(admin.get("/admin/audit/export.csv", query_string=submitted))
    assert [row["summary"] for row in exported] == [f"Submitted by {text}, {text}"] * 2

    # PDFs: reportlab printed the markup as characters instead of reading it (<b> is not
    # bold, &lt; is not <): the name, the services, the question, the answer (the choice's
    # label), the comments and the reply.
    response = officer.get(f"/vendors/{done.vendor.id}/report.pdf")
    report = squeezed(pdf_text(response.data))
    assert report.count(squeezed(text)) >= 5, report
    assert squeezed(f"{text} Answer: {text}") in report
    assert squeezed(f"Comment: {reply(text)}") in report
    assert squeezed(name) in report
    assert squeezed(text) in squeezed(pdf_text(officer.get("/reports/portfolio.pdf").data))
    saved_as = response.headers["Content-Disposition"]
    assert saved_as.startswith('attachment; filename="vendor-')
    assert not set(saved_as.removeprefix('attachment; filename="')[:-1]) & set('/\\"<>;')

    # The upload: no path in its name, kept inside the uploads folder, handed back only as
    # a download under that name.
    assert not set(name) & set("/\\")
    assert not name.startswith(".")
    assert name.endswith(".txt")  # named for what it holds
    uploads = Path(app.instance_path) / UPLOAD_FOLDER
    kept = [path for path in done.written if not path.name.startswith("riskapp.db")]
    assert kept, "the upload was not kept"
    assert all(path.is_relative_to(uploads) for path in kept), done.written
    staff = officer.get(f"/assessments/{done.assessment.id}/files/{done.file.id}")
    for download in (done.portal_download, staff):
        assert (download.status_code, download.data) == (200, TEXT_FILE)
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "inline" not in disposition
        assert not set(disposition) & set("/\\"), disposition


@pytest.mark.parametrize(("name", "kept"), [
    ("../../etc/passwd", {"passwd.txt"}),
    # Werkzeug reads a backslash in the part's quoted filename as an escape, so the name
    # reaches riskapp as "....windowswin.ini": no path either way.
    ("..\\..\\windows\\win.ini", {"win.txt", "windowswin.txt"}),
])
def test_a_traversing_upload_keeps_no_path_in_its_name(
    answered: Callable[[str], Answered], name: str, kept: set[str],
) -> None:
    assert answered(name).file.filename in kept


# --- typed into the BAA and contract: pages, the vendor's report and the exports --------------


@pytest.mark.parametrize("text", HOSTILE)
def test_agreement_terms_clause_notes_and_decisions_stay_text_in_pages_pdfs_and_exports(
    agreed: Callable[[str], Agreed], officer: FlaskClient, text: str,
) -> None:
    done = agreed(text)
    base, shown, file_name = f"/vendors/{done.vendor.id}", as_html(text), done.document.filename
    decided = (f"Conditionally approved on {dt.date.today().isoformat()}, conditions due "
               f"{done.conditions_due.isoformat()}: {text}")

    pages = {
        "the agreement page": officer.get(f"{base}/agreement").text,
        "the agreement form": officer.get(f"{base}/agreement/edit").text,
        "the vendor report page": officer.get(f"{base}/report").text,
        "the deadlines page": officer.get("/deadlines").text,
        "the portfolio page": officer.get("/reports/portfolio").text,
    }
    for where, page in pages.items():
        assert_shown_as_text(page, text, where)
    agreement = pages["the agreement page"]
    assert f"<dd>{shown} (vendor); {shown} (us)</dd>" in agreement
    for term in ("Covers services", "Covers regions", "Data locations in use", "Notes"):
        assert f"<dt>{term}</dt><dd>{shown}</dd>" in agreement
    assert f'placeholder="Note" value="{shown}"' in agreement  # the clause's note
    assert f"conditions due {done.conditions_due.isoformat()}: {shown}</p>" in agreement
    assert f">{as_html(file_name)}</a>" in agreement
    assert f"<dd>{as_html(decided)}</dd>" in pages["the vendor report page"]
    assert f'<td class="muted">{shown}</td>' in pages["the deadlines page"]  # the reason

    # The vendor's report prints every term as typed; a list of services is read one entry
    # at a time (commas and semicolons separate entries).
    report = squeezed(pdf_text(officer.get(f"{base}/report.pdf").data))
    listed = ", ".join(entries(text))
    for printed in (f"Signed by {text} for the vendor; {text} for us",
                    f"Covers Services: {listed}; regions: {listed}", f"Notes: {text}",
                    f"Note: {text}", decided, f"Signed document {file_name}"):
        assert squeezed(printed) in report, printed
    portfolio = squeezed(pdf_text(officer.get("/reports/portfolio.pdf").data))
    assert squeezed(f"Conditions of approval due Acme Health {text}") in portfolio

    downloaded = officer.get(f"{base}/agreement/documents/{done.document.id}")
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    deadlines = xlsx_rows(officer.get("/reports/portfolio.xlsx").data, "Deadlines")
    (conditions,) = [row for row in deadlines
                     if row["what"].value == "Conditions of approval due"]
    assert_string_cell(conditions["detail"], text)


# --- mail and the calendar feed ----------------------------------------------------------------


@pytest.fixture
def mail_server(app: Flask) -> Iterator[MailServer]:
    """A real SMTP server on loopback (tests/reminders), the app sending through it."""
    with MailServer() as server:
        app.config.update(SMTP_HOST=server.address, SMTP_PORT=server.port, SMTP_STARTTLS=False,
                          SMTP_USERNAME=None, MAIL_FROM="riskapp@hospital.example",
                          BASE_URL="https://riskapp.hospital.example")
        yield server


HEADER_INJECTION = pytest.param("Acme\r\nBcc: victim@evil.example\r\n\r\nHello",
                                id="header-injection")


@pytest.mark.parametrize("text", [*HOSTILE, HEADER_INJECTION])
def test_a_reminder_mail_shows_the_vendor_name_as_one_line_of_text(
    make_vendor: Callable[..., Vendor], make_user: Callable[..., User],
    mail_server: MailServer, text: str,
) -> None:
    officer = make_user(Role.OFFICER, email="officer@hospital.example")
    today = dt.date(2027, 3, 1)
    signed_baa_expiring(make_vendor(text), today + dt.timedelta(days=7))

    reminders.run_reminders(today)

    (mail,) = mail_server.reminders_to(officer.email)
    one_line = " ".join(text.split())
    assert mail.subject == f"riskapp: 1 deadline — BAA expires: {one_line} in 7 days"
    assert mail.message["Bcc"] is None
    assert {to for sent in mail_server.inbox for to in sent.rcpt_tos} == {officer.email}
    assert f"BAA expires: {one_line}" in mail.body.splitlines()


@pytest.mark.parametrize("text", [*HOSTILE, HEADER_INJECTION])
def test_a_questionnaire_invitation_shows_the_vendor_name_as_one_line_of_text(
    app: Flask, officer: FlaskClient, make_vendor: Callable[..., Vendor],
    mail_server: MailServer, text: str,
) -> None:
    version = publish_questionnaire(app, "Security practices")
    vendor = make_vendor(text)

    sent = officer.post(f"/assessments/vendor/{vendor.id}/new", data={
        "questionnaires": [version.id], "respondent_name": "Vera Vendor",
        "respondent_email": "vera@vendor.example",
        "due_date": (dt.date.today() + dt.timedelta(days=30)).isoformat()})

    assert sent.status_code == 200, "the questionnaire was not sent"
    assert "The link was emailed to vera@vendor.example." in sent.text
    (mail,) = mail_server.inbox
    # (A long subject is folded onto a second line; reading it back leaves a leading space.)
    assert mail.subject.strip() == \
        f"Security and privacy questionnaire for {' '.join(text.split())}"
    assert mail.message["Bcc"] is None
    assert mail.rcpt_tos == ("vera@vendor.example",)


# A name as a calendar shows it: line breaks kept as line breaks, other control characters
# dropped (RFC 5545 text may hold none).
CALENDAR_INJECTION = [
    pytest.param("Acme\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Injected\r\nEND:VEVENT",
                 "Acme\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:Injected\nEND:VEVENT",
                 id="ical-new-event"),
    pytest.param("Acme\nATTENDEE:mailto:victim@evil.example",
                 "Acme\nATTENDEE:mailto:victim@evil.example", id="ical-lf-property"),
    pytest.param("Acme\rX-INJECTED:1", "Acme\nX-INJECTED:1", id="ical-lone-cr"),
    pytest.param("Acme;X-INJECTED=1:x, Inc.\\", "Acme;X-INJECTED=1:x, Inc.\\",
                 id="ical-text-specials"),
    pytest.param("Acme\x08\x1b[31m\x7f", "Acme[31m", id="ical-control-characters"),
]
EVENT_PROPERTIES = {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "TRANSP", "DESCRIPTION",
                    "URL"}
ALARM_PROPERTIES = {"ACTION", "DESCRIPTION", "TRIGGER"}


def ical_text(value: str) -> str:
    """``value`` as an RFC 5545 TEXT value (section 3.3.11) must be written."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def unfolded_lines(feed: bytes) -> list[str]:
    """The feed's content lines, folded lines joined (RFC 5545 section 3.1)."""
    assert feed.endswith(b"\r\n")
    text = feed.decode("utf-8")
    lone = set(text.replace("\r\n", "")) & {"\r", "\n"}
    assert not lone, f"a line ends without CRLF: {lone}"
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


@pytest.mark.parametrize(("text", "shown"), [
    *(pytest.param(p.values[0], p.values[0], id=p.id) for p in HOSTILE), *CALENDAR_INJECTION])
def test_the_calendar_feed_holds_a_hostile_vendor_name_and_reason_as_text(
    app: Flask, officer: FlaskClient, make_vendor: Callable[..., Vendor], text: str,
    shown: str,
) -> None:
    vendor = make_vendor(text)
    today = reminders.today()
    signed_baa_expiring(vendor, today + dt.timedelta(days=30))
    user = db.session.get(User, officer.user.id)  # type: ignore[attr-defined]
    agreements.decide(vendor, Decision.CONDITIONAL, text, actor=user,
                      conditions_due_on=today + dt.timedelta(days=20))
    token = reminders.create_feed(user)
    db.session.commit()

    feed = app.test_client().get(f"/calendar/{token}.ics").data

    events = Calendar.from_ical(feed).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [
        f"Conditions of approval due: {shown}", f"BAA expires: {shown}"]
    assert str(events[0]["DESCRIPTION"]).split("\nhttp")[0] == shown
    for event in events:
        assert set(event) == EVENT_PROPERTIES
        (alarm,) = event.subcomponents
        assert set(alarm) == ALARM_PROPERTIES
    lines = unfolded_lines(feed)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 2
    assert f"SUMMARY:{ical_text(f'BAA expires: {shown}')}" in lines
    for line in lines:
        assert re.match(r"[A-Z-]+[;:]", line), f"{line!r} is no property"
        assert not line.startswith(("ATTENDEE", "X-INJECTED")), line
