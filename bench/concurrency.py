"""Many vendors saving answers at once: no error, and every saved value where it belongs.

    python -m bench.concurrency --database-url URL [--vendors 50] [--seconds 60]

riskapp is served as ``make run`` serves it (gunicorn, 2 workers of 4 threads). Each simulated
vendor opens the share link of an assessment of its own and autosaves a portal section again
and again for ``--seconds``, each time with a comment naming the vendor and the save, as the
portal's script does. Afterwards each assessment's stored answers are read back: its comment
must be the last one its vendor saved (nothing lost), and no answer anywhere may carry another
vendor's words (nothing mixed up). The suite runs a short form of this on SQLite and
PostgreSQL (``tests/test_concurrent_vendors.py``); the full one is for a person to run.
"""

from __future__ import annotations

import argparse
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx
from flask import Flask
from sqlalchemy import select

from bench.pages import Visitor, bench_user, served
from riskapp import create_app
from riskapp.access import Role
from riskapp.assessments import services as assessments
from riskapp.assessments.models import AnswerRecord
from riskapp.database import db, utcnow
from riskapp.questionnaires import services as questionnaires
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Category, Criticality, VendorStatus

VENDORS, SECONDS = 50, 60.0
OFFICER_EMAIL = "concurrency-officer@bench.example"
_SAVED_BY = re.compile(r"Saved by client (\d+), (\d+)")


@dataclass(frozen=True)
class Prepared:
    section: str  # the portal section every vendor saves
    tokens: list[str]  # one share link per vendor
    assessment_ids: list[int]


@dataclass
class Outcome:
    """What the vendors did and what the database holds afterwards."""

    saves: int = 0
    errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # a vendor's last save is not what is stored
    mixed: list[str] = field(default_factory=list)  # a vendor's words in another's answers
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (self.errors or self.lost or self.mixed)


def prepare(app: Flask, count: int) -> Prepared:
    """``count`` vendors, each with an assessment sent to it and a share link, committed."""
    with app.app_context():
        versions = assessments.offered_versions()
        if not versions:
            questionnaires.publish_library(questionnaires.library(), actor=None)
            versions = assessments.offered_versions()
        officer = bench_user(OFFICER_EMAIL, Role.OFFICER, secrets.token_urlsafe(18))
        run = secrets.token_hex(3)  # names stay unique when the script runs again
        tokens, started = [], []
        for number in range(count):
            vendor = vendors.create_vendor(vendors.VendorFields(
                name=f"Concurrent vendor {run}-{number}",
                primary_domain=f"concurrent-{run}-{number}.example",
                category=Category.EMAIL, criticality=Criticality.MEDIUM,
                status=VendorStatus.ACTIVE), actor=officer)
            assessment, token = assessments.start_assessment(
                vendor, versions, due_date=utcnow().date() + timedelta(days=30),
                respondent_name=f"Vendor {number}", link_days=1, actor=officer,
                respondent_email=f"vendor{number}@concurrent.example")
            tokens.append(token)
            started.append(assessment)
        definition = assessments.definition_of(started[0].questionnaires[0])
        section = max(definition.sections, key=lambda s: len(s.questions))
        ids = [assessment.id for assessment in started]  # read before the commit expires them
        db.session.commit()
        return Prepared(f"/portal/0/{section.id}", tokens, ids)


def save_for(visitor: Visitor, until: float, outcome: Outcome, last: dict[int, int],
             lock: threading.Lock) -> None:
    """Autosave as one vendor until ``until``; remember its last save that went through."""
    while time.monotonic() < until:
        try:
            visitor.autosave()
        except Exception as error:  # every failure is counted, none ends the run
            with lock:
                outcome.errors.append(f"vendor {visitor.number}: {error}"[:200])
            continue
        with lock:
            outcome.saves += 1
            last[visitor.number] = visitor.saves


def stored_comments(app: Flask, prepared: Prepared) -> dict[int, list[str]]:
    """Each vendor's saved comments as the database holds them, by vendor number."""
    number_of = {assessment_id: n for n, assessment_id in enumerate(prepared.assessment_ids)}
    found: dict[int, list[str]] = {n: [] for n in number_of.values()}
    with app.app_context():
        for assessment_id, data in db.session.execute(
                select(AnswerRecord.assessment_id, AnswerRecord.data)
                .where(AnswerRecord.assessment_id.in_(prepared.assessment_ids))):
            comment = str((data or {}).get("comment", ""))
            if "Saved by" in comment:
                found[number_of[assessment_id]].append(comment)
    return found


def check(app: Flask, prepared: Prepared, last: dict[int, int], outcome: Outcome) -> None:
    """Read every assessment's answers back and compare them with what each vendor saved."""
    for number, comments in stored_comments(app, prepared).items():
        found = [match for match in map(_SAVED_BY.search, comments) if match]
        others = sorted({m.group(1) for m in found} - {str(number)})
        if others:
            outcome.mixed.append(f"vendor {number}'s answers hold words of vendor(s) "
                                 f"{', '.join(others)}")
        expected = last.get(number)
        stored = [int(m.group(2)) for m in found if m.group(1) == str(number)]
        if expected is not None and stored != [expected]:
            outcome.lost.append(f"vendor {number} last saved #{expected}; stored: {stored}")


def run(database_url: str, folder: Path, *, count: int = VENDORS,
        seconds: float = SECONDS) -> Outcome:
    """Serve riskapp on ``database_url``, have ``count`` vendors save for ``seconds``, and
    check what was stored."""
    instance = folder / "instance"
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)})
    prepared = prepare(app, count)
    with app.app_context():
        db.engine.dispose()
    outcome, last, lock = Outcome(), {}, threading.Lock()
    environment = {"RISKAPP_DATABASE_URL": database_url, "RISKAPP_INSTANCE_PATH": str(instance)}
    with served("wsgi:app", folder, environment, probe="/login") as base:
        visitors = [Visitor(n, partial(httpx.Client, base_url=base, timeout=60))
                    for n in range(count)]
        try:
            for visitor, token in zip(visitors, prepared.tokens, strict=True):
                visitor.open_link("respondent", token)
                visitor.load_form(prepared.section)
            began = time.monotonic()
            threads = [threading.Thread(target=save_for, args=(v, began + seconds, outcome,
                                                               last, lock)) for v in visitors]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            outcome.seconds = time.monotonic() - began
        finally:
            for visitor in visitors:
                visitor.close()
    check(app, prepared, last, outcome)
    with app.app_context():
        db.engine.dispose()
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a migrated riskapp database (e.g. one bench.generate filled)")
    parser.add_argument("--vendors", type=int, default=VENDORS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as scratch:
        outcome = run(args.database_url, Path(scratch), count=args.vendors,
                      seconds=args.seconds)
    print(f"{args.vendors} vendors, {outcome.seconds:.0f} s: {outcome.saves:,} saves "
          f"({outcome.saves / max(outcome.seconds, 1e-9):,.0f}/s), {len(outcome.errors)} "
          f"errors, {len(outcome.lost)} lost, {len(outcome.mixed)} mixed up")
    for problem in (outcome.errors + outcome.lost + outcome.mixed)[:20]:
        print("  " + problem)
    return 0 if outcome.clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
