"""Gather every deadline, send each reminder exactly once, and keep the calendar feeds.

The once-only guarantee: before a mail goes out, one row per (reminder, recipient) is
inserted with ``ON CONFLICT DO NOTHING`` and committed, so of two runs at once only one gets
the row, and a run that is repeated, late or restarted finds it taken. A run that dies after
claiming and before sending leaves the row ``sending``: the app lists it as unconfirmed and it
is not sent again (a missed reminder shows; a duplicate could not be taken back). A mail the
SMTP server refused is ``failed`` and is claimed again by the next run.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from riskapp import mail
from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements.models import (
    TERM_COLUMNS,
    Agreement,
    BaaStatus,
    Decision,
    VendorDecision,
)
from riskapp.agreements.status import baa_state, next_review_on, notice_deadline
from riskapp.assessments.models import Assessment, Status
from riskapp.audit import services as audit
from riskapp.database import db, utcnow
from riskapp.memo import until_data_changes
from riskapp.reminders.models import CalendarFeed, DeliveryStatus, ReminderDelivery
from riskapp.reminders.rules import (
    Deadline,
    DeadlineKind,
    Reminder,
    parse_offsets,
    reminder_mail,
    reminders_due,
    weekly_digest,
)
from riskapp.scoring.models import VendorScore
from riskapp.vendors.models import Vendor

# Deadlines further in the past than this are history, not work.
LOOKBACK_DAYS = 365
WAITING_FOR_VENDOR = (Status.SENT.value, Status.IN_PROGRESS.value,
                      Status.CLARIFICATION.value)


def today() -> date:
    return utcnow().date()


# --- deadlines --------------------------------------------------------------------------------


def collect_deadlines(on: date, *, vendor_id: int | None = None) -> list[Deadline]:
    """Every deadline of every working vendor (or of one), from a year back on, soonest
    first.

    It reads plain columns, never ORM objects: at ten thousand vendors, building the objects
    cost ten times the queries.
    """
    working = select(Vendor.id, Vendor.name, Vendor.stores_phi, Vendor.processes_phi,
                     Vendor.transmits_phi).where(Vendor.archived_at.is_(None))
    if vendor_id is not None:
        working = working.where(Vendor.id == vendor_id)
    vendors = {row.id: _WorkingVendor(row.id, row.name, row.stores_phi or row.processes_phi
                                      or row.transmits_phi)
               for row in db.session.execute(working)}
    if not vendors:
        return []
    ids = list(vendors) if vendor_id is not None else None
    agreements = {row.vendor_id: row for row in db.session.execute(
        _of_vendors(select(*TERM_COLUMNS), Agreement.vendor_id, ids))
        if row.vendor_id in vendors}
    found: list[Deadline] = []
    for vendor_id_, agreement in agreements.items():
        found += agreement_deadlines(vendors[vendor_id_], agreement, on)
    found += review_deadlines(vendors, agreements, ids)
    found += questionnaire_deadlines(vendors, ids)
    found += decision_deadlines(vendors, ids)
    oldest = on - timedelta(days=LOOKBACK_DAYS)
    return sorted((d for d in found if d.due_on >= oldest),
                  key=lambda d: (d.due_on, d.vendor_name.casefold(), d.kind.value))


@dataclass(frozen=True)
class _WorkingVendor:
    id: int
    name: str
    handles_phi: bool


def _of_vendors(query: Select[Any], column: Any, ids: list[int] | None) -> Select[Any]:
    """``query`` narrowed to the vendors ``ids`` (all of them when ``None``: a list of ten
    thousand bound parameters would cost more than the rows it leaves out)."""
    return query if ids is None else query.where(column.in_(ids))


def agreement_deadlines(vendor: _WorkingVendor | Vendor, agreement: Any, on: date
                        ) -> list[Deadline]:
    state = baa_state(agreement, handles_phi=vendor.handles_phi, today=on)
    owners = (agreement.contract_owner_id,) if agreement.contract_owner_id else ()

    def deadline(kind: DeadlineKind, due_on: date, detail: str = "") -> Deadline:
        return Deadline(kind, agreement.id, vendor.id, vendor.name, due_on, owners, detail)

    found = []
    if state.recorded is BaaStatus.SIGNED and state.expires_on:
        renewing = agreement.baa_auto_renews
        found.append(deadline(DeadlineKind.BAA_EXPIRY, state.expires_on,
                              "renews automatically" if renewing else "no automatic renewal"))
        notice = notice_deadline(state.expires_on, agreement.baa_notice_days)
        if renewing and notice:
            found.append(deadline(DeadlineKind.BAA_NOTICE, notice,
                                  f"{agreement.baa_notice_days} days' notice to stop the "
                                  "renewal"))
    # A renewal date that has passed is history (the contract renewed), not work left undone.
    if agreement.contract_renews_on and agreement.contract_renews_on >= on:
        found.append(deadline(DeadlineKind.CONTRACT_RENEWAL, agreement.contract_renews_on))
    notice = notice_deadline(agreement.contract_renews_on or agreement.contract_ends_on,
                             agreement.contract_notice_days)
    if notice:
        found.append(deadline(DeadlineKind.CONTRACT_NOTICE, notice,
                              f"{agreement.contract_notice_days} days' notice"))
    if agreement.contract_ends_on:
        found.append(deadline(DeadlineKind.CONTRACT_END, agreement.contract_ends_on))
    return found


def review_deadlines(vendors: dict[int, _WorkingVendor], agreements: dict[int, Any],
                     ids: list[int] | None = None) -> list[Deadline]:
    """Each assessed vendor's reassessment date, from its tier's cadence."""
    last_completed = {vendor_id: completed_at for vendor_id, completed_at in db.session.execute(
        _of_vendors(select(Assessment.vendor_id, func.max(Assessment.completed_at))
                    .where(Assessment.status == Status.COMPLETED.value),
                    Assessment.vendor_id, ids)
        .group_by(Assessment.vendor_id)) if vendor_id in vendors}
    tiers = latest_tiers(ids) if last_completed else {}
    cadence = current_app.config["REVIEW_MONTHS"]
    found = []
    for vendor_id, completed_at in last_completed.items():
        tier = tiers.get(vendor_id)
        due = next_review_on(completed_at.date() if completed_at else None, tier, cadence)
        if due is None:
            continue
        agreement = agreements.get(vendor_id)
        owners = (agreement.contract_owner_id,) if agreement and agreement.contract_owner_id \
            else ()
        found.append(Deadline(DeadlineKind.REVIEW_DUE, vendor_id, vendor_id,
                              vendors[vendor_id].name, due, owners,
                              f"{tier} tier: every {cadence[tier]} months" if tier else ""))
    return found


def latest_tiers(vendor_ids: Sequence[int] | None) -> dict[int, str]:
    """Each vendor's current tier (of ``vendor_ids``, or of every vendor), in one query."""
    if vendor_ids is not None and not vendor_ids:
        return {}
    newest = _of_vendors(select(VendorScore.vendor_id, func.max(VendorScore.id).label("id")),
                         VendorScore.vendor_id, None if vendor_ids is None else list(vendor_ids))
    newest_ids = newest.group_by(VendorScore.vendor_id).subquery()
    return dict(db.session.execute(
        select(VendorScore.vendor_id, VendorScore.tier)
        .join(newest_ids, VendorScore.id == newest_ids.c.id)).all())


