"""Assessments in every status, the questionnaires they were sent with, their answers, share
links and clarifications.

Each vendor's assessments follow one another in time: the older ones were completed (or
cancelled), the newest may be at any step of the workflow. Submitted, reviewed and completed
assessments hold a whole answer set; ones in progress or cancelled hold the first part of
one; drafts and freshly sent ones hold none. The number of answers asked for is met exactly
by cancelling older assessments (when the complete ones alone would hold too many) and by
choosing how far the partly answered ones got.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.generation.answers import AnswerSet
from bench.generation.world import Row, World, spread
from riskapp.assessments.models import Status
from riskapp.vendors.models import Category

NEWEST_STATUS_WEIGHTS = {Status.COMPLETED: 30, Status.DRAFT: 6, Status.SENT: 16,
                         Status.IN_PROGRESS: 16, Status.SUBMITTED: 8, Status.IN_REVIEW: 8,
                         Status.CLARIFICATION: 8, Status.CANCELLED: 8}
ANSWERED = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.CLARIFICATION,
                      Status.COMPLETED})
PARTLY_ANSWERED = frozenset({Status.IN_PROGRESS, Status.CANCELLED})
# At most this share of the answers sits in complete answer sets; the rest is partial.
COMPLETE_SHARE = 0.85
CRITICALITY_WEIGHT = {"low": 0.7, "medium": 1.0, "high": 1.4, "critical": 2.0}
QUESTIONNAIRE_OF = {Category.EMAIL: "email-vendor", Category.HOSTING: "hosting-vendor",
                    Category.MARKETING: "marketing-vendor"}
LINK_DAYS = 30
REVISIONS = (1,) * 9 + (2,)  # an answer saved twice now and then


@dataclass
class Plan:
    """One assessment before it becomes rows."""

    id: int
    vendor: Row
    status: Status
    created_at: dt.datetime
    ends_before: dt.datetime  # the next assessment of the vendor starts then (or now)
    newest: bool
    parts: list[tuple[Row, AnswerSet]]
    answered: int = 0
    fixed: bool = False  # the report's or the portal's assessment: never changed
    row: Row = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        return sum(len(answer_set) for _, answer_set in self.parts)


@dataclass
class Special:
    """The assessments the other benchmarks open."""

    report_vendor: Row
    report: Plan
    portal: Plan


def plan_assessments(world: World, count: int, pools: dict[str, list[AnswerSet]],
                     richest: dict[str, AnswerSet]) -> tuple[list[Plan], Special]:
    """Spread ``count`` assessments over the vendors, critical ones assessed most often."""
    rng = world.rng
    versions = {row["questionnaire_id"]: row for row in world.versions}
    weights = [CRITICALITY_WEIGHT[v["criticality"]] for v in world.vendors]
    per_vendor = spread(rng, count, weights)
    plans: list[Plan] = []
    newest: list[Plan] = []
    for vendor, number in zip(world.vendors, per_vendor, strict=True):
        start = vendor["created_at"] + dt.timedelta(days=1)
        moments = sorted(world.moment(start, world.now - dt.timedelta(hours=2))
                         for _ in range(number))
        for index, created in enumerate(moments):
            last = index == number - 1
            ends = world.now if last else moments[index + 1]
            status = (rng.choices(list(NEWEST_STATUS_WEIGHTS),
                                  weights=NEWEST_STATUS_WEIGHTS.values())[0]
                      if last else Status.COMPLETED)
            ids = _questionnaires_for(world, vendor, list(versions))
            parts = [(versions[qid], rng.choice(pools[qid])) for qid in ids]
            plan = Plan(world.next_id("assessments"), vendor, status, created, ends, last, parts)
            plans.append(plan)
            if last:
                newest.append(plan)
    if len(newest) < 2:
        raise ValueError("the scale asks for too few assessments")
    special = _special(world, newest, versions, richest)
    # Every status at least once, even in a tiny run.
    for plan, status in zip([p for p in newest if not p.fixed], Status, strict=False):
        plan.status = status
    return plans, special


def _questionnaires_for(world: World, vendor: Row, offered: list[str]) -> list[str]:
    rng = world.rng
    own = QUESTIONNAIRE_OF.get(Category(vendor["category"]))
    chosen = [own] if own in offered else [rng.choice(offered)]
    if rng.random() < 0.08:
        other = rng.choice(offered)
        if other not in chosen:
            chosen.append(other)
    return chosen


def _special(world: World, newest: list[Plan], versions: dict[str, Row],
             richest: dict[str, AnswerSet]) -> Special:
    """The report's assessment: every questionnaire, each answered as fully as it can be, on
    a hosting vendor handling PHI. The portal's: a freshly sent one to another vendor."""
    def pick(category: str, exclude: set[int]) -> Plan:
        candidates = [p for p in newest if p.vendor["id"] not in exclude]
        return next((p for p in candidates if p.vendor["category"] == category
                     and (p.vendor["stores_phi"] or p.vendor["processes_phi"])), candidates[0])

    report = pick(Category.HOSTING.value, set())
    report.status, report.fixed = Status.COMPLETED, True
    report.parts = [(versions[qid], richest[qid]) for qid in sorted(versions)]
    portal = pick(Category.EMAIL.value, {report.vendor["id"]})
    portal.status, portal.fixed = Status.SENT, True
    return Special(report.vendor, report, portal)


