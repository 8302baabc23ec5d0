"""The questionnaires the app offers: read from the definitions folder (reloaded when a file
changes) and published as frozen versions that assessments are sent with."""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.database import db
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.loader import BANK_FOLDER, Library, load_directory
from riskapp.questionnaires.models import QuestionnaireVersion

_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[tuple[str, int], ...], Library]] = {}


def _fingerprint(folder: Path) -> tuple[tuple[str, int], ...]:
    files = [*folder.glob("*.yaml"), *(folder / BANK_FOLDER).glob("*.yaml")]
    return tuple(sorted((str(path), path.stat().st_mtime_ns) for path in files))


def library(folder: Path | None = None) -> Library:
    """Every questionnaire in the folder (default: the app's), loaded once per change of any
    file, so an officer's edit shows on the next page load without a restart."""
    folder = folder or Path(current_app.config["QUESTIONNAIRES_DIR"])
    fingerprint = _fingerprint(folder)
    with _lock:
        cached = _cache.get(folder)
        if cached is None or cached[0] != fingerprint:
            cached = (fingerprint, load_directory(folder))
            _cache[folder] = cached
        return cached[1]


# --- publishing ----------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class PublishResult:
    questionnaire_id: str
    version: str
    outcome: Outcome
    message: str


def semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _next_patch(version: str) -> str:
    major, minor, patch = semver(version)
    return f"{major}.{minor}.{patch + 1}"


def published(questionnaire_id: str, version: str) -> QuestionnaireVersion | None:
    return db.session.scalar(select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == questionnaire_id,
        QuestionnaireVersion.version == version))


def latest_published(questionnaire_id: str) -> QuestionnaireVersion | None:
    rows = db.session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.questionnaire_id == questionnaire_id)).all()
    return max(rows, key=lambda row: semver(row.version), default=None)


def snapshot(row: QuestionnaireVersion) -> Questionnaire:
    """The definition exactly as it was published."""
    return Questionnaire.model_validate(row.definition)


def publish(questionnaire: Questionnaire, *, actor: User | None) -> PublishResult:
    """Record this version of ``questionnaire`` as offered; a changed definition must come
    with a new, higher version, so what an assessment was sent with is never rewritten."""
    qid, version = questionnaire.id, questionnaire.version
    existing = published(qid, version)
    if existing is not None:
        if existing.content_hash == questionnaire.content_hash:
            return PublishResult(qid, version, Outcome.UNCHANGED, f"{qid} {version} unchanged")
        return PublishResult(qid, version, Outcome.REFUSED,
                             f"{qid} {version} is already published with other content; give "
                             f"the file a new version (e.g. {_next_patch(version)})")
    latest = latest_published(qid)
    if latest is not None and semver(version) < semver(latest.version):
        return PublishResult(qid, version, Outcome.REFUSED,
                             f"{qid} {version} is older than the published {latest.version}; "
                             f"use a higher version (e.g. {_next_patch(latest.version)})")
    db.session.add(QuestionnaireVersion(
        questionnaire_id=qid, version=version, title=questionnaire.title,
        content_hash=questionnaire.content_hash, definition=questionnaire.snapshot(),
        published_by_id=actor.id if actor else None))
    audit.record("questionnaire.published", actor=actor,
                 target=audit.AuditTarget("questionnaire", qid, questionnaire.title),
                 summary=f"Published {qid} {version}",
                 changes={"version": version, "content_hash": questionnaire.content_hash})
    db.session.flush()
    return PublishResult(qid, version, Outcome.PUBLISHED, f"{qid} {version} published")


def publish_library(loaded: Library, *, actor: User | None) -> list[PublishResult]:
    return [publish(questionnaire, actor=actor) for questionnaire in loaded.questionnaires.values()]