def questionnaire_deadlines(vendors: dict[int, _WorkingVendor], ids: list[int] | None = None
                            ) -> list[Deadline]:
    """The due date of each assessment the vendor has yet to answer."""
    rows = db.session.execute(_of_vendors(
        select(Assessment.id, Assessment.vendor_id, Assessment.due_date,
               Assessment.created_by_id, Assessment.respondent_name)
        .where(Assessment.status.in_(WAITING_FOR_VENDOR)), Assessment.vendor_id, ids))
    return [Deadline(DeadlineKind.QUESTIONNAIRE_DUE, a.id, a.vendor_id,
                     vendors[a.vendor_id].name, a.due_date,
                     (a.created_by_id,) if a.created_by_id else (),
                     f"assessment #{a.id}, sent to {a.respondent_name}")
            for a in rows if a.vendor_id in vendors]


def decision_deadlines(vendors: dict[int, _WorkingVendor], ids: list[int] | None = None
                       ) -> list[Deadline]:
    """The date each conditional approval standing today must have its conditions met by."""
    newest = _of_vendors(select(VendorDecision.vendor_id,
                                func.max(VendorDecision.id).label("id")),
                         VendorDecision.vendor_id, ids)
    newest_ids = newest.group_by(VendorDecision.vendor_id).subquery()
    rows = db.session.execute(
        select(VendorDecision.id, VendorDecision.vendor_id, VendorDecision.conditions_due_on,
               VendorDecision.decided_by_id, VendorDecision.reason)
        .join(newest_ids, VendorDecision.id == newest_ids.c.id)
        .where(VendorDecision.decision == Decision.CONDITIONAL.value,
               VendorDecision.conditions_due_on.is_not(None)))
    return [Deadline(DeadlineKind.DECISION_DUE, d.id, d.vendor_id, vendors[d.vendor_id].name,
                     d.conditions_due_on,
                     (d.decided_by_id,) if d.decided_by_id else (), d.reason[:120])
            for d in rows if d.vendor_id in vendors]


