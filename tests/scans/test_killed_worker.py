"""``flask scans worker`` killed with SIGKILL in the middle of a scan: the scan does not stay
"running" for ever, nothing of it is half-stored, and the vendor can be scanned again.

A killed process runs no cleanup, and huey never hands a job out again once a worker has taken
it (it left the queue as the scan began, on SQLite and on Redis alike). What recovers the scan
is its heartbeat (riskapp/scans/heartbeat.py): a worker marks failed a running scan whose
worker stopped beating, and leaves alone one whose worker is alive.

The scans here ask a DNS server on loopback that takes every question and answers none, so a
scan is surely mid-way when its worker dies.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.audit.services import verify_chain
from riskapp.database import db, utcnow
from riskapp.scans.heartbeat import SILENT_BEATS, fail_interrupted
from riskapp.scans.models import Scan, ScanStatus
from riskapp.scans.queue import scan_queue
from riskapp.scans.services import INTERRUPTED
from riskapp.vendors.models import Vendor
from tests.conftest import REDIS_URL
from tests.scans.conftest import LAB_DOMAIN, ask_for_scan, text_of

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
BEAT = 1.0  # seconds between heartbeats in these tests' workers (15 in production)
STARTS_WITHIN = 30  # seconds
QUEUES = ["sqlite"] + (["redis"] if REDIS_URL else [])


class SilentResolver:
    """A DNS server on loopback that takes every question and answers none."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((LOOPBACK, 0))
        self.address = f"{LOOPBACK}:{self._socket.getsockname()[1]}"

    def wait_for_a_question(self, timeout: float = STARTS_WITHIN) -> None:
        self._socket.settimeout(timeout)
        try:
            self._socket.recv(4096)
        except TimeoutError:
            pytest.fail(f"no scan asked the DNS server within {timeout} s")

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def silent_resolver() -> Iterator[SilentResolver]:
    resolver = SilentResolver()
    yield resolver
    resolver.close()


@pytest.fixture
def queue(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The queue's settings: the default SQLite file, or Redis under a name of the test's own."""
    if getattr(request, "param", "sqlite") == "redis":
        return {"REDIS_URL": REDIS_URL, "QUEUE_NAME": f"riskapp-test-{uuid.uuid4().hex}"}
    return {}


@pytest.fixture
def app_config(queue: dict[str, Any]) -> dict[str, Any]:
    return {"SCAN_HEARTBEAT_SECONDS": BEAT} | queue


@dataclass
class Worker:
    """``flask scans worker`` in a process group of its own."""

    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_started(self) -> None:
        deadline = time.monotonic() + STARTS_WITHIN
        while "Worker: " not in self.log.read_text():
            assert self.process.poll() is None, f"the worker stopped:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"no start:\n{self.log.read_text()}"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the worker: no shutdown, no cleanup."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        """Stop the worker as Ctrl-C would; return its exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


@pytest.fixture
def start_worker(app: Flask, database_url: str, tmp_path: Path, app_config: dict[str, Any],
                 silent_resolver: SilentResolver) -> Iterator[Callable[[], Worker]]:
    """Start ``flask scans worker`` on the test's database, instance folder and queue, its
    scans asking the silent DNS server; kill the workers still running after the test."""
    workers: list[Worker] = []
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("RISKAPP_")} | {
        # The test's settings that no RISKAPP_* variable carries, through the factory.
        "FLASK_APP": f"riskapp:create_app({app_config!r})",
        "RISKAPP_DATABASE_URL": database_url, "RISKAPP_INSTANCE_PATH": app.instance_path,
        "RISKAPP_SECRET_KEY": "test-secret-key-not-for-production",
        "RISKAPP_SCAN_RESOLVER": silent_resolver.address, "RISKAPP_SCAN_TIMEOUT": "60"}

    def start() -> Worker:
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                [sys.executable, "-m", "flask", "scans", "worker", "--workers", "1"],
                cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True)
        workers.append(Worker(process, log))
        return workers[-1]

    yield start
    for worker in workers:
        if worker.process.poll() is None:
            worker.kill()
    if app_config.get("REDIS_URL"):
        scan_queue(app).huey.flush()


