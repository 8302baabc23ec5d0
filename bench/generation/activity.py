"""What the app records as it runs: vendor ratings, reminder deliveries, calendar feeds, and
the audit trail, hash-chained as :func:`riskapp.audit.services.record` chains it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from bench.generation.agreements import baa_scoring_status
from bench.generation.store import RawJSON
from bench.generation.world import Row, World, vendor_target
from riskapp.agreements.status import add_months
from riskapp.audit.services import GENESIS_HASH, hash_event
from riskapp.reminders.models import DeliveryStatus
from riskapp.reminders.rules import (
    DEFAULT_OFFSETS,
    Deadline,
    DeadlineKind,
    Reminder,
    Step,
    iso_week,
    reminder_mail,
)
from riskapp.scoring.engine import (
    AnswerShare,
    AssessmentResult,
    FindingFact,
    Inputs,
    ScanResult,
    VendorFacts,
    VendorRisk,
    rate,
)
from riskapp.scoring.profile import Profile
from scanners.findings import Severity

REVIEW_MONTHS = {"critical": 6, "high": 12, "moderate": 18, "low": 24}
DELIVERY_WEIGHTS = {DeliveryStatus.SENT: 70, DeliveryStatus.LOGGED: 20,
                    DeliveryStatus.FAILED: 7, DeliveryStatus.SENDING: 3}
LOOKBACK_DAYS = 180  # reminders sent over the last half year
# The audit trail holds the last half year, some eight events per vendor (the issue suggests
# about five); older history reads as records kept from before the trail began.
AUDIT_DAYS = 180
DIGEST_WEEKS = 12


# --- ratings ------------------------------------------------------------------------------------


def score_rows(world: World, profile: Profile) -> Iterator[Row]:
    """A first rating when the BAA was recorded (or the vendor added), one after the latest
    completed assessment or scan, and for some vendors an officer's rescore since."""
    rater = _Rater(world, profile)
    for vendor in world.vendors:
        facts = VendorFacts(vendor["category"], vendor["criticality"], vendor["stores_phi"],
                            vendor["processes_phi"], vendor["transmits_phi"])
        baa = baa_scoring_status(world, vendor)
        agreement = world.agreements.get(vendor["id"])
        first = (agreement["updated_at"] if agreement
                 else vendor["created_at"] + dt.timedelta(hours=1))
        yield rater.row(vendor, (facts, baa), Inputs(facts, baa=baa), first,
                        "BAA or contract changed" if agreement else "rescored")
        completed = world.completed.get(vendor["id"])
        scanned = world.scanned.get(vendor["id"])
        moments = []
        if completed:
            row = completed[0]
            moments.append((row["completed_at"], f"assessment #{row['id']} completed", True))
        if scanned:
            scan = scanned[0]
            moments.append((scan["finished_at"], f"scan #{scan['id']} finished", False))
        if not moments:
            continue
        inputs = Inputs(facts, _assessment_result(*completed) if completed else None,
                        _scan_result(world, *scanned) if scanned else None, baa)
        ids = {"assessment_id": completed[0]["id"] if completed else None,
               "scan_id": scanned[0]["id"] if scanned else None}
        at, reason, by_officer = max(moments)
        at = max(at, first)
        key = (vendor["id"], ids["assessment_id"], ids["scan_id"])
        yield rater.row(vendor, key, inputs, at, reason,
                        actor=world.officer() if by_officer else None, **ids)
        if world.rng.random() < 0.25:
            yield rater.row(vendor, key, inputs, world.moment(at), "rescored",
                            actor=world.officer(), **ids)