def deadlines_of(vendor: Vendor, on: date) -> list[Deadline]:
    return collect_deadlines(on, vendor_id=vendor.id)


@dataclass(frozen=True)
class Agenda:
    overdue: list[Deadline]
    upcoming: list[Deadline]


def current_deadlines(on: date) -> list[Deadline]:
    """:func:`collect_deadlines` for the pages, kept until the data changes (see
    :mod:`riskapp.memo`): the dashboard and the deadlines page are read far more often than
    agreements, assessments and decisions are changed."""
    return until_data_changes("deadlines", on, lambda: collect_deadlines(on))


def agenda(on: date, *, horizon_days: int = 90, deadlines: list[Deadline] | None = None
           ) -> Agenda:
    """What is overdue, and what falls in the next ``horizon_days``: of ``deadlines``, or of
    every deadline (:func:`current_deadlines`, kept until the data changes)."""
    found = current_deadlines(on) if deadlines is None else deadlines
    horizon = on + timedelta(days=horizon_days)
    return Agenda([d for d in found if d.due_on < on],
                  [d for d in found if on <= d.due_on <= horizon])


class DeadlinePages(Pagination):
    """An agenda a page at a time: overdue first, then upcoming, ``per_page`` rows a page."""

    def __init__(self, agenda: Agenda, page: int, per_page: int) -> None:
        self.agenda = agenda
        super().__init__(page=page, per_page=per_page, error_out=False)

    def _query_items(self) -> list[Deadline]:
        both = self.agenda.overdue + self.agenda.upcoming
        return both[self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self.agenda.overdue) + len(self.agenda.upcoming)

    @property
    def overdue(self) -> list[Deadline]:
        return self.items[:self._overdue_shown]

    @property
    def upcoming(self) -> list[Deadline]:
        return self.items[self._overdue_shown:]

    @property
    def _overdue_shown(self) -> int:
        return max(0, len(self.agenda.overdue) - self._query_offset)


# --- who is told ------------------------------------------------------------------------------


def recipients(deadline: Deadline, escalation: bool, staff: dict[str, list[User]],
               users: dict[int, User]) -> list[User]:
    """The deadline's owners and the officers; admins too when it is overdue, or when
    nobody else would hear of it."""
    people = [users[i] for i in deadline.owner_ids if i in users] + staff[Role.OFFICER]
    if escalation or not people:
        people += staff[Role.ADMIN]
    return list({user.id: user for user in people}.values())


def active_staff() -> tuple[dict[str, list[User]], dict[int, User]]:
    users = list(db.session.scalars(select(User).where(User.is_active.is_(True))
                                    .order_by(User.id)))
    staff: dict[str, list[User]] = defaultdict(list)
    for user in users:
        staff[user.role].append(user)
    return staff, {user.id: user for user in users}


