"""Rate vendors from what the database knows of them, and keep every rating.

Each rating is stored as a :class:`VendorScore` with the profile's id, version and hash, so a
new profile never rewrites history: only rescoring (an explicit, audited action, or a completed
assessment or finished scan of that vendor) adds a newer rating. Services flush; the caller
commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import selectinload

from riskapp.accounts.models import User
from riskapp.agreements import services as agreements
from riskapp.agreements.models import TERM_COLUMNS, Agreement, BaaStatus
from riskapp.agreements.status import baa_state
from riskapp.assessments import services as assessments
from riskapp.assessments.models import (
    AnswerRecord,
    Assessment,
    AssessmentQuestionnaire,
    Status,
)
from riskapp.assessments.services import ScoredQuestionnaire
from riskapp.audit import services as audit
from riskapp.database import db
from riskapp.questionnaires.answers import Answer
from riskapp.scans.models import FindingAcceptance, Scan, ScanStatus
from riskapp.scoring.engine import (
    AnswerShare,
    AssessmentResult,
    FindingFact,
    Inputs,
    ScanResult,
    VendorFacts,
    rate,
)
from riskapp.scoring.models import VendorScore
from riskapp.scoring.profile import DEFAULT_PROFILE, Profile, ProfileError, load_profile
from riskapp.vendors.models import Vendor
from riskapp.vendors.services import vendor_target

log = logging.getLogger(__name__)
HISTORY_SIZE = 10
RESCORE_BATCH = 500  # vendors whose inputs one round of queries reads


def init_scoring(app: Flask) -> None:
    """Rescore a vendor whenever one of its assessments is completed."""
    app.config.setdefault("SCORING_PROFILE", DEFAULT_PROFILE)
    assessments.assessment_completed.connect(_on_assessment_completed)
    agreements.agreement_changed.connect(_on_agreement_changed)


def current_profile() -> Profile:
    """The profile new ratings use. :raises ProfileError: when its file has mistakes."""
    return load_profile(Path(current_app.config.get("SCORING_PROFILE") or DEFAULT_PROFILE))


# --- gathering the inputs --------------------------------------------------------------------


def latest_completed_assessment(vendor: Vendor) -> Assessment | None:
    return db.session.scalar(
        select(Assessment)
        .where(Assessment.vendor_id == vendor.id, Assessment.status == Status.COMPLETED.value)
        .order_by(Assessment.completed_at.desc().nulls_last(), Assessment.id.desc()).limit(1))


def latest_finished_scan(vendor: Vendor) -> Scan | None:
    return db.session.scalar(
        select(Scan).where(Scan.vendor_id == vendor.id, Scan.status == ScanStatus.DONE.value)
        .options(selectinload(Scan.findings))
        .order_by(Scan.finished_at.desc().nulls_last(), Scan.id.desc()).limit(1))


def assessment_result(assessment: Assessment,
                      parts: list[ScoredQuestionnaire]) -> AssessmentResult:
    """The recorded score, floor and intake risk, explained by each answer's share of
    ``parts``, the assessment scored again."""
    count = len(parts) or 1
    answers = tuple(
        AnswerShare(part.questionnaire.title, c.question_id, c.question, c.answer,
                    c.share / count, c.citation)
        for part in parts for c in part.result.explained)
    critical = tuple(f"{f.question}: {f.answer}" for part in parts for f in part.result.findings
                     if f.finding.severity == "critical")
    return AssessmentResult(assessment.id, assessment.score or 0.0, assessment.score_floor,
                            assessment.inherent_risk, answers, critical)


def scan_result(scan: Scan, accepted: Mapping[str, FindingAcceptance]) -> ScanResult:
    """The scan's findings, each with the officer's acceptance of its risk (``accepted``, the
    vendor's acceptances by fingerprint)."""
    return ScanResult(scan.id, tuple(
        FindingFact(f.id, f.finding_id, f.title, f.severity, f.target,
                    accepted[f.fingerprint].reason if f.fingerprint in accepted else None)
        for f in scan.findings_by_severity))


def gather(vendor: Vendor) -> tuple[Inputs, Assessment | None, Scan | None]:
    """The engine's inputs for ``vendor``, with the assessment and scan they came from."""
    return gather_all([vendor])[0]


def gather_all(vendors: Sequence[Vendor]) -> list[tuple[Inputs, Assessment | None, Scan | None]]:
    """:func:`gather` for each of ``vendors``, in order, read in a few queries for them all
    rather than a dozen for each.

    The BAA reads as the rating reads it today: ``signed`` (and in force), ``not_required``,
    or one of ``missing``, ``pending``, ``expired``, ``terminated`` and ``refused``, which rate
    a PHI vendor critical when the profile's ``phi_without_baa`` gate is on.
    """
    ids = [vendor.id for vendor in vendors]
    assessments_by_vendor = _latest_completed_assessments(ids)
    scans_by_vendor = _latest_finished_scans(ids)
    saved = _answers_by_assessment([a.id for a in assessments_by_vendor.values()])
    accepted = _acceptances_by_vendor(list(scans_by_vendor))  # read for scanned ones only
    terms_by_vendor = {terms.vendor_id: terms for terms in db.session.execute(
        select(*TERM_COLUMNS).where(Agreement.vendor_id.in_(ids)))}
    today = agreements.today()
    gathered = []
    for vendor in vendors:
        assessment = assessments_by_vendor.get(vendor.id)
        scan = scans_by_vendor.get(vendor.id)
        facts = VendorFacts(vendor.category, vendor.criticality, vendor.stores_phi,
                            vendor.processes_phi, vendor.transmits_phi)
        result = (assessment_result(assessment,
                                    assessments.scored(assessment, saved.get(assessment.id, {})))
                  if assessment else None)
        scanned = scan_result(scan, accepted.get(vendor.id, {})) if scan else None
        baa = baa_state(terms_by_vendor.get(vendor.id), handles_phi=vendor.handles_phi,
                        today=today).scoring_status
        gathered.append((Inputs(facts, result, scanned, baa), assessment, scan))
    return gathered


def _latest_ids(rows: Iterable[Row[tuple[int, int]]]) -> dict[int, int]:
    """The first id of each vendor in ``(vendor id, id)`` rows ordered newest first."""
    latest: dict[int, int] = {}
    for vendor_id, row_id in rows:
        latest.setdefault(vendor_id, row_id)
    return latest


def _latest_completed_assessments(vendor_ids: list[int]) -> dict[int, Assessment]:
    """:func:`latest_completed_assessment` of each vendor, with its questionnaires."""
    latest = _latest_ids(db.session.execute(
        select(Assessment.vendor_id, Assessment.id)
        .where(Assessment.vendor_id.in_(vendor_ids),
               Assessment.status == Status.COMPLETED.value)
        .order_by(Assessment.vendor_id, Assessment.completed_at.desc().nulls_last(),
                  Assessment.id.desc())))
    if not latest:
        return {}
    loaded = {assessment.id: assessment for assessment in db.session.scalars(
        select(Assessment).where(Assessment.id.in_(latest.values()))
        .options(selectinload(Assessment.questionnaires)
                 .selectinload(AssessmentQuestionnaire.version)))}
    return {vendor_id: loaded[assessment_id] for vendor_id, assessment_id in latest.items()}


def _latest_finished_scans(vendor_ids: list[int]) -> dict[int, Scan]:
    """:func:`latest_finished_scan` of each vendor, with its findings."""
    latest = _latest_ids(db.session.execute(
        select(Scan.vendor_id, Scan.id)
        .where(Scan.vendor_id.in_(vendor_ids), Scan.status == ScanStatus.DONE.value)
        .order_by(Scan.vendor_id, Scan.finished_at.desc().nulls_last(), Scan.id.desc())))
    if not latest:
        return {}
    loaded = {scan.id: scan for scan in db.session.scalars(
        select(Scan).where(Scan.id.in_(latest.values())).options(selectinload(Scan.findings)))}
    return {vendor_id: loaded[scan_id] for vendor_id, scan_id in latest.items()}


def _answers_by_assessment(assessment_ids: list[int]
                           ) -> dict[int, dict[int, dict[str, Answer]]]:
    """Every saved answer of the assessments, by assessment and questionnaire version."""
    found: dict[int, dict[int, dict[str, Answer]]] = {}
    if not assessment_ids:
        return found
    for assessment_id, version_id, question_id, data in db.session.execute(
            select(AnswerRecord.assessment_id, AnswerRecord.questionnaire_version_id,
                   AnswerRecord.question_id, AnswerRecord.data)
            .where(AnswerRecord.assessment_id.in_(assessment_ids))):
        found.setdefault(assessment_id, {}).setdefault(version_id, {})[question_id] = \
            Answer.from_json(data)
    return found


def _acceptances_by_vendor(vendor_ids: list[int]) -> dict[int, dict[str, FindingAcceptance]]:
    """:func:`~riskapp.scans.services.acceptances_by_fingerprint` of each vendor."""
    found: dict[int, dict[str, FindingAcceptance]] = {}
    if not vendor_ids:
        return found
    for row in db.session.scalars(select(FindingAcceptance)
                                  .where(FindingAcceptance.vendor_id.in_(vendor_ids))):
        found.setdefault(row.vendor_id, {})[row.fingerprint] = row
    return found


# --- storing ratings ------------------------------------------------------------------------


def score_vendor(vendor: Vendor, *, actor: User | None, reason: str,
                 profile: Profile | None = None) -> VendorScore:
    """Rate ``vendor`` now with ``profile`` (the current one by default) and store it."""
    profile = profile or current_profile()
    inputs, assessment, scan = gather(vendor)
    return _store(vendor, inputs, assessment, scan, profile=profile, actor=actor, reason=reason)


def _store(vendor: Vendor, inputs: Inputs, assessment: Assessment | None, scan: Scan | None, *,
           profile: Profile, actor: User | None, reason: str) -> VendorScore:
    """Rate ``inputs`` with ``profile``, store the rating and audit it."""
    risk = rate(inputs, profile)
    row = VendorScore(
        vendor_id=vendor.id, score=risk.score, tier=risk.tier, assessed=risk.assessed,
        profile_id=profile.id, profile_version=profile.version,
        profile_hash=profile.content_hash, assessment_id=assessment.id if assessment else None,
        scan_id=scan.id if scan else None, reason=reason[:200],
        computed_by_id=actor.id if actor else None, explanation=risk.to_json())
    db.session.add(row)
    db.session.flush()
    audit.record("vendor.scored", actor=actor, actor_label=None if actor else "riskapp",
                 target=vendor_target(vendor),
                 summary=f"Scored {risk.score:g} ({risk.tier}) with profile {profile.label} "
                         f"({reason})",
                 changes={"score": risk.score, "tier": risk.tier, "profile": profile.label,
                          "profile_hash": profile.content_hash})
    return row


def rescore(vendors: Iterable[Vendor], *, actor: User | None,
            reason: str = "rescored") -> list[VendorScore]:
    """Rate each vendor again with the current profile (read once for all of them), their
    inputs read :data:`RESCORE_BATCH` vendors at a time."""
    profile = current_profile()
    listed = list(vendors)
    stored = []
    for start in range(0, len(listed), RESCORE_BATCH):
        batch = listed[start:start + RESCORE_BATCH]
        for vendor, (inputs, assessment, scan) in zip(batch, gather_all(batch), strict=True):
            stored.append(_store(vendor, inputs, assessment, scan, profile=profile,
                                 actor=actor, reason=reason))
    return stored


def working_vendors() -> list[Vendor]:
    return list(db.session.scalars(select(Vendor).where(Vendor.archived_at.is_(None))
                                   .order_by(Vendor.id)))


def score_quietly(vendor: Vendor, *, actor: User | None, reason: str) -> VendorScore | None:
    """Rescore after an event (a completion, a scan): a broken profile is logged, and must
    not undo the event itself."""
    try:
        return score_vendor(vendor, actor=actor, reason=reason)
    except ProfileError as error:
        log.error("vendor %s not rescored: the scoring profile has errors:\n%s", vendor.id,
                  error)
        return None


def rescore_after_scan(scan_id: int) -> None:
    scan = db.session.get(Scan, scan_id)
    if scan is not None and scan.status_enum is ScanStatus.DONE:
        score_quietly(scan.vendor, actor=None, reason=f"scan #{scan.id} finished")


def _on_agreement_changed(vendor: Vendor, **extra: Any) -> None:
    score_quietly(vendor, actor=extra.get("actor"), reason="BAA or contract changed")


def rescore_lapsed_baas(on: date) -> list[VendorScore]:
    """Rescore each vendor whose signed BAA expired, or took effect, since its last rating
    (run daily): the calendar, not an officer, changed its standing."""
    candidates = db.session.execute(
        select(Vendor, Agreement).join(Agreement, Agreement.vendor_id == Vendor.id)
        .where(Vendor.archived_at.is_(None), Agreement.baa_status == BaaStatus.SIGNED.value,
               or_(and_(Agreement.baa_expires_on < on, Agreement.baa_auto_renews.is_(False)),
                   Agreement.baa_effective_on <= on))).all()
    last_rated = dict(db.session.execute(
        select(VendorScore.vendor_id, func.max(VendorScore.computed_at))
        .where(VendorScore.vendor_id.in_([vendor.id for vendor, _ in candidates]))
        .group_by(VendorScore.vendor_id)).all()) if candidates else {}
    rescored = []
    for vendor, agreement in candidates:
        change = _baa_turning_point(agreement, on)
        rated = last_rated.get(vendor.id)
        if change is None or (rated is not None and _as_date(rated) >= change[0]):
            continue
        row = score_quietly(vendor, actor=None, reason=change[1])
        if row is not None:
            rescored.append(row)
    return rescored


def _as_date(moment: datetime) -> date:
    """The UTC day of a stored timestamp (SQLite hands back naive UTC ones from func.max)."""
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _baa_turning_point(agreement: Agreement, on: date) -> tuple[date, str] | None:
    """The latest day up to ``on`` the BAA came into force or lapsed, and what happened."""
    changes = []
    if agreement.baa_effective_on:
        changes.append((agreement.baa_effective_on,
                        f"BAA took effect on {agreement.baa_effective_on.isoformat()}"))
    if agreement.baa_expires_on and not agreement.baa_auto_renews:
        changes.append((agreement.baa_expires_on + timedelta(days=1),
                        f"BAA expired on {agreement.baa_expires_on.isoformat()}"))
    passed = [change for change in changes if change[0] <= on]
    return max(passed, default=None)


def _on_assessment_completed(assessment: Assessment, **extra: Any) -> None:
    score_quietly(assessment.vendor, actor=extra.get("actor"),
                  reason=f"assessment #{assessment.id} completed")


# --- reading ratings ------------------------------------------------------------------------


def latest_score(vendor: Vendor) -> VendorScore | None:
    return db.session.scalar(select(VendorScore).where(VendorScore.vendor_id == vendor.id)
                             .order_by(VendorScore.computed_at.desc(), VendorScore.id.desc())
                             .limit(1))


def score_history(vendor: Vendor, limit: int = HISTORY_SIZE) -> list[VendorScore]:
    """The vendor's ratings, newest first."""
    return list(db.session.scalars(
        select(VendorScore).where(VendorScore.vendor_id == vendor.id)
        .order_by(VendorScore.computed_at.desc(), VendorScore.id.desc()).limit(limit)))
