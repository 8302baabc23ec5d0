"""Hostile text stays text: whatever a vendor or an officer types, riskapp shows it literally
and harmlessly, in every place it shows it.

The hostile strings are in one table, :data:`HOSTILE`. Each test carries every one of them in
through the way a person would type it (the vendor form, the vendor portal, an upload, a
questionnaire file an officer wrote) and reads it back out where people see it:

============================  =====================================================
output                        what "harmless" means there
============================  =====================================================
HTML pages                    escaped (``&lt;img``), never live markup
PDF reports                   printed as typed: reportlab markup is not interpreted
CSV exports                   a cell a spreadsheet would run gets a leading ``'``
XLSX exports                  a string cell, never a formula
reminder mail                 one-line Subject, no added header; body as typed
the database                  stored and found by exactly the text typed
uploads                       no path in the name, nothing outside the uploads
                              folder, served only as an attachment
============================  =====================================================
"""

from __future__ import annotations

import csv
import datetime as dt
import io
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
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements.models import Agreement, BaaStatus
from riskapp.assessments import services as assessments
from riskapp.assessments.evidence import UPLOAD_FOLDER
from riskapp.assessments.models import Assessment, EvidenceFile
from riskapp.database import db
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.loader import load_file
from riskapp.reminders import services as reminders
from riskapp.vendors.models import Vendor
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


# --- how hostile text gets in -----------------------------------------------------------------


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"QUESTIONNAIRES_DIR": tmp_path / "questionnaires"}


@pytest.fixture
def officer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.OFFICER)


def add_vendor_through_the_form(officer: FlaskClient, text: str) -> Vendor:
    """An officer adds a vendor named ``text`` whose services are ``text`` too."""
    response = officer.post("/vendors/new", data={
        "name": text, "primary_domain": "vendor.example", "category": "hosting",
        "services": text, "stores_phi": "y", "criticality": "high", "status": "active"})
    assert response.status_code == 302, "the vendor form refused the vendor"
    vendor = db.session.scalars(select(Vendor)).one()
    assert (vendor.name, vendor.services) == (text, text)  # stored as typed
    return vendor