def scans_of(vendor: Vendor) -> list[Scan]:
    db.session.expire_all()
    scans = list(db.session.scalars(select(Scan).where(Scan.vendor_id == vendor.id)
                                    .order_by(Scan.id)))
    db.session.commit()  # outside requests a transaction holds SQLite's write lock: end it
    return scans


@pytest.mark.parametrize("queue", QUEUES, indirect=True)
def test_a_scan_whose_worker_was_killed_is_failed_by_the_next_worker_and_can_be_run_again(
    app: Flask, clinic: Vendor, officer: FlaskClient, silent_resolver: SilentResolver,
    start_worker: Callable[[], Worker],
) -> None:
    watch = ask_for_scan(officer, clinic)
    db.session.commit()  # outside requests a transaction holds SQLite's write lock: end it
    first = start_worker()
    silent_resolver.wait_for_a_question()  # the scan is running, waiting for an answer
    first.kill()
    left = watch.status()
    jobs_queued = scan_queue(app).huey.pending_count()

    second = start_worker()
    outcome = watch.wait_until_finished(timeout=SILENT_BEATS * BEAT + STARTS_WITHIN)
    second_exit = second.stop()
    page = text_of(officer.get(f"/vendors/{clinic.id}").text)
    again = officer.post(f"/vendors/{clinic.id}/scans/")

    assert left == ScanStatus.RUNNING  # killed mid-scan, it could not say so itself
    assert jobs_queued == 0  # and the queue holds no job to run it again
    assert outcome == ScanStatus.FAILED
    assert second_exit == 0
    interrupted, queued = scans_of(clinic)
    assert interrupted.error == INTERRUPTED
    assert interrupted.findings == []  # nothing half-stored
    assert f"after 1 attempt: {INTERRUPTED}" in page
    assert again.status_code == 302
    assert (queued.status, queued.id) == (ScanStatus.QUEUED, interrupted.id + 1)
    assert verify_chain().intact


def test_a_worker_leaves_alone_the_scan_a_live_worker_runs_and_fails_it_when_that_one_dies(
    clinic: Vendor, officer: FlaskClient, silent_resolver: SilentResolver,
    start_worker: Callable[[], Worker],
) -> None:
    watch = ask_for_scan(officer, clinic)
    db.session.commit()  # outside requests a transaction holds SQLite's write lock: end it
    first = start_worker()
    silent_resolver.wait_for_a_question()
    second = start_worker()
    second.wait_until_started()
    time.sleep((SILENT_BEATS + 1) * BEAT)  # long past the silence that would mean "dead"
    while_alive = watch.status()

    first.kill()
    outcome = watch.wait_until_finished(timeout=SILENT_BEATS * BEAT + STARTS_WITHIN)
    second_exit = second.stop()

    assert while_alive == ScanStatus.RUNNING
    assert outcome == ScanStatus.FAILED  # by the second worker, which kept running
    assert second_exit == 0
    (scan,) = scans_of(clinic)
    assert scan.error == INTERRUPTED
    assert scan.findings == []
    assert verify_chain().intact


def test_only_the_running_scans_not_heard_from_for_four_beats_are_failed(
    app: Flask, clinic: Vendor,
) -> None:
    now = utcnow()

    def scan(status: ScanStatus, heard: timedelta | None) -> Scan:
        row = Scan(vendor=clinic, status=status.value, domains=[LAB_DOMAIN], attempts=1,
                   started_at=now - timedelta(hours=1),
                   heartbeat_at=None if heard is None else now - heard)
        db.session.add(row)
        return row

    alive = scan(ScanStatus.RUNNING, timedelta(seconds=BEAT))  # its last beat
    silent = scan(ScanStatus.RUNNING, timedelta(seconds=2 * SILENT_BEATS * BEAT))
    from_before_heartbeats = scan(ScanStatus.RUNNING, None)  # judged by when it started
    done = scan(ScanStatus.DONE, timedelta(hours=1))
    queued = scan(ScanStatus.QUEUED, None)
    db.session.commit()

    failed = fail_interrupted(app)

    assert sorted(failed) == [silent.id, from_before_heartbeats.id]
    db.session.expire_all()
    assert [row.status for row in (alive, silent, from_before_heartbeats, done, queued)] == [
        "running", "failed", "failed", "done", "queued"]
    assert silent.error == INTERRUPTED
    assert silent.finished_at is not None