# --- running them -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One mail to one person: the reminders (or the digest) it carries."""

    user: User
    subject: str
    body: str
    keys: tuple[str, ...]
    vendor_id: int | None = None
    reminders: tuple[Reminder, ...] = ()  # what ``keys`` name; none for the digest


@dataclass
class RunReport:
    planned: list[Outgoing] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    already: int = 0  # reminders another run had claimed
    failed: list[tuple[Outgoing, str]] = field(default_factory=list)


def plan(on: date) -> list[Outgoing]:
    """Every mail due on ``on``, before looking at what was sent already."""
    offsets = parse_offsets(current_app.config["REMINDER_DAYS"])
    deadlines = collect_deadlines(on)
    staff, users = active_staff()
    per_user: dict[int, list[Reminder]] = defaultdict(list)
    for reminder in reminders_due(deadlines, on, offsets):
        for user in recipients(reminder.deadline, reminder.step.escalation, staff, users):
            per_user[user.id].append(reminder)
    base_url = current_app.config["BASE_URL"].rstrip("/")
    outgoing = []
    for user_id, reminders in per_user.items():
        subject, body = reminder_mail(reminders, on, base_url=base_url)
        vendors = {r.deadline.vendor_id for r in reminders}
        outgoing.append(Outgoing(users[user_id], subject, body,
                                 tuple(r.once_key for r in reminders),
                                 vendors.pop() if len(vendors) == 1 else None,
                                 tuple(reminders)))
    digest = weekly_digest(deadlines, on)
    if digest.overdue or digest.upcoming:
        outgoing += [Outgoing(user, digest.subject(), digest.body(),
                              (f"digest:{digest.week}",)) for user in staff[Role.VIEWER]]
    return outgoing


def unsent(outgoing: Outgoing) -> tuple[str, ...]:
    """The mail's reminders that no run has sent, or is sending, yet."""
    taken = set(db.session.scalars(select(ReminderDelivery.once_key).where(
        ReminderDelivery.once_key.in_(outgoing.keys),
        ReminderDelivery.recipient == outgoing.user.email,
        ReminderDelivery.status != DeliveryStatus.FAILED.value)))
    return tuple(key for key in outgoing.keys if key not in taken)


def run_reminders(on: date, *, dry_run: bool = False) -> RunReport:
    """Send what is due on ``on`` and not sent before; ``dry_run`` only says what that is."""
    report = RunReport()
    for outgoing in plan(on):
        keys = unsent(outgoing)
        report.already += len(outgoing.keys) - len(keys)
        if not keys:
            continue
        if dry_run:
            report.planned.append(_narrowed(outgoing, keys, on))
            continue
        claimed = claim(outgoing, keys)
        narrowed = _narrowed(outgoing, claimed, on) if claimed else None
        to = outgoing.user.email
        # The claim is durable before anything is sent, and no transaction (on SQLite, the
        # write lock) stays open while the mail server takes its time.
        db.session.commit()
        report.already += len(keys) - len(claimed)
        if narrowed is None:
            continue
        report.planned.append(narrowed)
        result = mail.send(to, narrowed.subject, narrowed.body)
        finish(narrowed, claimed, result)
        if result.error:
            report.failed.append((narrowed, result.error))
        else:
            report.sent.append(narrowed)
    if report.sent or report.failed:
        audit.record("reminders.sent", actor=None, actor_label="riskapp",
                     summary=f"Reminders for {on.isoformat()}: {len(report.sent)} mail(s) "
                             f"sent, {len(report.failed)} failed",
                     changes={"sent": [o.subject for o in report.sent],
                              "failed": [o.subject for o, _ in report.failed]})
        db.session.commit()
    return report


def _narrowed(outgoing: Outgoing, keys: Sequence[str], on: date) -> Outgoing:
    """The mail rewritten to carry only ``keys`` (some were sent before)."""
    if tuple(keys) == outgoing.keys or not outgoing.reminders:
        return outgoing
    wanted = set(keys)
    reminders = tuple(r for r in outgoing.reminders if r.once_key in wanted)
    subject, body = reminder_mail(reminders, on,
                                  base_url=current_app.config["BASE_URL"].rstrip("/"))
    return Outgoing(outgoing.user, subject, body, tuple(keys), outgoing.vendor_id, reminders)


