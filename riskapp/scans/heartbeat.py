"""How a running scan shows that its worker is alive, and how workers find the scans a killed
worker left running.

huey takes a job off the queue as a worker begins it, on SQLite and on Redis alike, and never
hands it out again: a worker killed mid-scan (SIGKILL, the out-of-memory killer, a power cut,
and SIGTERM too, whose huey exits without waiting for its worker threads) would leave its scan
"running" for ever, and the vendor page saying so. So while a scan runs,
a thread beside it writes the time into the scan (``Scan.heartbeat_at``) every
``SCAN_HEARTBEAT_SECONDS`` (15 unless a test sets it); and every worker, as it starts and then
once a beat, marks failed the running scans not heard from for ``SILENT_BEATS`` beats.

Why a heartbeat, and not "every scan running when a worker starts": several workers may run at
once (``make run`` and a second machine sharing a Redis queue), and a worker that starts cannot
otherwise tell a dead worker's scan from a live one's; nor does a scan's length have a bound to
wait out, since it grows with the vendor's domains. Four beats leave room for a beat held up by
a busy database (SQLite's busy timeout is 10 s) and for clocks of two machines not quite
agreeing.

The scan is failed rather than run again: the officer sees why and starts another with one
click, and a scan whose own target brought the worker down (memory, say) is not repeated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask

from riskapp.database import db
from riskapp.scans import services

DEFAULT_HEARTBEAT_SECONDS = 15.0
SILENT_BEATS = 4
log = logging.getLogger(__name__)


def beat_seconds(app: Flask) -> float:
    return float(app.config.get("SCAN_HEARTBEAT_SECONDS") or DEFAULT_HEARTBEAT_SECONDS)


@contextmanager
def beating(app: Flask, scan_id: int) -> Iterator[None]:
    """Record the scan's heartbeat once a beat while the block runs."""

    def beat() -> None:
        with app.app_context():
            services.record_heartbeat(scan_id)
            db.session.commit()

    with _every_beat(app, beat, f"scan-{scan_id}-heartbeat"):
        yield


def fail_interrupted(app: Flask) -> list[int]:
    """Mark failed the running scans whose worker stopped beating; return their ids."""
    with app.app_context():
        silent_for = timedelta(seconds=beat_seconds(app) * SILENT_BEATS)
        failed = services.fail_interrupted_scans(silent_for=silent_for)
        db.session.commit()
    if failed:
        log.warning("scan(s) %s were interrupted (their worker stopped): marked failed",
                    ", ".join(map(str, failed)))
    return failed


@contextmanager
def watching(app: Flask) -> Iterator[None]:
    """Look for interrupted scans now, then once a beat while the block runs."""
    with _every_beat(app, lambda: fail_interrupted(app), "interrupted-scans", at_once=True):
        yield


@contextmanager
def _every_beat(app: Flask, action: Callable[[], object], name: str, *,
                at_once: bool = False) -> Iterator[None]:
    """Run ``action`` in a thread of its own once a beat (and at once, if asked) while the
    block runs."""
    stop = threading.Event()

    def repeat() -> None:
        wait = 0.0 if at_once else beat_seconds(app)
        while not stop.wait(wait):
            try:
                action()
            except Exception:  # the database away for a moment: a missed beat, not the end
                log.exception("%s failed; trying again next beat", name)
            wait = beat_seconds(app)

    thread = threading.Thread(target=repeat, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
