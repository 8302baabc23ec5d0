"""The assessment workflow: start, share, answer, submit, clarify, complete, reopen.

Views and the vendor portal call these functions; they flush and audit, and the request
commits. Answers are read and written per published questionnaire version (the snapshot the
assessment was sent with), so editing a questionnaire file never changes an assessment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from blinker import Namespace
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from riskapp.accounts.models import User
from riskapp.assessments.models import (
    OPEN,
    VENDOR_EDITABLE,
    AnswerRecord,
    Assessment,
    AssessmentQuestionnaire,
    Clarification,
    ShareLink,
    Status,
)
from riskapp.audit import services as audit
from riskapp.audit.models import AuditEvent
from riskapp.database import db, utcnow
from riskapp.questionnaires.answers import Answer, Progress, problems, progress
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.models import QuestionnaireVersion
from riskapp.questionnaires.scoring import Score, score
from riskapp.questionnaires.services import semver, snapshot
from riskapp.vendors.models import Vendor

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG; only its SHA-256 is stored
LINK_REFUSED = "portal.link_refused"
# Sent with the assessment (and ``actor=``) once it is completed, in the caller's transaction:
# the scoring engine rates the vendor again.
assessment_completed = Namespace().signal("assessment-completed")


class AssessmentError(ValueError):
    """A request the workflow refuses; the message is for the person who asked."""


def assessment_target(assessment: Assessment) -> audit.AuditTarget:
    return audit.AuditTarget("assessment", str(assessment.id),
                             f"{assessment.vendor.name} (revision {assessment.revision})")


def get_assessment(assessment_id: int) -> Assessment | None:
    return db.session.get(Assessment, assessment_id)


# --- questionnaires ------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _definition(version_id: int, content_hash: str) -> Questionnaire:
    row = db.session.get(QuestionnaireVersion, version_id)
    if row is None or row.content_hash != content_hash:
        raise LookupError(f"questionnaire version {version_id} is not the one published")
    return snapshot(row)


def definition_of(entry: AssessmentQuestionnaire) -> Questionnaire:
    """The exact questionnaire the assessment was sent with (parsed once per process)."""
    return _definition(entry.questionnaire_version_id, entry.version.content_hash)


def offered_versions() -> list[QuestionnaireVersion]:
    """The latest published version of every questionnaire, by title."""
    latest: dict[str, QuestionnaireVersion] = {}
    for row in db.session.scalars(select(QuestionnaireVersion)):
        held = latest.get(row.questionnaire_id)
        if held is None or semver(row.version) > semver(held.version):
            latest[row.questionnaire_id] = row
    return sorted(latest.values(), key=lambda row: row.title)


def default_versions(vendor: Vendor) -> list[QuestionnaireVersion]:
    """The questionnaires meant for the vendor's category."""
    return [row for row in offered_versions()
            if vendor.category in row.definition.get("applies_to", [])]


# --- starting and sharing ------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_link(assessment: Assessment, *, days: int) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(ShareLink(assessment_id=assessment.id, token_hash=_hash(token),
                             expires_at=utcnow() + dt.timedelta(days=days)))
    return token


def start_assessment(
    vendor: Vendor, versions: Sequence[QuestionnaireVersion], *, due_date: dt.date,
    respondent_name: str, respondent_email: str, actor: User, link_days: int,
) -> tuple[Assessment, str]:
    """Create the assessment and its share link; returns the link's token, shown once."""
    if not versions:
        raise AssessmentError("Pick at least one questionnaire.")
    if due_date < dt.date.today():
        raise AssessmentError("The due date has passed; pick a later one.")
    assessment = Assessment(
        vendor=vendor, status=Status.SENT.value, due_date=due_date,
        respondent_name=respondent_name.strip(), respondent_email=respondent_email.strip(),
        created_by_id=actor.id,
        questionnaires=[AssessmentQuestionnaire(questionnaire_version_id=version.id,
                                                position=index)
                        for index, version in enumerate(versions)])
    db.session.add(assessment)
    db.session.flush()
    token = _new_link(assessment, days=link_days)
    audit.record("assessment.created", actor=actor, target=assessment_target(assessment),
                 summary=f"Sent {', '.join(v.title for v in versions)} to "
                         f"{assessment.respondent_email}, due {due_date.isoformat()}",
                 changes={"questionnaires": [f"{v.questionnaire_id} {v.version}"
                                             for v in versions]})
    return assessment, token


def active_links(assessment: Assessment) -> list[ShareLink]:
    now = utcnow()
    links = db.session.scalars(select(ShareLink).where(
        ShareLink.assessment_id == assessment.id, ShareLink.revoked_at.is_(None))).all()
    return [link for link in links if link.is_usable(now)]


