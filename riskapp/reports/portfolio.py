"""What the leadership portfolio report says, gathered once for the PDF, the page and exports.

Every figure comes from a handful of queries whatever the size of the inventory: each working
vendor's latest score, its latest score before the quarter began and its latest decision are
picked in SQL with a window function, and its BAA is read in the same query, never one query
per vendor; the BAA's standing on the day is judged by the same pure function the vendor page
uses. Archived vendors are left out, as they are from the dashboard. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from sqlalchemy import Select, func, select

from riskapp.agreements.models import Agreement, Decision, VendorDecision
from riskapp.agreements.status import BaaState, DecisionStanding, baa_state, decision_standing
from riskapp.dashboard import services as dashboard
from riskapp.dashboard.services import OverdueAssessment, RiskTier
from riskapp.database import db
from riskapp.reminders import services as reminders
from riskapp.scoring.models import VendorScore
from riskapp.vendors.models import Vendor

TOP_RISKS = 10  # contributions listed in "top risks across vendors"
OVERDUE_LISTED = 20
PHI_KINDS = ("stores", "processes", "transmits")
DEADLINE_DAYS = 90  # how far ahead the deadlines table looks


@dataclass(frozen=True)
class PortfolioVendor:
    """One working vendor with its latest score and its score when the quarter began."""

    vendor_id: int
    name: str
    category: str
    criticality: str
    status: str
    phi: str  # "stores, processes" or "" when the vendor handles no PHI
    score: float | None
    tier: str  # a :class:`RiskTier` value, ``not_scored`` without a score
    scored_at: dt.datetime | None
    previous_score: float | None  # its latest score stored before the quarter began
    overdue_assessments: int
    baa_state: BaaState
    standing: DecisionStanding  # its latest decision's

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous_score is None:
            return None
        return round(self.score - self.previous_score, 2)

    @property
    def baa(self) -> str:
        return self.baa_state.label

    @property
    def baa_note(self) -> str:
        return self.baa_state.note


@dataclass(frozen=True)
class TopRisk:
    """One contribution of a vendor's latest score, among the largest across the portfolio."""

    vendor_id: int
    vendor_name: str
    tier: str
    points: float
    label: str
    detail: str
    source: str
    reference: str


@dataclass(frozen=True)
class Movement:
    """How the vendors' scores moved since ``since``, the first day of this quarter."""

    since: dt.date
    up: int = 0
    down: int = 0
    same: int = 0
    mean_change: float | None = None  # None: no vendor has a score from before ``since``

    @property
    def compared(self) -> int:
        return self.up + self.down + self.same


@dataclass(frozen=True)
class Portfolio:
    generated: dt.datetime
    vendors: list[PortfolioVendor]
    tiers: dict[RiskTier, int]
    top_risks: list[TopRisk]
    overdue_total: int
    overdue: list[OverdueAssessment]
    movement: Movement
    deadlines: reminders.Agenda  # overdue (up to a year back) and due in DEADLINE_DAYS

    @property
    def today(self) -> dt.date:
        return self.generated.date()

    @property
    def deadline_days(self) -> int:
        return DEADLINE_DAYS

    @property
    def deadline_horizon(self) -> dt.date:
        return self.today + dt.timedelta(days=DEADLINE_DAYS)

    @property
    def phi_vendors(self) -> list[PortfolioVendor]:
        """The vendors that store, process or transmit PHI."""
        return [v for v in self.vendors if v.phi]

    @property
    def phi_without_baa(self) -> list[PortfolioVendor]:
        """PHI vendors whose BAA is not in force, whatever its status (one recorded as not
        required included: leadership sees every PHI vendor without a BAA)."""
        return [v for v in self.vendors if v.phi and not v.baa_state.in_force]

    @property
    def needing_attention(self) -> list[PortfolioVendor]:
        """Vendors whose latest decision needs attention: approved for PHI with a BAA that is
        no longer in force, or conditions not met by their date."""
        return [v for v in self.vendors if v.standing.needs_attention]


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def portfolio(*, now: dt.datetime | None = None) -> Portfolio:
    """Everything the portfolio report shows, as of ``now`` (default: this moment, UTC)."""
    generated = now or dt.datetime.now(dt.UTC)
    today = generated.date()
    since = quarter_start(today)
    cutoff = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    latest = _latest_scores()
    previous = {vendor_id: score for vendor_id, score, *_ in _latest_scores(before=cutoff)}
    overdue_by_vendor = dashboard.overdue_by_vendor(today)
    vendors, explanations = [], []
    for vendor, agreement, decision, due, score, tier, scored_at, explanation in latest:
        state = baa_state(agreement, handles_phi=vendor.handles_phi, today=today)
        vendors.append(PortfolioVendor(
            vendor.id, vendor.name, vendor.category, vendor.criticality, vendor.status,
            ", ".join(k for k in PHI_KINDS if getattr(vendor, f"{k}_phi")),
            score, tier or RiskTier.NOT_SCORED.value, scored_at, previous.get(vendor.id),
            overdue_by_vendor.get(vendor.id, 0), state,
            decision_standing(Decision(decision) if decision else None, due, state, today)))
        if explanation:
            explanations.append((vendor.id, vendor.name, tier, explanation))
    tiers = dict.fromkeys(RiskTier, 0)
    for item in vendors:
        tiers[RiskTier(item.tier)] += 1
    return Portfolio(generated, vendors, tiers, _top_risks(explanations),
                     dashboard.overdue_count(today),
                     dashboard.most_overdue(today, OVERDUE_LISTED), _movement(vendors, since),
                     _deadlines(today))