def fit_answers(world: World, plans: list[Plan], budget: int) -> None:
    """Decide how many answers each assessment holds so that they add up to ``budget``."""
    rng = world.rng
    complete = sum(p.capacity for p in plans if p.status in ANSWERED)
    older = [p for p in plans if p.status is Status.COMPLETED and not p.newest and not p.fixed]
    rng.shuffle(older)
    for plan in older:
        if complete <= budget * COMPLETE_SHARE:
            break
        plan.status = Status.CANCELLED
        complete -= plan.capacity
    partial = [p for p in plans if p.status in PARTLY_ANSWERED]
    rest = budget - complete
    room = sum(p.capacity for p in partial)
    if not 0 <= rest <= room:
        raise ValueError(f"cannot place {budget:,} answers in {len(plans):,} assessments: "
                         f"complete ones hold {complete:,}, partial ones up to {room:,} more")
    for plan in plans:
        plan.answered = plan.capacity if plan.status in ANSWERED else 0
    # An assessment in progress has at least its first answer.
    for plan in partial:
        if plan.status is Status.IN_PROGRESS and rest > 0:
            plan.answered, rest = 1, rest - 1
    shares = [rng.random() * (p.capacity - p.answered) for p in partial]
    total = sum(shares) or 1.0
    for plan, share in zip(partial, shares, strict=True):
        given = min(plan.capacity - plan.answered, int(rest * share / total))
        plan.answered += given
    left = budget - sum(p.answered for p in plans)
    order = list(range(len(partial)))
    rng.shuffle(order)
    while left > 0:
        for index in order:
            plan = partial[index]
            if left and plan.answered < plan.capacity:
                plan.answered += 1
                left -= 1


def assessment_rows(world: World, plans: list[Plan]) -> list[Row]:
    """The assessment rows, in id order, with their timeline and audit events."""
    rng = world.rng
    previous: dict[int, Plan] = {}
    rows = []
    for plan in plans:
        vendor = plan.vendor
        before = previous.get(vendor["id"])
        reopened = (before is not None and before.status is Status.COMPLETED
                    and rng.random() < 0.5)
        revision = before.row["revision"] + 1 if reopened and before else 1
        creator = world.officer()
        row: Row = {
            "id": plan.id, "vendor_id": vendor["id"], "status": plan.status.value,
            "due_date": (plan.created_at + dt.timedelta(days=rng.randint(14, 45))).date(),
            "respondent_name": vendor["contact_name"],
            "respondent_email": vendor["contact_email"], "revision": revision,
            "previous_id": before.id if reopened and before else None,
            "created_by_id": creator["id"], "created_at": plan.created_at,
            "last_activity_at": plan.created_at, "submitted_at": None, "completed_at": None,
            "attestation": None, "score": None, "score_floor": None, "inherent_risk": None,
        }
        if plan.fixed and plan.status is Status.SENT:
            row["due_date"] = world.today + dt.timedelta(days=21)
        plan.row = row
        _timeline(world, plan, creator)
        rows.append(row)
        previous[vendor["id"]] = plan
    return rows


