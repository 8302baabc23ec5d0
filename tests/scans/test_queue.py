"""The queue is real: a scan asked for on the page waits in the SQLite queue (the default) until
a worker runs it, and ``flask scans worker`` (what ``make run`` starts) runs it with the
scanner's private-address block on. tests/scans/test_queue_on_redis.py does the same on Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from huey import SqliteHuey

from riskapp.scans.models import ScanStatus
from riskapp.scans.queue import QUEUE_FILE, scan_queue
from riskapp.vendors.models import Vendor
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.web_server import TlsKind, WebLab
from tests.scans.conftest import LAB_DOMAIN, ask_for_scan, only_scan

WORKER_STOPS_WITHIN = 15  # seconds


@pytest.fixture
def start_worker(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Start ``flask scans worker`` as ``make run`` does, on the test's database and instance
    folder; stop it (SIGINT, as Ctrl-C would) after the test."""
    workers: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "worker.log"

    def start(**settings: str) -> None:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("RISKAPP_")}
        env |= {"FLASK_APP": "riskapp", "RISKAPP_DATABASE_URL": database_url,
                "RISKAPP_INSTANCE_PATH": app.instance_path,
                "RISKAPP_SECRET_KEY": "test-secret-key-not-for-production"}
        env |= {f"RISKAPP_{name.upper()}": value for name, value in settings.items()}
        with log.open("ab") as output:
            workers.append(subprocess.Popen(  # noqa: S603 - our own interpreter and command
                [sys.executable, "-m", "flask", "scans", "worker", "--workers", "1"],
                env=env, stdout=output, stderr=subprocess.STDOUT))

    yield start
    for worker in workers:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(WORKER_STOPS_WITHIN)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
            pytest.fail(f"the worker did not stop on SIGINT:\n{log.read_text()}")


def test_without_redis_the_queue_is_a_sqlite_file_in_the_instance_folder(app: Flask) -> None:
    huey = scan_queue(app).huey

    assert isinstance(huey, SqliteHuey)
    assert huey.storage.filename == os.path.join(app.instance_path, QUEUE_FILE)


def test_a_scan_waits_in_the_queue_until_a_worker_runs_it(
    app: Flask, clinic: Vendor, officer: FlaskClient,
) -> None:
    watch = ask_for_scan(officer, clinic)

    assert watch.status() == ScanStatus.QUEUED
    assert scan_queue(app).huey.pending_count() == 1
    page = officer.get(f"/vendors/{clinic.id}").text
    assert "waiting for the scan worker" in page


def test_the_worker_runs_queued_scans_with_the_private_address_block_on(
    app: Flask, clinic: Vendor, officer: FlaskClient, dns_lab: DnsLab, web_lab: WebLab,
    start_worker: Callable[..., None],
) -> None:
    lab_web = web_lab.address(TlsKind.GOOD)
    dns_lab.set_zones({LAB_DOMAIN: [("A", lab_web)], f"www.{LAB_DOMAIN}": [("A", lab_web)]})
    watch = ask_for_scan(officer, clinic)

    start_worker(scan_resolver=f"127.0.0.1:{dns_lab.port}", scan_timeout="2")

    assert watch.wait_until_finished() == ScanStatus.DONE
    assert scan_queue(app).huey.pending_count() == 0
    scan = only_scan()
    blocked = {f.evidence for f in scan.findings if f.finding_id == "scan.blocked_address"}
    assert blocked == {f"{LAB_DOMAIN} -> {lab_web} (loopback address)",
                       f"www.{LAB_DOMAIN} -> {lab_web} (loopback address)"}
    assert web_lab.requests == []  # the lab's website is on loopback: never connected to
