"""Figures for the dashboard, each from one query whatever the size of the inventory.

The dashboard shows the working inventory: archived vendors, and their assessments and
findings, are left out, as they are from the vendor list. Every figure is counted or limited
in SQL, with two exceptions that still take a fixed number of queries: the PHI vendors' BAAs,
read in one query and judged by the same pure function as everywhere (a BAA's standing
depends on the calendar), and the deadlines, gathered as the deadlines page gathers them.
What the template gets (plain dataclasses, deadlines, and audit events, which have no
relationships) cannot load anything more as it renders.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select

from riskapp.agreements.models import TERM_COLUMNS, Agreement
from riskapp.agreements.status import baa_state
from riskapp.assessments.models import OPEN, Assessment, Status
from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.memo import until_data_changes
from riskapp.reminders import services as reminders
from riskapp.reminders.rules import Deadline
from riskapp.scans.models import FindingAcceptance, Scan, ScanFinding, ScanStatus
from riskapp.scoring.models import VendorScore
from riskapp.vendors.models import Category, Criticality, Vendor, VendorStatus
from riskapp.vendors.services import count_by
from scanners.findings import Severity

LIST_SIZE = 10  # rows in each of the dashboard's lists
DEADLINES_SHOWN = 5  # the next upcoming deadlines listed; the deadlines page has them all
DEADLINE_DAYS = 90  # how far ahead "upcoming" looks, as on the deadlines page
ALARMING = (Severity.CRITICAL, Severity.HIGH)  # the severities the findings list shows
# The audit events the dashboard shows every role: work on vendors, their assessments, scans
# and findings, and questionnaires. Sign-ins and account changes stay in the audit log, which
# only administrators may read.
ACTIVITY_PREFIXES = ("vendor.", "assessment.", "scan.", "finding.", "questionnaire.")


class RiskTier(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    NOT_SCORED = "not_scored"

    @property
    def label(self) -> str:
        return "Not scored" if self is RiskTier.NOT_SCORED else self.value.capitalize()


def tier_rules() -> str:
    """Say in words where the tiers come from, for the page that shows them."""
    return ("each vendor's latest stored risk score, rated by the scoring profile it was "
            "computed with (see the vendor's page for every point of it)")


@dataclass(frozen=True)
class TierRow:
    """One category's working vendors, counted by the tier of their latest score."""

    category: Category
    counts: dict[RiskTier, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class TierTable:
    rows: list[TierRow]

    @property
    def tiers(self) -> tuple[RiskTier, ...]:
        return tuple(RiskTier)

    @property
    def rules(self) -> str:
        return tier_rules()

    @property
    def totals(self) -> dict[RiskTier, int]:
        return {tier: sum(row.counts[tier] for row in self.rows) for tier in RiskTier}

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)


@dataclass(frozen=True)
class OverdueAssessment:
    assessment_id: int
    vendor_id: int
    vendor_name: str
    due_date: dt.date
    days_overdue: int


@dataclass(frozen=True)
class AlarmingFinding:
    """A high or critical finding in a vendor's latest finished scan, its risk not accepted."""

    vendor_id: int
    vendor_name: str
    scan_id: int
    title: str
    severity: Severity
    target: str
    found_at: dt.datetime


@dataclass(frozen=True)
class BaaCounts:
    """The working PHI vendors by the standing of their BAA today."""

    in_force: int = 0
    pending: int = 0  # requested, in negotiation, or signed and not yet in effect
    missing_or_lapsed: int = 0  # missing, expired, terminated, or refused by the vendor
    not_required: int = 0  # the officer recorded that none is needed


@dataclass(frozen=True)
class DeadlinePanel:
    today: dt.date
    overdue: int
    upcoming: int  # due within ``days``
    next: list[Deadline]  # the first DEADLINES_SHOWN of them
    days: int = DEADLINE_DAYS


@dataclass(frozen=True)
class Dashboard:
    handling_phi: int
    baa: BaaCounts
    deadlines: DeadlinePanel
    tiers: TierTable
    by_criticality: list[tuple[Criticality, int]]
    by_status: list[tuple[VendorStatus, int]]
    assessments_by_status: list[tuple[Status, int]]
    overdue_total: int
    overdue: list[OverdueAssessment]
    findings: list[AlarmingFinding]
    activity: list[AuditEvent]