class _Rater:
    """Rates with one profile and stores ratings as :func:`scoring.services.score_vendor`
    does. A rating is reused for the same ``key`` (inputs that are the same, named
    cheaply): a vendor known only by its profile rates like every other vendor with that
    profile, and a rescore with nothing new repeats the rating before it."""

    def __init__(self, world: World, profile: Profile) -> None:
        self.world, self.profile = world, profile
        self.hash, self.label = profile.content_hash, profile.label
        self.rated: dict[Any, tuple[VendorRisk, RawJSON]] = {}

    def row(self, vendor: Row, key: Any, inputs: Inputs, at: dt.datetime, reason: str, *,
            actor: Row | None = None, assessment_id: int | None = None,
            scan_id: int | None = None) -> Row:
        if key not in self.rated:
            risk = rate(inputs, self.profile)
            self.rated[key] = (risk, RawJSON(json.dumps(explanation(risk))))
        risk, explained = self.rated[key]
        world = self.world
        world.event("vendor.scored", at, actor, actor_label="riskapp",
                    target=vendor_target(vendor),
                    summary=f"Scored {risk.score:g} ({risk.tier}) with profile {self.label} "
                            f"({reason})",
                    changes={"score": risk.score, "tier": risk.tier, "profile": self.label,
                             "profile_hash": self.hash})
        vendor["tier"] = risk.tier
        return {"id": world.next_id("vendor_scores"), "vendor_id": vendor["id"],
                "computed_at": min(at, world.now), "score": risk.score, "tier": risk.tier,
                "assessed": risk.assessed, "profile_id": self.profile.id,
                "profile_version": self.profile.version, "profile_hash": self.hash,
                "assessment_id": assessment_id, "scan_id": scan_id, "reason": reason[:200],
                "computed_by_id": actor["id"] if actor else None, "explanation": explained}


def explanation(risk: VendorRisk) -> dict[str, Any]:
    """What :meth:`VendorRisk.to_json` gives, without the deep copies of
    :func:`dataclasses.asdict` (thousands of times over, they add up)."""
    data = dict(vars(risk))
    for key in ("contributions", "gates", "accepted"):
        data[key] = [dict(vars(item)) for item in data[key]]
    data["parts"] = dict(data["parts"])
    data["notes"] = list(data["notes"])
    return data


def _assessment_result(row: Row, parts: list[tuple[Row, Any]]) -> AssessmentResult:
    """As :func:`riskapp.scoring.services.assessment_result` reads a completed assessment."""
    count = len(parts) or 1
    answers = tuple(AnswerShare(version["title"], c.question_id, c.question, c.answer,
                                c.share / count, c.citation)
                    for version, answer_set in parts for c in answer_set.result.explained)
    critical = tuple(f"{f.question}: {f.answer}" for _, answer_set in parts
                     for f in answer_set.result.findings if f.finding.severity == "critical")
    return AssessmentResult(row["id"], row["score"] or 0.0, row["score_floor"],
                            row["inherent_risk"], answers, critical)


def _scan_result(world: World, scan: Row, findings: list[Row]) -> ScanResult:
    ordered = sorted(findings, key=lambda f: (-Severity(f["severity"]).rank, f["finding_id"],
                                              f["target"]))
    return ScanResult(scan["id"], tuple(
        FindingFact(f["id"], f["finding_id"], f["title"], f["severity"], f["target"],
                    world.accepted.get(f["fingerprint"])) for f in ordered))


# --- reminders and calendar feeds ---------------------------------------------------------------


def delivery_rows(world: World, open_assessments: list[Row]) -> Iterator[Row]:
    """The reminders the daily job sent over the past half year: BAA expiries,
    reassessments and questionnaires due, and the viewers' weekly digests."""
    vendors = {vendor["id"]: vendor for vendor in world.vendors}
    admin = world.users[0]
    deadlines: list[tuple[Deadline, Row]] = []
    for vendor_id, agreement in world.agreements.items():
        if agreement["baa_expires_on"] and not vendors[vendor_id]["archived_at"]:
            deadlines.append((_deadline(DeadlineKind.BAA_EXPIRY, agreement["id"],
                                        vendors[vendor_id], agreement["baa_expires_on"]),
                              _user(world, agreement["contract_owner_id"])))
    for vendor_id, (row, _) in world.completed.items():
        months = REVIEW_MONTHS.get(vendors[vendor_id].get("tier", ""), 12)
        deadlines.append((_deadline(DeadlineKind.REVIEW_DUE, vendor_id, vendors[vendor_id],
                                    add_months(row["completed_at"].date(), months)),
                          world.officer()))
    for row in open_assessments:
        deadlines.append((_deadline(DeadlineKind.QUESTIONNAIRE_DUE, row["id"],
                                    vendors[row["vendor_id"]], row["due_date"]),
                          _user(world, row["created_by_id"])))
    for deadline, owner in deadlines:
        for step in _steps_sent(world, deadline):
            to = [owner] + ([admin] if step.escalation else [])
            for user in to:
                yield _delivery(world, Reminder(deadline, step), user)
    for viewer in (user for user in world.users if user["role"] == "viewer"):
        for weeks in range(DIGEST_WEEKS):
            day = world.today - dt.timedelta(weeks=weeks)
            week = iso_week(day)
            yield _sent(world, f"digest:{week}", viewer, None,
                        f"riskapp weekly digest {week}: {world.rng.randint(0, 40)} overdue, "
                        f"{world.rng.randint(0, 60)} due in the next 30 days", day)


