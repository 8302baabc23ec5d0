"""Evidence uploads: judged by content, stored outside the web root, served only as downloads
to the people allowed to see them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.assessments.evidence import detect_kind, safe_name, stored_path
from riskapp.assessments.models import AnswerRecord, EvidenceFile
from riskapp.database import db
from tests.assessments.conftest import Started
from tests.assessments.test_portal import _revisions

Start = Callable[..., Started]
Open = Callable[[Started], FlaskClient]
LOCATIONS = "/portal/0/locations"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _office(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "kind"), [
    (PDF, "pdf"), (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "png"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 20, "jpg"),
    (_office("word"), "docx"), (_office("xl"), "xlsx"), ("Policy: ✓ encrypted".encode(), "txt"),
])
def test_a_file_is_known_by_its_content(content: bytes, kind: str) -> None:
    assert detect_kind(content) == kind


@pytest.mark.parametrize("content", [
    b"%PDF-1.4\n<script>alert(1)</script>",  # a polyglot: PDF header, HTML inside
    b"<!doctype html><title>report</title>",
    b"MZ\x90\x00\x03" + b"\0" * 40,  # a Windows executable
    b"PK\x03\x04" + b"\0" * 40,  # a zip that is no Office document
    b"\xff\xfe\x00binary\x00",
])
def test_anything_else_is_refused(content: bytes) -> None:
    assert detect_kind(content) is None


@pytest.mark.parametrize(("name", "kind", "safe"), [
    ("../../etc/passwd.pdf", "pdf", "passwd.pdf"),
    ("C:\\Users\\vera\\SOC 2 report.PDF", "pdf", "SOC 2 report.pdf"),
    ("report.exe", "pdf", "report.pdf"),  # the extension says what the content is
    ("\x00\x1bevil\x7f.txt", "txt", "evil.txt"),
    ("", "png", "evidence.png"),
])
def test_a_files_name_is_made_harmless(name: str, kind: str, safe: str) -> None:
    assert safe_name(name, kind) == safe


def _upload(client: FlaskClient, name: str, content: bytes, **fields: Any) -> Any:
    data = {"go": "stay", "revisions": "{}", "data_countries": "US",
            "soc2_report__upload": (io.BytesIO(content), name), **fields}
    return client.post(LOCATIONS, data=data, content_type="multipart/form-data")


def _files() -> list[EvidenceFile]:
    return list(db.session.scalars(select(EvidenceFile)))


def test_an_uploaded_report_becomes_the_answer_and_is_kept_by_its_hash(
    start: Start, vendor_browser: Open, app: Flask
) -> None:
    started = start()
    client = vendor_browser(started)
    response = _upload(client, "SOC2 2026.pdf", PDF)
    assert response.status_code == 303
    (record,) = _files()
    assert (record.filename, record.content_type, record.size) == (
        "SOC2 2026.pdf", "application/pdf", len(PDF))
    assert stored_path(record.sha256).read_bytes() == PDF
    assert str(stored_path(record.sha256)).startswith(app.instance_path)
    answer = db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.question_id == "soc2_report")).one()
    assert answer.data["value"] == [{"id": record.id, "name": "SOC2 2026.pdf",
                                     "sha256": record.sha256, "size": len(PDF)}]
    assert "SOC2 2026.pdf" in client.get(LOCATIONS).text


def test_a_file_goes_back_only_as_a_download(
    start: Start, vendor_browser: Open, login_as: Any
) -> None:
    started, other = start(), start()
    client = vendor_browser(started)
    _upload(client, "report.pdf", PDF)
    (record,) = _files()
    mine = client.get(f"/portal/files/{record.id}")
    assert mine.status_code == 200
    assert mine.data == PDF
    assert mine.headers["Content-Disposition"].startswith("attachment;")
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert vendor_browser(other).get(f"/portal/files/{record.id}").status_code == 404
    staff = login_as("viewer").get(f"/assessments/{started.assessment.id}/files/{record.id}")
    assert (staff.status_code, staff.data) == (200, PDF)
    wrong = login_as("viewer").get(f"/assessments/{other.assessment.id}/files/{record.id}")
    assert wrong.status_code == 404


def test_a_file_of_the_wrong_kind_is_refused_and_the_other_answers_kept(
    start: Start, vendor_browser: Open
) -> None:
    client = vendor_browser(start())
    response = _upload(client, "report.pdf", b"%PDF-1.4 <html><script>x()</script>")
    assert response.status_code == 200
    assert "report.pdf is not a file we accept" in response.text
    assert _files() == []
    countries = db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.question_id == "data_countries")).one()
    assert countries.data["value"] == ["US"]


def test_a_file_over_the_limit_is_refused_with_the_limit(
    start: Start, vendor_browser: Open, app: Flask
) -> None:
    app.config["UPLOAD_MAX_MB"] = 0.1
    client = vendor_browser(start())
    response = _upload(client, "big.pdf", PDF + b"0" * 110_000)
    assert "big.pdf is larger than 0.1 MB." in response.text
    assert _files() == []


def test_a_file_can_be_removed_from_the_answer(start: Start, vendor_browser: Open) -> None:
    client = vendor_browser(start())
    _upload(client, "report.pdf", PDF)
    (record,) = _files()
    page = client.get(LOCATIONS).text
    client.post(LOCATIONS, data={"go": "stay", "revisions": _revisions(page),
                                 "data_countries": "US", "soc2_report__remove": str(record.id)})
    answer = db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.question_id == "soc2_report")).one()
    assert answer.data["value"] is None


def test_the_reviewer_sees_the_file_linked_beside_the_answer(
    start: Start, vendor_browser: Open, login_as: Any
) -> None:
    started = start()
    _upload(vendor_browser(started), "SOC2 2026.pdf", PDF)
    (record,) = _files()
    page = login_as("officer").get(f"/assessments/{started.assessment.id}").text
    assert (f'<a href="/assessments/{started.assessment.id}/files/{record.id}">SOC2 2026.pdf</a>'
            in page)
