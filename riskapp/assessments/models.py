"""Assessments: a vendor answering published questionnaires through a share link."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskapp.database import UTCDateTime, db, utcnow
from riskapp.questionnaires.models import QuestionnaireVersion
from riskapp.vendors.models import Vendor


class Status(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CLARIFICATION = "clarification"  # the officer asked the vendor to clarify some answers
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"in_progress": "In progress", "in_review": "In review",
                "clarification": "Clarification requested"}.get(self.value,
                                                                 self.value.capitalize())


# Where the vendor may change answers: before submitting, and when asked to clarify.
VENDOR_EDITABLE = frozenset({Status.SENT, Status.IN_PROGRESS, Status.CLARIFICATION})
OPEN = frozenset({Status.DRAFT, Status.SENT, Status.IN_PROGRESS, Status.CLARIFICATION})


class Assessment(db.Model):
    """One round of a vendor's answers. Reopening a completed one makes a new revision
    (``previous``); the completed one stays as it was."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"),
                                           index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default=Status.DRAFT.value)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    respondent_name: Mapped[str] = mapped_column(String(200))
    respondent_email: Mapped[str] = mapped_column(String(254))
    revision: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attestation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)
    score_floor: Mapped[str | None] = mapped_column(String(20))
    inherent_risk: Mapped[float | None] = mapped_column(Float)

    vendor: Mapped[Vendor] = relationship()
    questionnaires: Mapped[list[AssessmentQuestionnaire]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan",
        order_by="AssessmentQuestionnaire.position")

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    def is_overdue(self, today: date) -> bool:
        return self.status_enum in OPEN and self.due_date < today


class AssessmentQuestionnaire(db.Model):
    """A published questionnaire version an assessment was sent with."""

    __tablename__ = "assessment_questionnaires"
    # Named by hand: the convention's names pass PostgreSQL's 63-character limit.
    __table_args__ = (UniqueConstraint("assessment_id", "questionnaire_version_id",
                                       name="uq_assessment_questionnaires_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey(
        "questionnaire_versions.id", ondelete="RESTRICT",
        name="fk_assessment_questionnaires_version"))
    position: Mapped[int] = mapped_column(default=0)

    assessment: Mapped[Assessment] = relationship(back_populates="questionnaires")
    version: Mapped[QuestionnaireVersion] = relationship()


class AnswerRecord(db.Model):
    """One question's answer (:class:`riskapp.questionnaires.answers.Answer` as JSON).

    ``revision`` counts saves, so two people editing at once are told, not overwritten.
    """

    __tablename__ = "assessment_answers"
    __table_args__ = (UniqueConstraint("assessment_id", "questionnaire_version_id",
                                       "question_id", name="uq_assessment_answers_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey(
        "questionnaire_versions.id", ondelete="RESTRICT", name="fk_assessment_answers_version"))
    question_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShareLink(db.Model):
    """The vendor's way in: only the SHA-256 of the token is kept."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assessment: Mapped[Assessment] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class Clarification(db.Model):
    """An officer's question about one answer; open until the vendor resubmits."""

    __tablename__ = "clarifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey(
        "questionnaire_versions.id", ondelete="RESTRICT", name="fk_clarifications_version"))
    question_id: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EvidenceFile(db.Model):
    """A file a vendor attached to an answer; the bytes live in the instance folder under
    their SHA-256 (see :mod:`riskapp.assessments.evidence`)."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey(
        "questionnaire_versions.id", ondelete="RESTRICT", name="fk_evidence_files_version"))
    question_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