def write_questionnaire(folder: Path, text: str) -> Path:
    """An officer's questionnaire file with ``text`` as its title and a question's text."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump({
        "id": "hostile", "title": text, "version": "1.0.0",
        "sections": [{"id": "practices", "title": "Practices", "questions": [
            {"id": "statement", "type": "long_text", "text": text, "required": True},
            {"id": "mfa", "type": "yes_no", "text": "Do staff sign in with MFA?",
             "choices": [{"id": "yes", "points": 0}, {"id": "no", "points": 10}]},
            {"id": "policy", "type": "file", "text": "Upload your access policy."},
        ]}],
    }, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class Answered:
    """A vendor answered an assessment through the portal with hostile text (the portal page
    and the file's download read back before submitting: accepting the answers ends the
    link), then the officer accepted the answers."""

    vendor: Vendor
    assessment: Assessment
    file: EvidenceFile
    portal_page: str
    portal_download: Any
    written: list[Path]  # every file the upload wrote


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def answered(app: Flask, tmp_path: Path, officer: FlaskClient) -> Callable[[str], Answered]:
    def answer(text: str) -> Answered:
        path = write_questionnaire(Path(app.config["QUESTIONNAIRES_DIR"]), text)
        questionnaire, errors = load_file(path)
        assert questionnaire is not None, errors
        questionnaires.publish(questionnaire, actor=None)
        version = questionnaires.published("hostile", "1.0.0")
        vendor = add_vendor_through_the_form(officer, text)
        user = db.session.get(User, officer.user.id)  # type: ignore[attr-defined]
        assessment, token = assessments.start_assessment(
            vendor, [version], actor=user, due_date=dt.date.today() + dt.timedelta(days=14),
            respondent_name="Vera Vendor", respondent_email="vera@vendor.example",
            link_days=30)
        db.session.commit()

        portal = app.test_client()
        assert portal.get(f"/r/{token}").status_code == 303
        before = files_under(tmp_path)
        saved = portal.post("/portal/0/practices", content_type="multipart/form-data", data={
            "statement": text, "statement__comment": text, "mfa": "yes",
            "mfa__comment": text, "revisions": "{}", "go": "next",
            "policy__upload": (io.BytesIO(TEXT_FILE), text)})
        assert saved.status_code == 303, "the portal refused the answers"
        written = sorted(files_under(tmp_path) - before)
        record = db.session.scalars(select(EvidenceFile)).one()
        page = portal.get("/portal/0/practices").text
        download = portal.get(f"/portal/files/{record.id}")
        submitted = portal.post("/portal/review", data={
            "name": "Vera Vendor", "title": "CISO", "confirm": "yes"})
        assert submitted.status_code == 303, "the portal refused the submission"
        assert officer.post(f"/assessments/{assessment.id}/complete").status_code == 302
        return Answered(vendor, assessment, record, page, download, written)

    return answer


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
def test_vendor_pages_show_the_name_and_services_escaped(
    officer: FlaskClient, text: str,
) -> None:
    created = officer.post("/vendors/new", follow_redirects=True, data={
        "name": text, "primary_domain": "vendor.example", "category": "hosting",
        "services": text, "stores_phi": "y", "criticality": "high", "status": "active"})
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


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("text", HOSTILE)
def test_exports_keep_the_text_intact_and_never_a_formula(
    officer: FlaskClient, text: str,
) -> None:
    add_vendor_through_the_form(officer, text)

    (vendor_row,) = csv_rows(officer.get("/vendors/export.csv"))
    assert (vendor_row["name"], vendor_row["services"]) == (as_csv_cell(text),) * 2
    (portfolio_row,) = csv_rows(officer.get("/reports/portfolio.csv"))
    assert portfolio_row["name"] == as_csv_cell(text)

    # XLSX has cell types: the text goes in whole, as a string cell a spreadsheet never runs.
    xlsx = officer.get("/reports/portfolio.xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx))["Vendors"]
    header = [cell.value for cell in sheet[1]]
    name = sheet.cell(2, header.index("name") + 1)
    assert (name.value, name.data_type) == (text, "s")
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for part in archive.namelist():
            if part.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(part), f"{part} holds a formula"


def test_the_apostrophe_goes_only_before_text_a_spreadsheet_would_run() -> None:
    changed = {param.values[0] for param in HOSTILE
               if as_csv_cell(str(param.values[0])) != param.values[0]}
    assert changed == {'=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0",
                       "-2+3", "@SUM(1)"}


# --- typed into the portal and the questionnaire: pages, PDFs and the upload ------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_answers_comments_file_names_and_questions_stay_text_from_portal_to_pdf(
    answered: Callable[[str], Answered], officer: FlaskClient, app: Flask, text: str,
) -> None:
    done = answered(text)
    name = done.file.filename

    # Pages: the vendor's own, the officer's review, the questionnaire as the officer wrote it.
    review = officer.get(f"/assessments/{done.assessment.id}").text
    definition = officer.get("/questionnaires/hostile").text
    for where, page in (("the portal", done.portal_page),
                        ("the assessment review page", review),
                        ("the questionnaire page", definition)):
        assert_shown_as_text(page, text, where)
    assert as_html(name) in done.portal_page
    assert as_html(name) in review

    # PDFs: reportlab printed the markup as characters instead of reading it (<b> is not
    # bold, &lt; is not <): the name, the services, the question, the answer, the comments.
    response = officer.get(f"/vendors/{done.vendor.id}/report.pdf")
    report = squeezed(pdf_text(response.data))
    assert report.count(squeezed(text)) >= 5, report
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


# --- reminder mail ----------------------------------------------------------------------------


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
    vendor = make_vendor(text)
    today = dt.date(2027, 3, 1)
    expires = today + dt.timedelta(days=7)
    db.session.add(Agreement(vendor_id=vendor.id, baa_status=BaaStatus.SIGNED.value,
                             baa_effective_on=expires - dt.timedelta(days=1000),
                             baa_expires_on=expires))
    db.session.commit()

    reminders.run_reminders(today)

    (mail,) = mail_server.reminders_to(officer.email)
    one_line = " ".join(text.split())
    assert mail.subject == f"riskapp: 1 deadline — BAA expires: {one_line} in 7 days"
    assert mail.message["Bcc"] is None
    assert {to for sent in mail_server.inbox for to in sent.rcpt_tos} == {officer.email}
    assert f"BAA expires: {one_line}" in mail.body.splitlines()
