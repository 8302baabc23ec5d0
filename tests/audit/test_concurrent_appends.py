"""Events appended at the same moment by different workers still form one unbroken chain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select

from riskapp.audit import services as audit
from riskapp.audit.models import AuditEvent
from riskapp.database import db

WORKERS = 4
EVENTS_EACH = 10
# Generous: it only bounds how long a broken test hangs, it never delays a passing one.
START_TIMEOUT_SECONDS = 30


def append_concurrently(app: Flask) -> None:
    """Have ``WORKERS`` threads, each in its own app context, append events all at once."""
    start = threading.Barrier(WORKERS)

    def worker(number: int) -> None:
        with app.app_context():
            start.wait(timeout=START_TIMEOUT_SECONDS)
            for sequence in range(EVENTS_EACH):
                audit.record("test.concurrent", actor=None,
                             summary=f"worker {number} event {sequence}")
                db.session.commit()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(worker, number) for number in range(WORKERS)]
        for future in futures:
            future.result()  # re-raises whatever a worker raised


def test_concurrent_appends_leave_an_intact_chain(app: Flask) -> None:
    append_concurrently(app)

    report = audit.verify_chain()

    assert report.intact, report.first_break
    assert report.events_checked == WORKERS * EVENTS_EACH


def test_concurrent_appends_never_share_a_previous_hash(app: Flask) -> None:
    append_concurrently(app)

    total, distinct_previous = db.session.execute(
        select(func.count(), func.count(AuditEvent.previous_hash.distinct()))
    ).one()
    assert total == WORKERS * EVENTS_EACH
    assert distinct_previous == WORKERS * EVENTS_EACH