def _timeline(world: World, plan: Plan, creator: Row) -> None:
    """Move the assessment along the workflow up to its status, before the next one begins."""
    row, status = plan.row, plan.status
    target = ("assessment", plan.id, f"{plan.vendor['name']} (revision {row['revision']})")
    titles = ", ".join(version["title"] for version, _ in plan.parts)
    world.event("assessment.created", plan.created_at, creator, target=target,
                summary=f"Sent {titles} to {row['respondent_email']}, due "
                        f"{row['due_date'].isoformat()}",
                changes={"questionnaires": [f"{v['questionnaire_id']} {v['version']}"
                                            for v, _ in plan.parts]})
    if status in (Status.DRAFT, Status.SENT):
        return
    worked = world.moment(plan.created_at, plan.ends_before)
    row["last_activity_at"] = worked
    if status in ANSWERED:
        row["submitted_at"] = worked
        row["attestation"] = {"name": row["respondent_name"], "title": "Security lead",
                              "date": worked.date().isoformat()}
        world.event("assessment.submitted", worked, None, target=target,
                    actor_label=f"{row['respondent_email']} (vendor)",
                    summary=f"Submitted by {row['respondent_name']}, Security lead")
    if status is Status.COMPLETED:
        done = world.moment(worked, plan.ends_before)
        results = [answer_set.result for _, answer_set in plan.parts]
        floors = [r.floor for r in results if r.floor]
        inherent = [r.inherent for r in results if r.inherent is not None]
        row.update(completed_at=done, last_activity_at=done,
                   score=round(sum(r.score for r in results) / len(results), 2),
                   score_floor=floors[0] if floors else None,
                   inherent_risk=max(inherent) if inherent else None)
        world.completed[plan.vendor["id"]] = (row, plan.parts)
        world.event("assessment.completed", done, world.officer(), target=target,
                    summary=f"Completed with risk score {row['score']:g}"
                            + (f" ({row['score_floor']} gate)" if row["score_floor"] else ""))
    elif status is Status.CANCELLED:
        world.event("assessment.cancelled", worked, world.officer(), target=target)


def questionnaire_rows(world: World, plans: list[Plan]) -> Iterator[Row]:
    for plan in plans:
        for position, (version, _) in enumerate(plan.parts):
            yield {"id": world.next_id("assessment_questionnaires"), "assessment_id": plan.id,
                   "questionnaire_version_id": version["id"], "position": position}


def answer_rows(world: World, plans: list[Plan], stamp: Callable[[dt.datetime], Any]
                ) -> Iterator[tuple[Any, ...]]:
    """``(id, assessment id, version id, question id, data, revision, updated at)`` for every
    answer, ready to store: ``data`` is JSON already (the sets are shared by many
    assessments) and ``stamp`` turns a time into what the database is given."""
    rng = world.rng
    next_id = world.next_id("assessment_answers")
    for plan in plans:
        left = plan.answered
        if not left:
            continue
        start, end = plan.created_at, plan.row["last_activity_at"]
        saved = [stamp(world.moment(start, end)) for _ in range(4)]
        for version, answer_set in plan.parts:
            taken = answer_set.rows[:left]
            revisions = rng.choices(REVISIONS, k=len(taken))
            times = rng.choices(saved, k=len(taken))
            for (question_id, data), revision, at in zip(taken, revisions, times, strict=True):
                yield (next_id, plan.id, version["id"], question_id, data, revision, at)
                next_id += 1
            left -= len(taken)
            if not left:
                break
    world.skip_to("assessment_answers", next_id)


def link_rows(world: World, plans: list[Plan]) -> Iterator[Row]:
    """A share link for each assessment sent; links of finished ones were revoked."""
    rng = world.rng
    for plan in plans:
        row = plan.row
        if plan.status is Status.DRAFT:
            continue
        revoked = (row["completed_at"] or row["last_activity_at"]
                   if plan.status in (Status.COMPLETED, Status.CANCELLED) else None)
        yield {"id": world.next_id("share_links"), "assessment_id": plan.id,
               # The SHA-256 of a token nobody holds: 256 random bits.
               "token_hash": f"{rng.getrandbits(256):064x}",
               "created_at": plan.created_at,
               "expires_at": plan.created_at + dt.timedelta(days=LINK_DAYS),
               "revoked_at": revoked,
               "last_used_at": row["last_activity_at"] if plan.answered else None}


def clarification_rows(world: World, plans: list[Plan]) -> Iterator[Row]:
    """Open questions on assessments awaiting clarification; a few answered ones on
    completed assessments."""
    rng = world.rng
    for plan in plans:
        row = plan.row
        asking = plan.status is Status.CLARIFICATION
        if not asking and not (plan.status is Status.COMPLETED and rng.random() < 0.05):
            continue
        version, answer_set = plan.parts[0]
        for question_id, _ in rng.sample(answer_set.rows, min(len(answer_set), 2)):
            asked = world.moment(row["submitted_at"], row["completed_at"] or plan.ends_before)
            yield {"id": world.next_id("clarifications"), "assessment_id": plan.id,
                   "questionnaire_version_id": version["id"], "question_id": question_id,
                   "comment": "Please say which regions this applies to.",
                   "requested_by_id": world.officer()["id"], "requested_at": asked,
                   "resolved_at": None if asking else row["completed_at"]}