def revoke_links(assessment: Assessment, *, actor: User | None, reason: str = "") -> int:
    now = utcnow()
    revoked = 0
    for link in db.session.scalars(select(ShareLink).where(
            ShareLink.assessment_id == assessment.id, ShareLink.revoked_at.is_(None))):
        link.revoked_at = now
        revoked += 1
    if revoked and actor is not None:
        audit.record("assessment.link_revoked", actor=actor,
                     target=assessment_target(assessment),
                     summary=reason or "Share link revoked")
    return revoked


def reissue_link(assessment: Assessment, *, actor: User, link_days: int) -> str:
    """Revoke every link and make a new one: the token is shown once."""
    if assessment.status_enum not in OPEN:
        raise AssessmentError(f"The assessment is {assessment.status_enum.label.lower()}; "
                              "no link can be issued.")
    revoke_links(assessment, actor=None)
    token = _new_link(assessment, days=link_days)
    audit.record("assessment.link_issued", actor=actor, target=assessment_target(assessment),
                 summary="New share link issued; earlier links no longer work")
    return token


def link_for_token(token: str) -> ShareLink | None:
    """The usable link this token opens, or ``None`` (wrong, expired or revoked: the caller
    must not say which)."""
    if not token or len(token) > 200:
        return None
    link = db.session.scalar(select(ShareLink).where(ShareLink.token_hash == _hash(token)))
    if link is None or not link.is_usable(utcnow()):
        return None
    if link.assessment.status_enum is Status.CANCELLED:
        return None
    return link


def usable_link(link_id: int | None) -> ShareLink | None:
    """The portal session's link, if it still works (revoking ends open sessions too)."""
    link = db.session.get(ShareLink, link_id) if link_id else None
    if link is None or not link.is_usable(utcnow()):
        return None
    return None if link.assessment.status_enum is Status.CANCELLED else link


def record_refused_link() -> None:
    """Note a share link that did not work; the audit event keeps the client's address."""
    audit.record(LINK_REFUSED, actor=None, actor_label="vendor portal",
                 summary="A share link that does not work was used")


def too_many_refusals(ip: str | None, *, limit: int, minutes: int) -> bool:
    since = utcnow() - dt.timedelta(minutes=minutes)
    count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == LINK_REFUSED, AuditEvent.occurred_at >= since,
        AuditEvent.ip_address == ip))
    return (count or 0) >= limit


# --- answers -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Conflict:
    """Someone else saved this answer since the page was opened; theirs is kept."""

    question_id: str
    theirs: Answer


@dataclass
class SaveResult:
    saved: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    revisions: dict[str, int] = field(default_factory=dict)


def _records(assessment: Assessment, entry: AssessmentQuestionnaire) -> dict[str, AnswerRecord]:
    rows = db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.assessment_id == assessment.id,
        AnswerRecord.questionnaire_version_id == entry.questionnaire_version_id)).all()
    return {row.question_id: row for row in rows}


def answers_by_questionnaire(assessment: Assessment) -> dict[int, dict[str, Answer]]:
    """Every saved answer of the assessment in one query, by questionnaire version id."""
    found: dict[int, dict[str, Answer]] = {e.questionnaire_version_id: {}
                                           for e in assessment.questionnaires}
    for row in db.session.scalars(select(AnswerRecord).where(
            AnswerRecord.assessment_id == assessment.id)):
        found.setdefault(row.questionnaire_version_id, {})[row.question_id] = \
            Answer.from_json(row.data)
    return found


def answers_of(assessment: Assessment, entry: AssessmentQuestionnaire
               ) -> tuple[dict[str, Answer], dict[str, int]]:
    """The saved answers and their revisions, by question id."""
    records = _records(assessment, entry)
    return ({qid: Answer.from_json(row.data) for qid, row in records.items()},
            {qid: row.revision for qid, row in records.items()})


def editable_questions(assessment: Assessment, entry: AssessmentQuestionnaire) -> set[str] | None:
    """What the vendor may change: everything (``None``) before submitting, only the
    questions asked about during clarification, nothing otherwise."""
    status = assessment.status_enum
    if status in (Status.SENT, Status.IN_PROGRESS):
        return None
    if status is Status.CLARIFICATION:
        return {c.question_id for c in open_clarifications(assessment)
                if c.questionnaire_version_id == entry.questionnaire_version_id}
    return set()


