"""``flask reminders run`` killed with SIGKILL in the middle of sending a mail: the next run
sends everything else, and nothing twice.

A process that is killed runs no cleanup, so this is the real thing, not an exception: the
first run talks to an SMTP server that stalls inside DATA, and is killed there.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from riskapp.agreements.models import Agreement
from riskapp.audit.services import verify_chain
from riskapp.database import db
from riskapp.reminders.models import DeliveryStatus
from riskapp.vendors.models import Vendor
from tests.reminders.conftest import BASE_URL, LOOPBACK, ON, MailServer, Staff, deliveries

ROOT = Path(__file__).resolve().parents[2]


class StallingServer(MailServer):
    """An SMTP server that takes a message's DATA and never answers it."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()

    async def _serve(self) -> int:
        server = self

        class Stall:
            async def handle_DATA(self, _smtp: SMTP, _session: Session, _envelope: Envelope
                                  ) -> str:
                server.stalled.set()
                await server._loop.create_future()  # never done: the sender waits for ever
                return "250 never"

        listening = await self._loop.create_server(
            lambda: SMTP(Stall(), hostname="stall.lab.test", loop=self._loop), LOOPBACK, 0)
        self._servers.append(listening)
        port: int = listening.sockets[0].getsockname()[1]
        return port


def reminders_run(database_url: str, instance: Path, smtp_port: int) -> subprocess.Popen[bytes]:
    environment = os.environ | {
        "FLASK_APP": "riskapp", "RISKAPP_DATABASE_URL": database_url,
        "RISKAPP_INSTANCE_PATH": str(instance), "RISKAPP_SMTP_HOST": LOOPBACK,
        "RISKAPP_SMTP_PORT": str(smtp_port), "RISKAPP_SMTP_STARTTLS": "false",
        "RISKAPP_MAIL_FROM": "riskapp@hospital.example", "RISKAPP_BASE_URL": BASE_URL,
        "RISKAPP_REMINDER_DAYS": "90,30,7,0"}
    return subprocess.Popen(  # noqa: S603 (our own command, on loopback)
        [sys.executable, "-m", "flask", "reminders", "run", "--date", ON.isoformat()],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_run_killed_mid_mail_is_finished_by_the_next_without_a_duplicate(
        database_url: str, tmp_path: Path, mail_server: MailServer, staff: Staff,
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement]) -> None:
    signed_baa(make_vendor("Acme Mail"), ON + dt.timedelta(days=30),
               contract_owner_id=staff.owner.id)
    db.session.commit()

    with StallingServer() as stalling:
        first = reminders_run(database_url, tmp_path, stalling.port)
        if not stalling.stalled.wait(timeout=60):
            first.kill()
            pytest.fail(f"the first run never reached DATA: {first.communicate()[0]!r}")
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
    cut_off = {row.recipient for row in deliveries() if row.status == DeliveryStatus.SENDING.value}
    db.session.commit()  # outside requests a transaction holds SQLite's write lock: end it

    second = reminders_run(database_url, tmp_path, mail_server.port)
    second_output = second.communicate(timeout=120)[0].decode()
    third = reminders_run(database_url, tmp_path, mail_server.port)
    third_output = third.communicate(timeout=120)[0].decode()

    received = Counter(mail.to for mail in mail_server.inbox if not mail.is_digest)
    assert first.returncode == -signal.SIGKILL
    assert len(cut_off) == 1  # killed while sending one mail, before finishing it
    assert second.returncode == 0, second_output
    assert third.returncode == 0, third_output
    assert set(received) == {staff.owner.email, staff.officer.email} - cut_off
    assert set(received.values()) == {1}  # everyone else got theirs, once
    assert {row.status for row in deliveries() if row.recipient in cut_off
            and "digest" not in row.once_key} == {
        DeliveryStatus.SENDING.value}  # shown as unconfirmed, never sent again
    db.session.expire_all()
    assert verify_chain().intact
