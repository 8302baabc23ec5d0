"""Fill a database with a hospital's worth of vendor risk data, for the benchmarks.

``python -m bench.generate --database-url URL [--scale 0.01] [--seed 7]`` wipes the database
(deletes the SQLite file; empties the PostgreSQL database's schema, creating the database if
needed), migrates it, and writes at full scale 10,000 vendors, 40,000 assessments,
1,000,000 answers and 50,000 scan findings, with the accounts, agreements, decisions, ratings,
reminders and hash-chained audit trail around them. Rows are made to be exactly what the
app's own code writes; the pieces live in :mod:`bench.generation`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.generation import activity, agreements, assessments, inventory, scans
from bench.generation.answers import AnswerSet, answer_pool, richest_set
from bench.generation.store import (
    Store,
    database_bytes,
    finish,
    loading,
    reset_database,
    table_counts,
)
from bench.generation.world import World
from riskapp import create_app
from riskapp.accounts.passwords import hash_password
from riskapp.assessments.models import OPEN
from riskapp.audit.services import CHAIN_HEAD_ID
from riskapp.database import db
from riskapp.migrate import upgrade
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.services import library
from riskapp.scoring.profile import Profile
from riskapp.scoring.services import current_profile

PASSWORD = "bench password 2026"  # noqa: S105 (the bench accounts' published password)
OFFICER_EMAIL = "officer@bench.example"
ADMIN_EMAIL = "admin@bench.example"
POOL_SIZE = (8, 30)  # answer sets made per questionnaire: at least, at most
REPORT_FINDINGS = 50


@dataclass(frozen=True)
class Scale:
    vendors: int = 10_000
    assessments: int = 40_000
    answers: int = 1_000_000
    findings: int = 50_000

    @classmethod
    def of(cls, factor: float) -> Scale:
        """The full scale times ``factor``: ``Scale.of(0.01)`` has 100 vendors."""
        full = cls()
        return cls(*(max(1, round(getattr(full, name) * factor))
                     for name in ("vendors", "assessments", "answers", "findings")))


@dataclass(frozen=True)
class Generated:
    database_url: str
    seconds: float
    database_bytes: int  # SQLite: the file and its -wal; PostgreSQL: pg_database_size
    counts: dict[str, int]  # rows per table
    officer_email: str  # signs in with ``password``; no password change pending
    password: str
    portal_assessment_id: int  # sent, waiting for the vendor: open its portal with a new link
    report_vendor_id: int  # latest completed assessment: every questionnaire; latest scan: 50
    admin_email: str = ADMIN_EMAIL  # the administrator (the audit log), same password
    report_answers: int = 0  # answer records of the report vendor's latest assessment
    report_values: int = 0  # ... counting each group row's answers
    step_seconds: dict[str, float] = field(default_factory=dict)  # wall seconds per step

    def summary(self) -> str:
        lines = [f"{self.database_url}: {self.seconds:.1f} s, "
                 f"{self.database_bytes / 1024 / 1024:,.0f} MB",
                 *(f"  {table:<28} {count:>10,}" for table, count in self.counts.items()),
                 f"  sign in as {self.officer_email} or {self.admin_email} / {self.password}",
                 f"  portal assessment #{self.portal_assessment_id}; report vendor "
                 f"#{self.report_vendor_id} ({self.report_answers} answers, "
                 f"{self.report_values} with group rows)",
                 "  " + ", ".join(f"{step} {seconds:.1f} s"
                                  for step, seconds in self.step_seconds.items())]
        return "\n".join(lines)


def generate(database_url: str, scale: Scale = Scale(), *, seed: int = 7,
             instance_path: Path | None = None) -> Generated:
    """Wipe the database at ``database_url`` and fill it at ``scale``; the same seed gives
    the same data (its dates are relative to today)."""
    clock = _Clock()
    with _instance(instance_path) as folder:
        reset_database(database_url)
        app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(folder),
                          "TESTING": True, "SECRET_KEY": "bench-secret-key-not-for-production",
                          "SCAN_RESOLVER": "127.0.0.1:9"})
        with app.app_context():
            upgrade(db.engine)
            loaded = library()
            if loaded.errors:
                raise RuntimeError(f"the questionnaires have errors: {loaded.errors}")
            profile = current_profile()
            tables = db.metadata.sorted_tables
            db.engine.dispose()
        clock.lap("migrate")
        world = World(random.Random(seed), dt.datetime.now(dt.UTC))
        questionnaires = list(loaded.questionnaires.values())
        size = min(max(scale.assessments // 100, POOL_SIZE[0]), POOL_SIZE[1])
        pools = {q.id: answer_pool(q, world.rng, size) for q in questionnaires}
        richest = {q.id: richest_set(q, world.rng) for q in questionnaires}
        clock.lap("answer sets")
        with loading(database_url) as store:
            special = _write(store, world, scale, tables={t.name: t for t in tables},
                             questionnaires=questionnaires, pools=pools, richest=richest,
                             profile=profile, clock=clock)
        clock.lap("write")
        finish(database_url)
        clock.lap("analyze")
    seconds = clock.total()
    report = special.report
    return Generated(
        database_url=database_url, seconds=seconds,
        database_bytes=database_bytes(database_url),
        counts=table_counts(database_url, tables), officer_email=OFFICER_EMAIL,
        password=PASSWORD, portal_assessment_id=special.portal.id,
        report_vendor_id=special.report_vendor["id"], report_answers=report.answered,
        report_values=sum(s.values for _, s in report.parts), step_seconds=clock.laps)


def _write(store: Store, world: World, scale: Scale, *, tables: dict[str, sa.Table],
           questionnaires: list[Questionnaire], pools: dict[str, list[AnswerSet]],
           richest: dict[str, AnswerSet], profile: Profile,
           clock: _Clock) -> assessments.Special:
    """Make and insert every table's rows, parents before children."""
    inventory.make_users(world, vendors=scale.vendors, password_hash=hash_password(PASSWORD))
    store.insert(tables["users"], world.users)
    store.insert(tables["questionnaire_versions"], inventory.make_versions(world, questionnaires))
    vendors, domains = inventory.make_vendors(world, scale.vendors)
    plans, special = assessments.plan_assessments(world, scale.assessments, pools, richest)
    # Page 400 of the vendor list (25 a page) must exist at full scale: archive few.
    inventory.archive_some(world, max(1, scale.vendors // 500),
                           keep={special.report_vendor["id"], special.portal.vendor["id"]})
    store.insert(tables["vendors"], vendors)
    store.insert(tables["vendor_domains"], domains)
    store.insert(tables["agreements"], agreements.make_agreements(world))
    store.insert(tables["vendor_decisions"], agreements.make_decisions(world))
    assessments.fit_answers(world, plans, scale.answers)
    rows = assessments.assessment_rows(world, plans)
    store.insert(tables["assessments"], rows)
    store.insert(tables["assessment_questionnaires"], assessments.questionnaire_rows(world, plans))
    clock.lap("rows")
    answer_table = tables["assessment_answers"]
    stamp = store.processor(answer_table, "updated_at")
    store.insert_tuples(answer_table, [c.name for c in answer_table.columns],
                        assessments.answer_rows(world, plans, stamp), encoded=True)
    clock.lap("answers")
    store.insert(tables["share_links"], assessments.link_rows(world, plans))
    store.insert(tables["clarifications"], assessments.clarification_rows(world, plans))
    scanned = scans.plan_scans(world, scale.findings, special.report_vendor, REPORT_FINDINGS)
    store.insert(tables["scans"], (scan for scan, _ in scanned))
    store.insert(tables["scan_findings"], scans.finding_rows(scanned))
    store.insert(tables["finding_acceptances"], scans.acceptance_rows(world))
    store.insert(tables["vendor_scores"], activity.score_rows(world, profile))
    open_rows = [row for row in rows if row["status"] in OPEN]
    store.insert(tables["reminder_deliveries"], activity.delivery_rows(world, open_rows))
    store.insert(tables["calendar_feeds"], activity.feed_rows(world))
    clock.lap("other rows")
    events, last_hash = activity.chained_events(world)
    store.insert(tables["audit_events"], events)
    head = tables["audit_chain_head"]
    store.connection.execute(head.update().where(head.c.id == CHAIN_HEAD_ID).values(
        last_event_id=events[-1]["id"] if events else None, last_hash=last_hash))
    clock.lap("audit")
    return special


class _Clock:
    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 2)
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.started


@contextmanager
def _instance(folder: Path | None) -> Iterator[Path]:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="riskapp-bench-") as temporary:
        yield Path(temporary)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--database-url", required=True,
                        help="sqlite:////tmp/bench/riskapp.db or "
                             "postgresql://postgres@127.0.0.1:5432/bench (wiped first)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the full scale, e.g. 0.01 for 100 vendors")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(generate(args.database_url, Scale.of(args.scale), seed=args.seed).summary())


if __name__ == "__main__":
    main()