def save_answers(
    assessment: Assessment, entry: AssessmentQuestionnaire, given: Mapping[str, Answer],
    seen: Mapping[str, int], *, by: str,
) -> SaveResult:
    """Save what changed. An answer someone else saved since ``seen`` (the revisions the page
    was opened with) is not overwritten: it comes back as a :class:`Conflict`."""
    if assessment.status_enum not in VENDOR_EDITABLE:
        raise AssessmentError("These answers were submitted and can no longer be changed.")
    allowed = editable_questions(assessment, entry)
    records = _records(assessment, entry)
    result = SaveResult()
    for question_id, answer in given.items():
        if allowed is not None and question_id not in allowed:
            continue
        record = records.get(question_id)
        data = answer.to_json()
        if record is None and answer == Answer():
            continue  # nothing given, nothing kept: not an answer
        if record is not None and record.data == data:
            result.revisions[question_id] = record.revision
            continue
        if record is not None and record.revision != seen.get(question_id, 0):
            result.conflicts.append(Conflict(question_id, Answer.from_json(record.data)))
            result.revisions[question_id] = record.revision
            continue
        if record is None:
            record = AnswerRecord(assessment_id=assessment.id,
                                  questionnaire_version_id=entry.questionnaire_version_id,
                                  question_id=question_id, data=data, revision=1)
            db.session.add(record)
        else:
            record.data, record.revision = data, record.revision + 1
            record.updated_at = utcnow()
        result.saved.append(question_id)
        result.revisions[question_id] = record.revision
    if result.saved:
        _touch(assessment)
        audit.record("assessment.answers_saved", actor=None, actor_label=by,
                     target=assessment_target(assessment),
                     summary=f"{len(result.saved)} answer(s) saved",
                     changes={"questions": result.saved})
    db.session.flush()
    return result


def _touch(assessment: Assessment) -> None:
    assessment.last_activity_at = utcnow()
    if assessment.status_enum is Status.SENT:
        assessment.status = Status.IN_PROGRESS.value


# --- progress, submission and review -------------------------------------------------------------
def overall_progress(assessment: Assessment) -> Progress:
    answered = required = 0
    saved = answers_by_questionnaire(assessment)
    for entry in assessment.questionnaires:
        part = progress(definition_of(entry), saved[entry.questionnaire_version_id])
        answered, required = answered + part.answered, required + part.required
    return Progress(answered, required)


def missing(assessment: Assessment) -> list[tuple[AssessmentQuestionnaire, str, list[str]]]:
    """Every question that stops the vendor from submitting, with what is wrong."""
    found = []
    saved = answers_by_questionnaire(assessment)
    for entry in assessment.questionnaires:
        given = saved[entry.questionnaire_version_id]
        for question_id, issues in problems(definition_of(entry), given).items():
            found.append((entry, question_id, issues))
    return found


def submit(assessment: Assessment, *, name: str, title: str, by: str) -> None:
    """Hand the answers over for review, with the respondent's attestation."""
    if assessment.status_enum not in VENDOR_EDITABLE:
        raise AssessmentError("These answers were already submitted.")
    if missing(assessment):
        raise AssessmentError("Some questions still need an answer; see the list below.")
    if not name.strip() or not title.strip():
        raise AssessmentError("Give your name and title to confirm the answers.")
    for clarification in open_clarifications(assessment):
        clarification.resolved_at = utcnow()
    assessment.status = Status.SUBMITTED.value
    assessment.submitted_at = utcnow()
    assessment.attestation = {"name": name.strip(), "title": title.strip(),
                              "date": dt.date.today().isoformat()}
    _touch(assessment)
    audit.record("assessment.submitted", actor=None, actor_label=by,
                 target=assessment_target(assessment),
                 summary=f"Submitted by {name.strip()}, {title.strip()}")


def open_clarifications(assessment: Assessment) -> list[Clarification]:
    return list(db.session.scalars(select(Clarification).where(
        Clarification.assessment_id == assessment.id, Clarification.resolved_at.is_(None))))


def request_clarification(assessment: Assessment, asks: Iterable[tuple[int, str, str]], *,
                          actor: User) -> None:
    """Ask the vendor about chosen answers: (questionnaire version id, question id, comment)."""
    if assessment.status_enum not in (Status.SUBMITTED, Status.IN_REVIEW):
        raise AssessmentError("Clarification can be asked only about submitted answers.")
    asks = [(version_id, qid, comment.strip()) for version_id, qid, comment in asks
            if comment.strip()]
    if not asks:
        raise AssessmentError("Pick at least one answer and say what needs clarifying.")
    for version_id, question_id, comment in asks:
        db.session.add(Clarification(assessment_id=assessment.id,
                                     questionnaire_version_id=version_id,
                                     question_id=question_id, comment=comment,
                                     requested_by_id=actor.id))
    assessment.status = Status.CLARIFICATION.value
    audit.record("assessment.clarification_requested", actor=actor,
                 target=assessment_target(assessment),
                 summary=f"Clarification asked on {len(asks)} answer(s)",
                 changes={"questions": [qid for _, qid, _ in asks]})


