"""The scan queue on a real Redis, for deployments with several workers: a scan asked for on
the page waits in Redis until huey's consumer runs it.

Runs when ``RISKAPP_TEST_REDIS_URL`` is set; in CI it always is, and a Redis that does not
answer fails the run (tests/conftest.py)."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from huey import RedisHuey

from riskapp.scans.models import ScanStatus
from riskapp.scans.queue import scan_queue
from riskapp.vendors.models import Vendor
from tests.conftest import REDIS_URL
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.web_server import WebLab
from tests.scans.conftest import LAB_FINDINGS, ask_for_scan, lab_scan_config, only_scan

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="RISKAPP_TEST_REDIS_URL is not set")


@pytest.fixture
def app_config(dns_lab: DnsLab, web_lab: WebLab) -> dict[str, Any]:
    # A queue name of the test's own: nothing another run left in Redis reaches this test.
    return lab_scan_config(dns_lab, web_lab, REDIS_URL=REDIS_URL,
                           QUEUE_NAME=f"riskapp-test-{uuid.uuid4().hex}")


@pytest.fixture
def consumer(app: Flask) -> Iterator[Callable[[], None]]:
    """Start huey's own consumer on the app's queue, in threads of this process; stop it, and
    empty the test's queue, after the test."""
    huey = scan_queue(app).prepare_worker()
    saved = {number: signal.getsignal(number)
             for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    running = []

    def start() -> None:
        started = huey.create_consumer(workers=1, worker_type="thread", max_delay=0.5)
        started.start()  # sets its own signal handlers: pytest's come back after the test
        running.append(started)

    yield start
    for started in running:
        started.stop(graceful=True)
    for number, handler in saved.items():
        signal.signal(number, handler)
    huey.flush()


def test_with_a_redis_url_the_queue_is_on_redis(app: Flask) -> None:
    assert isinstance(scan_queue(app).huey, RedisHuey)


def test_a_scan_waits_in_redis_until_a_worker_runs_it(
    app: Flask, clinic: Vendor, officer: FlaskClient, lab: WebLab,
    consumer: Callable[[], None],
) -> None:
    watch = ask_for_scan(officer, clinic)
    assert watch.status() == ScanStatus.QUEUED
    assert scan_queue(app).huey.pending_count() == 1

    consumer()

    assert watch.wait_until_finished() == ScanStatus.DONE
    assert {f.finding_id for f in only_scan().findings} == LAB_FINDINGS
    assert scan_queue(app).huey.pending_count() == 0
