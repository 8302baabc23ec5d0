"""Evidence files a vendor uploads: checked by their content, kept outside the web root.

A file is accepted only if its first bytes say it is one of :data:`ACCEPTED` (a PDF, an image,
an Office document, plain text), whatever its name claims; it is stored under the instance
folder by its SHA-256 (so the same report uploaded twice is kept once) and described by an
:class:`EvidenceFile` row. Files are served back only as downloads (``attachment``, with
``nosniff`` from the app's security headers), never shown inline.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers.response import Response

from riskapp.assessments.models import Assessment, AssessmentQuestionnaire, EvidenceFile
from riskapp.database import db

UPLOAD_FOLDER = "uploads"


@dataclass(frozen=True)
class Kind:
    mime: str
    label: str


ACCEPTED: dict[str, Kind] = {
    "pdf": Kind("application/pdf", "PDF"),
    "png": Kind("image/png", "PNG image"),
    "jpg": Kind("image/jpeg", "JPEG image"),
    "docx": Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "Word document"),
    "xlsx": Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "Excel workbook"),
    "txt": Kind("text/plain", "plain text"),
}


class EvidenceError(ValueError):
    """The file is refused; the message says why, for the vendor."""


def _office_kind(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return None


def _is_text(content: bytes) -> bool:
    if b"\0" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_kind(content: bytes) -> str | None:
    """What the content is, by its own bytes; ``None`` when it is none of the accepted kinds.

    A file that starts like a PDF but holds HTML or script markup in its first kilobyte is
    refused: browsers sniffing it could run it (a polyglot).
    """
    head = content[:1024].lower()
    if any(marker in head for marker in (b"<html", b"<script", b"<svg", b"<!doctype")):
        return None
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"PK\x03\x04"):
        return _office_kind(content)
    return "txt" if _is_text(content) else None


def safe_name(filename: str, kind: str) -> str:
    """The uploaded file's name made harmless for display and download: no path, no control
    characters, at most 120 characters, and the extension of what the content really is."""
    base = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip(" .") or "evidence"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem[:110]}.{kind}"


def upload_folder() -> Path:
    return Path(current_app.instance_path) / UPLOAD_FOLDER


def stored_path(sha256: str) -> Path:
    return upload_folder() / sha256[:2] / sha256


def read_upload(upload: FileStorage) -> bytes:
    """The upload's content, refused when empty or over the configured size."""
    limit_mb = float(current_app.config["UPLOAD_MAX_MB"])
    limit = int(limit_mb * 1024 * 1024)
    try:
        content = upload.stream.read(limit + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file: let it go now
    if not content:
        raise EvidenceError(f"{upload.filename or 'The file'} is empty.")
    if len(content) > limit:
        raise EvidenceError(f"{upload.filename} is larger than {limit_mb:g} MB.")
    return content


def keep(content: bytes) -> str:
    """Write ``content`` under the uploads folder by its SHA-256 (once), and return that."""
    digest = hashlib.sha256(content).hexdigest()
    path = stored_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{digest}.{os.getpid()}")
        temporary.write_bytes(content)
        temporary.replace(path)  # atomic: a reader never sees half a file
    return digest


def store(assessment: Assessment, entry: AssessmentQuestionnaire, question_id: str,
          upload: FileStorage, *, by: str) -> EvidenceFile:
    """Check and keep one upload for a question of the assessment."""
    content = read_upload(upload)
    kind = detect_kind(content)
    if kind is None:
        labels = ", ".join(k.label for k in ACCEPTED.values())
        raise EvidenceError(f"{upload.filename} is not a file we accept ({labels}), "
                            "judging by its content.")
    digest = keep(content)
    record = EvidenceFile(
        assessment_id=assessment.id, questionnaire_version_id=entry.questionnaire_version_id,
        question_id=question_id, filename=safe_name(upload.filename or "evidence", kind),
        content_type=ACCEPTED[kind].mime, size=len(content), sha256=digest, uploaded_by=by)
    db.session.add(record)
    db.session.flush()
    return record


def file_of(assessment: Assessment, file_id: int) -> EvidenceFile | None:
    """A file of this assessment (an id of another assessment's file gives ``None``)."""
    return db.session.scalar(select(EvidenceFile).where(
        EvidenceFile.id == file_id, EvidenceFile.assessment_id == assessment.id))


def as_reference(record: EvidenceFile) -> dict[str, object]:
    """How an answer refers to a file: enough to list it without a query."""
    return {"id": record.id, "name": record.filename, "sha256": record.sha256,
            "size": record.size}


def download(record: EvidenceFile) -> Response:
    """The file as an attachment under its safe name: never rendered in the browser."""
    response = send_file(stored_path(record.sha256), mimetype=record.content_type,
                         as_attachment=True, download_name=record.filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