def start_review(assessment: Assessment, *, actor: User) -> None:
    if assessment.status_enum is Status.SUBMITTED:
        assessment.status = Status.IN_REVIEW.value
        audit.record("assessment.review_started", actor=actor,
                     target=assessment_target(assessment))


@dataclass(frozen=True)
class ScoredQuestionnaire:
    entry: AssessmentQuestionnaire
    questionnaire: Questionnaire
    answers: dict[str, Answer]
    result: Score


def scored(assessment: Assessment, saved: Mapping[int, dict[str, Answer]] | None = None
           ) -> list[ScoredQuestionnaire]:
    """Score each of the assessment's questionnaires on its answers: ``saved``, by
    questionnaire version id, when they are already read, else read now."""
    saved = answers_by_questionnaire(assessment) if saved is None else saved
    parts = []
    for entry in assessment.questionnaires:
        questionnaire = definition_of(entry)
        given = saved.get(entry.questionnaire_version_id, {})
        parts.append(ScoredQuestionnaire(entry, questionnaire, given,
                                         score(questionnaire, given)))
    return parts


def complete(assessment: Assessment, *, actor: User) -> None:
    """Accept the answers: lock them and record the score (the mean over its questionnaires,
    the worst floor, the highest inherent risk)."""
    if assessment.status_enum not in (Status.SUBMITTED, Status.IN_REVIEW):
        raise AssessmentError("Only submitted answers can be accepted.")
    parts = scored(assessment)
    assessment.score = round(sum(p.result.score for p in parts) / len(parts), 2)
    floors = [p.result.floor for p in parts if p.result.floor]
    assessment.score_floor = floors[0] if floors else None
    inherent = [p.result.inherent for p in parts if p.result.inherent is not None]
    assessment.inherent_risk = max(inherent) if inherent else None
    assessment.status = Status.COMPLETED.value
    assessment.completed_at = utcnow()
    revoke_links(assessment, actor=None)
    audit.record("assessment.completed", actor=actor, target=assessment_target(assessment),
                 summary=f"Completed with risk score {assessment.score:g}"
                         + (f" ({assessment.score_floor} gate)" if assessment.score_floor
                            else ""))
    assessment_completed.send(assessment, actor=actor)


def reopen(assessment: Assessment, *, actor: User, due_date: dt.date,
           link_days: int) -> tuple[Assessment, str]:
    """A new revision with the same questionnaires and a copy of the answers; the completed
    revision stays as it was."""
    if assessment.status_enum is not Status.COMPLETED:
        raise AssessmentError("Only a completed assessment can be reopened.")
    revision = Assessment(
        vendor=assessment.vendor, status=Status.SENT.value, due_date=due_date,
        respondent_name=assessment.respondent_name,
        respondent_email=assessment.respondent_email, revision=assessment.revision + 1,
        previous_id=assessment.id, created_by_id=actor.id,
        questionnaires=[AssessmentQuestionnaire(questionnaire_version_id=e.questionnaire_version_id,
                                                position=e.position)
                        for e in assessment.questionnaires])
    db.session.add(revision)
    db.session.flush()
    for entry in assessment.questionnaires:
        for record in _records(assessment, entry).values():
            db.session.add(AnswerRecord(assessment_id=revision.id,
                                        questionnaire_version_id=record.questionnaire_version_id,
                                        question_id=record.question_id, data=record.data))
    token = _new_link(revision, days=link_days)
    audit.record("assessment.reopened", actor=actor, target=assessment_target(revision),
                 summary=f"Revision {revision.revision} opened from revision "
                         f"{assessment.revision}")
    return revision, token


def cancel(assessment: Assessment, *, actor: User) -> None:
    if assessment.status_enum is Status.COMPLETED:
        raise AssessmentError("A completed assessment cannot be cancelled; reopen it instead.")
    assessment.status = Status.CANCELLED.value
    revoke_links(assessment, actor=None)
    audit.record("assessment.cancelled", actor=actor, target=assessment_target(assessment))


def assessments_of(vendor: Vendor) -> list[Assessment]:
    return list(db.session.scalars(select(Assessment).where(Assessment.vendor_id == vendor.id)
                                   .order_by(Assessment.created_at.desc())))


def recent(limit: int = 100) -> list[Assessment]:
    """The assessments with the latest activity, their vendors loaded in the same round."""
    return list(db.session.scalars(select(Assessment).options(selectinload(Assessment.vendor))
                                   .order_by(Assessment.last_activity_at.desc()).limit(limit)))


def clarifications_by_question(assessment: Assessment) -> dict[tuple[int, str], list[Any]]:
    found: dict[tuple[int, str], list[Any]] = {}
    for c in db.session.scalars(select(Clarification).where(
            Clarification.assessment_id == assessment.id).order_by(Clarification.requested_at)):
        found.setdefault((c.questionnaire_version_id, c.question_id), []).append(c)
    return found