def claim(outgoing: Outgoing, keys: Iterable[str]) -> list[str]:
    """Take each reminder for this run; return the ones taken (another run has the rest)."""
    taken = []
    for key in keys:
        values = {"once_key": key, "recipient": outgoing.user.email,
                  "user_id": outgoing.user.id, "vendor_id": outgoing.vendor_id,
                  "subject": outgoing.subject[:300], "status": DeliveryStatus.SENDING.value,
                  "attempts": 1, "claimed_at": utcnow(), "error": ""}
        # RETURNING says which statement took the row: rowcount is not reliable for
        # INSERT ... ON CONFLICT DO NOTHING across drivers.
        took = db.session.execute(_insert_once(values)).scalar()
        if took is None:  # a failed attempt is taken again, by one run only
            took = db.session.execute(
                update(ReminderDelivery)
                .where(ReminderDelivery.once_key == key,
                       ReminderDelivery.recipient == outgoing.user.email,
                       ReminderDelivery.status == DeliveryStatus.FAILED.value)
                .values(status=DeliveryStatus.SENDING.value,
                        attempts=ReminderDelivery.attempts + 1, claimed_at=utcnow(), error="")
                .returning(ReminderDelivery.id)).scalar()
        if took is not None:
            taken.append(key)
    return taken


def _insert_once(values: dict[str, object]):  # type: ignore[no-untyped-def]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(ReminderDelivery).values(**values)
            .on_conflict_do_nothing(index_elements=["once_key", "recipient"])
            .returning(ReminderDelivery.id))


def finish(outgoing: Outgoing, keys: Sequence[str], result: mail.Sent) -> None:
    if result.error:
        status = DeliveryStatus.FAILED
    else:
        status = DeliveryStatus.SENT if result.delivered else DeliveryStatus.LOGGED
    db.session.execute(
        update(ReminderDelivery)
        .where(ReminderDelivery.once_key.in_(keys),
               ReminderDelivery.recipient == outgoing.user.email)
        .values(status=status.value, error=result.error[:2000], finished_at=utcnow(),
                subject=outgoing.subject[:300]))
    db.session.commit()


def recent_deliveries(limit: int = 50) -> list[ReminderDelivery]:
    return list(db.session.scalars(select(ReminderDelivery)
                                   .order_by(ReminderDelivery.claimed_at.desc(),
                                             ReminderDelivery.id.desc()).limit(limit)))


# --- calendar feeds ---------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                                        CalendarFeed.revoked_at.is_(None)))


def create_feed(user: User) -> str:
    """Give ``user`` a new secret feed URL token (revoking any earlier one); only its hash
    is kept, so the token is shown once."""
    revoke_feed(user, quiet=True)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=hash_token(token)))
    db.session.flush()
    audit.record("calendar.created", actor=user, summary="Created a calendar feed URL")
    return token


def revoke_feed(user: User, *, quiet: bool = False) -> bool:
    feed = active_feed(user)
    if feed is None:
        return False
    feed.revoked_at = utcnow()
    db.session.flush()
    if not quiet:
        audit.record("calendar.revoked", actor=user, summary="Revoked the calendar feed URL")
    return True


def open_feed(token: str) -> CalendarFeed | None:
    """The live feed the token opens, for an active user, marked as read now; ``None`` for
    anything else. The mark is written (and committed) before anything is read: on SQLite a
    transaction that read first and wrote after would fail if another write came between."""
    marked = db.session.execute(
        update(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token),
                                   CalendarFeed.revoked_at.is_(None))
        .values(last_used_at=utcnow()).returning(CalendarFeed.id)).scalar()
    db.session.commit()
    return feed_by_token(token) if marked is not None else None


def feed_by_token(token: str) -> CalendarFeed | None:
    """The live feed the token opens, for an active user; ``None`` for anything else."""
    feed = db.session.scalar(select(CalendarFeed).options(selectinload(CalendarFeed.user))
                             .where(CalendarFeed.token_hash == hash_token(token),
                                    CalendarFeed.revoked_at.is_(None)))
    if feed is None or not feed.user.is_active:
        return None
    return feed
