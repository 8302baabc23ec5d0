"""The task queue scans and the daily reminders run on: huey, on SQLite by default and on
Redis when configured.

With nothing configured the queue is a SQLite file in the instance folder (``queue.db``), so
one machine needs no extra server; ``RISKAPP_REDIS_URL`` moves it to Redis, for deployments
whose workers run on several machines. ``flask scans worker`` runs the jobs (``make run``
starts it beside the web server).

Each app gets its own huey instance, built from its config when first used, with the scan job
registered on it to run inside that app. Tests set ``QUEUE_IMMEDIATE`` to run jobs at once in
the process that queues them, and ``QUEUE_NAME`` to keep a test's jobs apart on a shared Redis.
"""

from __future__ import annotations

import functools
import os

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from riskapp.reminders.tasks import register_reminder_task
from riskapp.scans.scanning import ScanOptions
from riskapp.scans.tasks import register_tasks

QUEUE_FILE = "queue.db"
DEFAULT_QUEUE_NAME = "riskapp-scans"
EXTENSION_KEY = "riskapp.scan_queue"


class ScanQueue:
    """An app's queue of scan jobs."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    @functools.cached_property
    def huey(self) -> Huey:
        return make_huey(self._app)

    @functools.cached_property
    def scan_vendor(self) -> TaskWrapper:
        return register_tasks(self.huey, self._app)

    def submit(self, scan_id: int) -> None:
        """Queue the job for a scan recorded (and committed) as queued.

        :raises Exception: whatever the queue's storage raises when it cannot be reached.
        """
        self.scan_vendor(scan_id)

    @functools.cached_property
    def daily_reminders(self) -> TaskWrapper:
        return register_reminder_task(self.huey, self._app)

    def prepare_worker(self) -> Huey:
        """Return the huey instance with every job registered (the scans, and the daily
        reminders as a periodic job), for a consumer to run."""
        _ = self.scan_vendor, self.daily_reminders
        return self.huey


def make_huey(app: Flask) -> Huey:
    name = app.config.get("QUEUE_NAME") or DEFAULT_QUEUE_NAME
    # Results stay unstored: a job's outcome is the scan's row, not a value in the queue.
    if app.config.get("QUEUE_IMMEDIATE"):
        return MemoryHuey(name, immediate=True, results=False)
    if app.config.get("REDIS_URL"):
        return RedisHuey(name, url=app.config["REDIS_URL"], results=False)
    os.makedirs(app.instance_path, exist_ok=True)
    return SqliteHuey(name, filename=os.path.join(app.instance_path, QUEUE_FILE), results=False)


def init_scan_queue(app: Flask) -> None:
    """Give ``app`` its scan queue, refusing at start a scan setting that cannot work."""
    ScanOptions.from_config(app.config)
    app.extensions[EXTENSION_KEY] = ScanQueue(app)


def scan_queue(app: Flask | None = None) -> ScanQueue:
    queue: ScanQueue = (app or current_app).extensions[EXTENSION_KEY]
    return queue
