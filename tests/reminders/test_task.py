"""The daily job on the task queue: scheduled at ``REMINDER_HOUR`` on the worker's huey, it
rescores vendors whose BAA lapsed and sends the reminders due today, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from huey import Huey
from huey.signals import SIGNAL_ERROR

from riskapp.agreements.models import Agreement
from riskapp.database import db
from riskapp.reminders import services
from riskapp.reminders.tasks import REMINDER_TASK_NAME, run_daily
from riskapp.scans.queue import scan_queue
from riskapp.scoring import services as scoring
from riskapp.vendors.models import Vendor
from tests.reminders.conftest import MailServer, Staff

DAY = dt.timedelta(days=1)


def due_at(huey: Huey, when: dt.datetime) -> list[str]:
    """The periodic jobs the worker's scheduler starts at ``when`` (naive, UTC, as huey has it)."""
    return [task.name for task in huey.read_periodic(when)]


def run_the_worker(huey: Huey, when: dt.datetime) -> list[BaseException]:
    """Execute the periodic jobs due at ``when`` as the consumer would; return their errors
    (huey logs a job's error and carries on)."""
    db.session.commit()  # the job works in its own app context and session
    errors: list[BaseException] = []

    def record(signal: str, task: object, exc: BaseException | None = None) -> None:
        if exc is not None:
            errors.append(exc)

    huey.signal(SIGNAL_ERROR)(record)
    try:
        for task in huey.read_periodic(when):
            huey.execute(task, when)
    finally:
        huey.disconnect_signal(record, SIGNAL_ERROR)
    return errors


def worker_time(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def test_the_worker_starts_the_reminders_every_day_at_the_reminder_hour(app: Flask) -> None:
    huey = scan_queue(app).prepare_worker()
    hour = app.config["REMINDER_HOUR"]
    day = dt.date(2027, 3, 1)

    for offset in range(7):
        assert due_at(huey, worker_time(day + offset * DAY, hour)) == [REMINDER_TASK_NAME]
    assert due_at(huey, worker_time(day, hour) + dt.timedelta(minutes=1)) == []
    assert due_at(huey, worker_time(day, (hour + 1) % 24)) == []
    assert due_at(huey, worker_time(day, (hour - 1) % 24)) == []


def test_the_reminder_hour_is_configurable(app: Flask) -> None:
    app.config["REMINDER_HOUR"] = 22
    huey = scan_queue(app).prepare_worker()

    assert due_at(huey, dt.datetime(2027, 3, 1, 22, 0)) == [REMINDER_TASK_NAME]
    assert due_at(huey, dt.datetime(2027, 3, 1, 7, 0)) == []


def test_the_daily_job_sends_todays_reminders_once(
        app: Flask, make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    today = services.today()
    signed_baa(make_vendor("Acme Mail"), today + 7 * DAY)
    officer = staff.officer.email
    huey = scan_queue(app).prepare_worker()
    now = worker_time(today, app.config["REMINDER_HOUR"])

    assert run_the_worker(huey, now) == []
    assert run_the_worker(huey, now) == []

    assert [mail.subject for mail in mail_server.reminders_to(officer)] == [
        "riskapp: 1 deadline — BAA expires: Acme Mail in 7 days"]


def test_the_daily_job_rescores_a_vendor_whose_baa_lapsed_and_escalates_it(
        app: Flask, make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    today = services.today()
    vendor = make_vendor("Acme Mail", stores_phi=True)
    signed_baa(vendor, today - DAY)
    admin = staff.admin.email
    assert scoring.latest_score(vendor) is None
    huey = scan_queue(app).prepare_worker()

    assert run_the_worker(huey, worker_time(today, app.config["REMINDER_HOUR"])) == []

    score = scoring.latest_score(vendor)
    assert score is not None
    assert score.tier == "critical"  # a PHI vendor whose BAA is no longer in force
    assert score.reason == f"BAA expired on {(today - DAY).isoformat()}"
    assert [mail.subject for mail in mail_server.reminders_to(admin)] == [
        "riskapp: 1 deadline — BAA expires: Acme Mail overdue by 1 day"]


def test_run_daily_rescores_a_lapsed_baa_once(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff, mail_server: MailServer) -> None:
    today = services.today()
    vendor = make_vendor("Acme Mail", stores_phi=True)
    signed_baa(vendor, today - DAY)

    run_daily(today)
    run_daily(today)

    assert [row.reason for row in scoring.score_history(vendor)] == [
        f"BAA expired on {(today - DAY).isoformat()}"]