def dashboard(today: dt.date) -> Dashboard:
    """Gather everything the dashboard shows; ``today`` decides what is overdue.

    All but the recent activity is counted over the whole inventory, so it is kept until the
    data changes (see :mod:`riskapp.memo`): at ten thousand vendors the counting takes a few
    hundred milliseconds, and the dashboard is the page everyone opens first.
    """
    counted = until_data_changes("dashboard", today, lambda: count_everything(today))
    return replace(counted, activity=recent_activity())


def count_everything(today: dt.date) -> Dashboard:
    """The dashboard, but for its recent activity."""
    by_criticality = count_by(Vendor.criticality)
    by_status = count_by(Vendor.status)
    phi = handling_phi()
    return Dashboard(
        handling_phi=phi,
        baa=baa_counts(today, phi),
        deadlines=deadline_panel(today),
        tiers=tier_table(),
        by_criticality=[(c, by_criticality.get(c.value, 0)) for c in reversed(Criticality)],
        by_status=[(s, by_status.get(s.value, 0)) for s in VendorStatus],
        assessments_by_status=assessments_by_status(),
        overdue_total=overdue_count(today),
        overdue=most_overdue(today),
        findings=alarming_findings(),
        activity=[],
    )


def handling_phi() -> int:
    """How many working vendors store, process or transmit PHI."""
    return db.session.scalar(
        select(func.count()).select_from(Vendor).where(
            Vendor.archived_at.is_(None),
            or_(Vendor.stores_phi, Vendor.processes_phi, Vendor.transmits_phi),
        )
    ) or 0


def baa_counts(today: dt.date, handling_phi: int) -> BaaCounts:
    """Count the ``handling_phi`` working PHI vendors by their BAA's standing on ``today``,
    from one query of their agreements' columns."""
    rows = db.session.execute(
        select(*TERM_COLUMNS)
        .join(Vendor, Vendor.id == Agreement.vendor_id)
        .where(Vendor.archived_at.is_(None),
               or_(Vendor.stores_phi, Vendor.processes_phi, Vendor.transmits_phi))
    )
    counts = dict.fromkeys(("in_force", "pending", "missing_or_lapsed", "not_required"), 0)
    recorded = 0
    for agreement in rows:
        recorded += 1
        state = baa_state(agreement, handles_phi=True, today=today)
        if state.in_force:
            counts["in_force"] += 1
        elif not state.required:
            counts["not_required"] += 1
        elif state.scoring_status == "pending":
            counts["pending"] += 1
        else:
            counts["missing_or_lapsed"] += 1
    # A PHI vendor with no agreement recorded has a BAA missing.
    counts["missing_or_lapsed"] += handling_phi - recorded
    return BaaCounts(**counts)


def deadline_panel(today: dt.date) -> DeadlinePanel:
    agenda = reminders.agenda(today, horizon_days=DEADLINE_DAYS)
    return DeadlinePanel(today, len(agenda.overdue), len(agenda.upcoming),
                         agenda.upcoming[:DEADLINES_SHOWN])


def tier_table() -> TierTable:
    """Count working vendors by category and the tier of their latest score, in one query."""
    ranked = (
        select(
            VendorScore.vendor_id, VendorScore.tier,
            func.row_number().over(
                partition_by=VendorScore.vendor_id,
                order_by=(VendorScore.computed_at.desc(), VendorScore.id.desc()),
            ).label("position"),
        )
        .subquery()
    )
    latest = select(ranked).where(ranked.c.position == 1).subquery()
    rated = (
        select(Vendor.category.label("category"),
               func.coalesce(latest.c.tier, RiskTier.NOT_SCORED.value).label("tier"))
        .outerjoin(latest, latest.c.vendor_id == Vendor.id)
        .where(Vendor.archived_at.is_(None))
        .subquery()
    )
    counts: dict[tuple[str, str], int] = {
        (category, tier): count for category, tier, count in db.session.execute(
            select(rated.c.category, rated.c.tier, func.count())
            .group_by(rated.c.category, rated.c.tier))
    }
    return TierTable([
        TierRow(category, {tier: counts.get((category.value, tier.value), 0)
                           for tier in RiskTier})
        for category in Category
    ])


