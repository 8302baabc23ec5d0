"""The daily job: rescore vendors whose BAA lapsed overnight, then send the reminders due."""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask
from huey import Huey, crontab
from huey.api import TaskWrapper

from riskapp.database import db
from riskapp.reminders import services
from riskapp.scoring import services as scoring

REMINDER_TASK_NAME = "daily_reminders"
log = logging.getLogger(__name__)


def register_reminder_task(huey: Huey, app: Flask) -> TaskWrapper:
    """Register the daily job on ``huey``, at ``REMINDER_HOUR`` (UTC), to run inside ``app``.

    A worker that was down at that hour runs nothing for the missed day; the next day's run
    sends whatever step is due by then (see :func:`riskapp.reminders.rules.step_due`), so a
    late run costs a day, never a reminder.
    """

    @huey.periodic_task(crontab(minute="0", hour=str(app.config["REMINDER_HOUR"])),
                        name=REMINDER_TASK_NAME)
    def daily_reminders() -> None:
        with app.app_context():
            run_daily(services.today())

    return daily_reminders


def run_daily(on: date) -> services.RunReport:
    rescored = scoring.rescore_lapsed_baas(on)
    db.session.commit()
    if rescored:
        log.info("rescored %d vendor(s) whose BAA lapsed", len(rescored))
    report = services.run_reminders(on)
    log.info("reminders for %s: %d sent, %d failed, %d sent before", on, len(report.sent),
             len(report.failed), report.already)
    return report
