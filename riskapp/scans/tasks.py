"""The background job that scans a vendor's domains, registered on the app's queue."""

from __future__ import annotations

from flask import Flask, current_app
from huey import Huey
from huey.api import Task, TaskWrapper

from riskapp.database import db
from riskapp.scans import heartbeat, scanning, services
from riskapp.scoring import services as scoring

SCAN_TASK_NAME = "scan_vendor"


def register_tasks(huey: Huey, app: Flask) -> TaskWrapper:
    """Register the scan job on ``huey``, to run inside ``app``; return the task to call.

    The job is retried ``SCAN_RETRIES`` times, ``SCAN_RETRY_DELAY`` seconds apart: a scan
    that raised met something passing (the database busy, the network down), since a vendor's
    broken DNS or silent server is a finding, never an exception.
    """

    @huey.task(retries=app.config["SCAN_RETRIES"], retry_delay=app.config["SCAN_RETRY_DELAY"],
               context=True, name=SCAN_TASK_NAME)
    def scan_vendor(scan_id: int, task: Task | None = None) -> None:
        with app.app_context():
            run_scan(scan_id, will_retry=bool(task is not None and task.retries))

    return scan_vendor


def run_scan(scan_id: int, *, will_retry: bool) -> None:
    """Run one attempt of a scan and commit its outcome, as a job does.

    The scan itself runs outside any transaction: on SQLite an open one would hold the write
    lock for as long as the vendor's slowest server takes to answer. Meanwhile its heartbeat
    tells other workers it is alive (:mod:`riskapp.scans.heartbeat`). A failure is recorded
    on the scan, for the page to show, and raised again for the queue to retry.
    """
    job = services.begin_scan(scan_id)
    db.session.commit()
    if job is None:
        return
    try:
        options = scanning.ScanOptions.from_config(current_app.config)
        with heartbeat.beating(current_app._get_current_object(), scan_id):
            reports = scanning.scan_domains(job.domains, options)
        services.record_scan_results(scan_id, reports)
        scoring.rescore_after_scan(scan_id)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        services.record_failure(scan_id, services.describe_error(error), will_retry=will_retry)
        db.session.commit()
        raise
