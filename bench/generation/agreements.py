"""BAAs and contracts in every status, and approval decisions, as the officers' forms would
record them (the terms pass :func:`riskapp.agreements.services.check_fields`)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from bench.generation.inventory import PEOPLE, handles_phi
from bench.generation.world import Row, World, vendor_target
from riskapp.agreements.models import BaaStatus, Decision
from riskapp.agreements.status import add_months, baa_state, phi_approval_refusal

PHI_STATUS_WEIGHTS = {BaaStatus.SIGNED: 60, BaaStatus.REQUESTED: 8, BaaStatus.NEGOTIATING: 8,
                      BaaStatus.MISSING: 8, BaaStatus.EXPIRED: 6, BaaStatus.TERMINATED: 4,
                      BaaStatus.REFUSED: 3, BaaStatus.NOT_REQUIRED: 3}
REGIONS = ("United States", "US, EU", "us-east-1\nus-west-2", "Worldwide", "United States")
LOCATIONS = ("us-east-1", "United States", "eu-west-1", "US, Canada", "us-central1")
REASONS = {
    Decision.APPROVED_PHI: "BAA signed and the assessment raised nothing we cannot live with.",
    Decision.APPROVED_NO_PHI: "No PHI flows to this vendor; the assessment is acceptable.",
    Decision.CONDITIONAL: "Approved once MFA is enforced for every administrator.",
    Decision.REJECTED: "Refuses a BAA and keeps data outside the United States.",
}


def make_agreements(world: World, *, share: float = 0.92) -> list[Row]:
    """An agreement for ``share`` of the vendors; the first ones take every status in turn,
    so even a tiny run has each."""
    rng = world.rng
    rows = []
    for index, vendor in enumerate(world.vendors):
        if index >= len(BaaStatus) and rng.random() > share:
            continue
        phi = handles_phi(vendor)
        if index < len(BaaStatus):
            status = list(BaaStatus)[index]
        elif phi:
            status = rng.choices(list(PHI_STATUS_WEIGHTS), weights=PHI_STATUS_WEIGHTS.values())[0]
        else:
            status = rng.choices((BaaStatus.NOT_REQUIRED, BaaStatus.SIGNED), weights=(85, 15))[0]
        row = _terms(world, vendor, status, phi)
        world.agreements[vendor["id"]] = row
        rows.append(row)
        owner = world.officer()
        world.event("agreement.updated", row["updated_at"], owner, target=vendor_target(vendor),
                    summary=f"Recorded the BAA and contract of {vendor['name']}: baa_status",
                    changes={"baa_status": {"before": "missing", "after": status.value}})
    return rows


def _terms(world: World, vendor: Row, status: BaaStatus, phi: bool) -> Row:
    rng, today = world.rng, world.today
    effective = expires = None
    auto = False
    if status in (BaaStatus.SIGNED, BaaStatus.EXPIRED, BaaStatus.TERMINATED):
        effective = today - dt.timedelta(days=rng.randint(30, 1100))
        if status is BaaStatus.SIGNED and rng.random() < 0.03:
            effective = today + dt.timedelta(days=rng.randint(5, 40))  # not in force yet
        expires = add_months(effective, rng.choice((12, 24, 36)))
        auto = status is BaaStatus.SIGNED and rng.random() < 0.4
        if status is BaaStatus.EXPIRED and expires >= today:
            expires = today - dt.timedelta(days=rng.randint(1, 200))
            effective = min(effective, expires - dt.timedelta(days=365))
    contract = rng.random() < 0.7
    starts = today - dt.timedelta(days=rng.randint(30, 1500)) if contract else None
    renews = add_months(starts, 12 * rng.randint(1, 5)) if starts else None
    ends = (renews + dt.timedelta(days=365 * rng.randint(0, 2))
            if renews and rng.random() < 0.3 else None)
    if ends is not None and renews is not None and ends <= renews:
        ends = None
    signed = effective is not None
    return {
        "id": world.next_id("agreements"), "vendor_id": vendor["id"],
        # Not required for a PHI vendor only when the officer says so.
        "baa_required": False if status is BaaStatus.NOT_REQUIRED and phi else None,
        "baa_status": status.value, "baa_effective_on": effective, "baa_expires_on": expires,
        "baa_auto_renews": auto, "baa_notice_days": rng.choice((30, 60, 90)) if auto else None,
        "breach_notice_days": rng.choice((5, 10, 30, 60)) if signed else None,
        "signed_by_vendor": rng.choice(PEOPLE) if signed else "",
        "signed_by_us": world.officer()["name"] if signed else "",
        "covered_services": vendor["services"] if signed else "",
        "covered_regions": rng.choice(REGIONS) if signed else "",
        "data_locations": rng.choice(LOCATIONS),
        "contract_starts_on": starts, "contract_renews_on": renews, "contract_ends_on": ends,
        "contract_notice_days": rng.choice((30, 60, 90)) if contract else None,
        "contract_owner_id": world.officer()["id"] if contract else None,
        "notes": "Vendor terminated the BAA when the contract ended."
        if status is BaaStatus.TERMINATED else "",
        "updated_at": world.moment(vendor["created_at"]),
    }


def baa_scoring_status(world: World, vendor: Row) -> str:
    """What the rating reads of the vendor's BAA today (see ``scoring.services.gather_all``)."""
    return _state(world, vendor).scoring_status


def _state(world: World, vendor: Row) -> Any:
    row = world.agreements.get(vendor["id"])
    terms = SimpleNamespace(**row) if row else None
    return baa_state(terms, handles_phi=handles_phi(vendor), today=world.today)


def make_decisions(world: World, *, share: float = 0.6) -> list[Row]:
    """One or two decisions for ``share`` of the vendors; approval for PHI only with a BAA in
    force, as :func:`riskapp.agreements.services.decide` insists."""
    rng = world.rng
    rows = []
    for vendor in world.vendors:
        if rng.random() > share:
            continue
        in_force = phi_approval_refusal(_state(world, vendor)) is None
        at = vendor["created_at"]
        for _ in range(rng.choice((1, 1, 2))):
            at = world.moment(at)
            if handles_phi(vendor):
                options = [Decision.CONDITIONAL, Decision.REJECTED] + (
                    [Decision.APPROVED_PHI] * 4 if in_force else [])
            else:
                options = [Decision.APPROVED_NO_PHI] * 4 + [Decision.CONDITIONAL]
            decision = rng.choice(options)
            due = (world.today + dt.timedelta(days=rng.randint(-60, 120))
                   if decision is Decision.CONDITIONAL else None)
            officer = world.officer()
            rows.append({"id": world.next_id("vendor_decisions"), "vendor_id": vendor["id"],
                         "decision": decision.value, "reason": REASONS[decision],
                         "conditions_due_on": due, "decided_at": at,
                         "decided_by_id": officer["id"]})
            world.event("vendor.decided", at, officer, target=vendor_target(vendor),
                        summary=f"{decision.label}: {vendor['name']}",
                        changes={"decision": decision.value, "reason": REASONS[decision],
                                 "conditions_due_on": due.isoformat() if due else None})
    return rows