def _deadlines(today: dt.date) -> reminders.Agenda:
    return reminders.agenda(today, horizon_days=DEADLINE_DAYS,
                            deadlines=reminders.collect_deadlines(today))


def _ranked_scores(before: dt.datetime | None) -> Any:
    """Each vendor's newest score (before ``before``, when given), as a subquery."""
    ranked = select(
        VendorScore.vendor_id, VendorScore.score, VendorScore.tier, VendorScore.computed_at,
        VendorScore.explanation,
        func.row_number().over(
            partition_by=VendorScore.vendor_id,
            order_by=(VendorScore.computed_at.desc(), VendorScore.id.desc()),
        ).label("position"))
    if before is not None:
        ranked = ranked.where(VendorScore.computed_at < before)
    sub = ranked.subquery()
    return select(sub).where(sub.c.position == 1).subquery()


def _latest_decisions() -> Any:
    """Each vendor's newest decision, as a subquery."""
    ranked = select(
        VendorDecision.vendor_id, VendorDecision.decision, VendorDecision.conditions_due_on,
        func.row_number().over(
            partition_by=VendorDecision.vendor_id,
            order_by=(VendorDecision.decided_at.desc(), VendorDecision.id.desc()),
        ).label("position")).subquery()
    return select(ranked).where(ranked.c.position == 1).subquery()


def _latest_scores(*, before: dt.datetime | None = None) -> list[Any]:
    """Rows of (vendor, agreement, decision, conditions due on, score, tier, computed_at,
    explanation) for every working vendor, by name, ``None`` where it has none; with
    ``before``, rows of (vendor id, score) for the vendors scored before it."""
    latest = _ranked_scores(before)
    if before is not None:
        query: Select[Any] = (select(latest.c.vendor_id, latest.c.score)
                              .join(Vendor, Vendor.id == latest.c.vendor_id)
                              .where(Vendor.archived_at.is_(None)))
        return list(db.session.execute(query))
    decided = _latest_decisions()
    return list(db.session.execute(
        select(Vendor, Agreement, decided.c.decision, decided.c.conditions_due_on,
               latest.c.score, latest.c.tier, latest.c.computed_at, latest.c.explanation)
        .outerjoin(Agreement, Agreement.vendor_id == Vendor.id)
        .outerjoin(decided, decided.c.vendor_id == Vendor.id)
        .outerjoin(latest, latest.c.vendor_id == Vendor.id)
        .where(Vendor.archived_at.is_(None))
        .order_by(Vendor.name_key, Vendor.id)))


def _top_risks(explanations: list[tuple[int, str, str, dict[str, Any]]]) -> list[TopRisk]:
    found = [TopRisk(vendor_id, name, tier, float(c.get("points", 0.0)), c.get("label", ""),
                     c.get("detail", ""), c.get("source", ""), c.get("reference", ""))
             for vendor_id, name, tier, explanation in explanations
             for c in explanation.get("contributions", [])]
    found.sort(key=lambda r: (-r.points, r.vendor_name, r.label))
    return found[:TOP_RISKS]


def _movement(vendors: list[PortfolioVendor], since: dt.date) -> Movement:
    changes = [v.change for v in vendors if v.change is not None]
    if not changes:
        return Movement(since)
    return Movement(since, up=sum(1 for c in changes if c > 0),
                    down=sum(1 for c in changes if c < 0),
                    same=sum(1 for c in changes if c == 0), mean_change=round(fmean(changes), 2))