def _user(world: World, user_id: int | None) -> Row:
    return next((u for u in world.officers if u["id"] == user_id), None) or world.officer()


def _deadline(kind: DeadlineKind, subject_id: int, vendor: Row, due_on: dt.date) -> Deadline:
    return Deadline(kind, subject_id, vendor["id"], vendor["name"], due_on)


def _steps_sent(world: World, deadline: Deadline) -> list[Step]:
    """The reminders already due for the deadline: each offset passed within the lookback,
    and the escalation once it is overdue."""
    steps = [Step(offset) for offset in DEFAULT_OFFSETS
             if world.today - dt.timedelta(days=LOOKBACK_DAYS)
             <= deadline.due_on - dt.timedelta(days=offset) <= world.today]
    if world.today - dt.timedelta(days=LOOKBACK_DAYS) <= deadline.due_on < world.today:
        steps.append(Step(None))
    return steps


def _delivery(world: World, reminder: Reminder, user: Row) -> Row:
    offset = reminder.step.offset
    day = (reminder.deadline.due_on - dt.timedelta(days=offset) if offset is not None
           else reminder.deadline.due_on + dt.timedelta(days=1))
    subject, _ = reminder_mail([reminder], day)
    return _sent(world, reminder.once_key, user, reminder.deadline.vendor_id, subject, day)


def _sent(world: World, key: str, user: Row, vendor_id: int | None, subject: str,
          day: dt.date) -> Row:
    rng = world.rng
    status = rng.choices(list(DELIVERY_WEIGHTS), weights=DELIVERY_WEIGHTS.values())[0]
    claimed = min(dt.datetime.combine(day, dt.time(7), dt.UTC), world.now)
    return {"id": world.next_id("reminder_deliveries"), "once_key": key,
            "recipient": user["email"], "user_id": user["id"], "vendor_id": vendor_id,
            "subject": subject[:300], "status": status.value,
            "error": "451 4.3.0 Mail server temporarily rejected message"
            if status is DeliveryStatus.FAILED else "",
            "attempts": rng.randint(2, 3) if status is DeliveryStatus.FAILED else 1,
            "claimed_at": claimed,
            "finished_at": None if status is DeliveryStatus.SENDING
            else claimed + dt.timedelta(seconds=rng.uniform(0.2, 4))}


def feed_rows(world: World) -> Iterator[Row]:
    """A calendar feed for most staff; some replaced an older, revoked one."""
    rng = world.rng
    for user in world.users[1:]:
        if rng.random() < 0.3:
            continue
        created = world.days_ago(1, 300)
        if rng.random() < 0.3:
            old = world.moment(created - dt.timedelta(days=200), created)
            yield _feed(world, user, old, revoked=created)
        yield _feed(world, user, created, revoked=None)


def _feed(world: World, user: Row, created: dt.datetime, *, revoked: dt.datetime | None
          ) -> Row:
    token = world.rng.getrandbits(256).to_bytes(32, "big").hex()
    return {"id": world.next_id("calendar_feeds"), "user_id": user["id"],
            "token_hash": hashlib.sha256(token.encode()).hexdigest(), "created_at": created,
            "revoked_at": revoked, "last_used_at": world.moment(created, revoked)}


# --- the audit trail ----------------------------------------------------------------------------


def chained_events(world: World) -> tuple[list[Row], str]:
    """The events of the last :data:`AUDIT_DAYS` in time order, numbered and linked; and the
    hash of the last one."""
    since = world.now - dt.timedelta(days=AUDIT_DAYS)
    events = sorted((e for e in world.events if e["occurred_at"] >= since),
                    key=lambda e: e["occurred_at"])
    previous = GENESIS_HASH
    for event in events:
        event["id"] = world.next_id("audit_events")
        event["previous_hash"] = previous
        event["entry_hash"] = previous = hash_event(SimpleNamespace(**event))  # type: ignore[arg-type]
    return events, previous