def _working(vendor_id: ColumnElement[int]) -> ColumnElement[bool]:
    """True where the vendor ``vendor_id`` names is in the working inventory."""
    return exists().where(Vendor.id == vendor_id, Vendor.archived_at.is_(None))


def assessments_by_status() -> list[tuple[Status, int]]:
    counts = dict(db.session.execute(
        select(Assessment.status, func.count())
        .where(_working(Assessment.vendor_id))
        .group_by(Assessment.status)
    ).all())
    return [(status, counts.get(status.value, 0)) for status in Status]


def _overdue(today: dt.date) -> ColumnElement[bool]:
    """Open (not yet submitted, or sent back for clarification) and past its due date, as
    :meth:`Assessment.is_overdue` says."""
    return and_(Assessment.status.in_(sorted(status.value for status in OPEN)),
                Assessment.due_date < today)


def overdue_count(today: dt.date) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Assessment)
        .where(_overdue(today), _working(Assessment.vendor_id))
    ) or 0


def overdue_by_vendor(today: dt.date) -> dict[int, int]:
    """How many overdue assessments each vendor has, by vendor id (none: not in the dict)."""
    rows = db.session.execute(select(Assessment.vendor_id, func.count())
                              .where(_overdue(today)).group_by(Assessment.vendor_id))
    return dict(rows.all())


def most_overdue(today: dt.date, limit: int = LIST_SIZE) -> list[OverdueAssessment]:
    """The overdue assessments of working vendors, longest overdue first."""
    rows = db.session.execute(
        select(Assessment.id, Vendor.id, Vendor.name, Assessment.due_date)
        .join(Vendor, Vendor.id == Assessment.vendor_id)
        .where(_overdue(today), Vendor.archived_at.is_(None))
        .order_by(Assessment.due_date, Assessment.id)
        .limit(limit)
    )
    return [OverdueAssessment(assessment_id, vendor_id, name, due, (today - due).days)
            for assessment_id, vendor_id, name, due in rows]


def _severity_rank(severity: ColumnElement[str]) -> ColumnElement[int]:
    return case({s.value: s.rank for s in Severity}, value=severity, else_=-1)


def alarming_findings(limit: int = LIST_SIZE,
                      severities: Sequence[Severity] = ALARMING) -> list[AlarmingFinding]:
    """The high and critical findings vendors have now, newest scan first.

    A vendor's findings now are those of its latest finished scan, as its page shows them;
    older scans' findings are history. Findings whose risk an officer accepted are left out.
    """
    ranked = (
        select(Scan.id, Scan.vendor_id, Scan.finished_at,
               func.row_number().over(
                   partition_by=Scan.vendor_id,
                   order_by=(Scan.finished_at.desc().nulls_last(), Scan.id.desc()),
               ).label("position"))
        .where(Scan.status == ScanStatus.DONE.value)
        .subquery()
    )
    accepted = exists().where(FindingAcceptance.vendor_id == ranked.c.vendor_id,
                              FindingAcceptance.fingerprint == ScanFinding.fingerprint)
    rows = db.session.execute(
        select(Vendor.id, Vendor.name, ranked.c.id, ScanFinding.title, ScanFinding.severity,
               ScanFinding.target, ranked.c.finished_at)
        .select_from(ranked)
        .join(ScanFinding, ScanFinding.scan_id == ranked.c.id)
        .join(Vendor, Vendor.id == ranked.c.vendor_id)
        .where(ranked.c.position == 1, Vendor.archived_at.is_(None),
               ScanFinding.severity.in_([s.value for s in severities]), ~accepted)
        .order_by(ranked.c.finished_at.desc().nulls_last(),
                  _severity_rank(ScanFinding.severity).desc(), ScanFinding.id)
        .limit(limit)
    )
    return [AlarmingFinding(vendor_id, vendor_name, scan_id, title, Severity(severity), target,
                            found_at)
            for vendor_id, vendor_name, scan_id, title, severity, target, found_at in rows]


def recent_activity(limit: int = LIST_SIZE) -> list[AuditEvent]:
    """The latest audit events about the inventory's work, newest first."""
    return list(db.session.scalars(
        select(AuditEvent)
        .where(or_(*(AuditEvent.action.startswith(prefix, autoescape=True)
                     for prefix in ACTIVITY_PREFIXES)))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ))
