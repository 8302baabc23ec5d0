"""Fixtures for the reminder tests: a real SMTP server on loopback that keeps every message it
accepts, the app sending through it, and factories for the things deadlines come from.

The reminder services take the day to run as (``on``), so most tests use the fixed day
:data:`ON` and dates around it; pages and the periodic job ask the clock, so their tests count
from today.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from sqlalchemy import select

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements.models import Agreement, BaaStatus, Decision, VendorDecision
from riskapp.assessments.models import Assessment, Status
from riskapp.database import db
from riskapp.reminders.models import ReminderDelivery
from riskapp.vendors.models import Vendor
from tests.scanners.lab.loop_thread import LoopThread

LOOPBACK = "127.0.0.1"
BASE_URL = "https://riskapp.hospital.example"
ON = dt.date(2027, 3, 1)  # a Monday: ISO week 2027-W09


@dataclass(frozen=True)
class Received:
    """One message the SMTP server accepted, as its recipient's mail client would read it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def to(self) -> str:
        (recipient,) = self.rcpt_tos
        return recipient

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def is_digest(self) -> bool:
        return self.subject.startswith("riskapp weekly digest")

    @property
    def body(self) -> str:
        content: str = self.message.get_content()
        return content


class _Keeper:
    """aiosmtpd handler: keep every message, or refuse it while the server is refusing."""

    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.refuse:
            return "554 5.7.1 Message rejected"
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.server.inbox.append(
            Received(envelope.mail_from or "", tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class MailServer(LoopThread):
    """An SMTP server on 127.0.0.1 (any free port) keeping what it receives in ``inbox``
    (refusing every message while ``refuse`` is set), and ``closed_port``, bound but not
    listening, where connections are refused: a server that is down."""

    address = LOOPBACK

    def __init__(self) -> None:
        super().__init__()
        self.inbox: list[Received] = []
        self.refuse = False
        self.port = 0
        self.closed_port = 0

    def to(self, email: str) -> list[Received]:
        """Every mail ``email`` received, reminders and digests."""
        return [mail for mail in self.inbox if email in mail.rcpt_tos]

    def reminders_to(self, email: str) -> list[Received]:
        return [mail for mail in self.to(email) if not mail.is_digest]

    def digests_to(self, email: str) -> list[Received]:
        return [mail for mail in self.to(email) if mail.is_digest]

    def _open(self) -> None:
        self.port = self._run(self._serve())
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sockets.append(sock)
        sock.bind((LOOPBACK, 0))
        self.closed_port = sock.getsockname()[1]

    async def _serve(self) -> int:
        def session() -> SMTP:
            return SMTP(_Keeper(self), hostname="mail.lab.test", timeout=10,
                        loop=self._loop)

        server = await self._loop.create_server(session, LOOPBACK, 0)
        self._servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def app_config(mail_server: MailServer) -> dict[str, Any]:
    return {"SMTP_HOST": LOOPBACK, "SMTP_PORT": mail_server.port, "SMTP_STARTTLS": False,
            "SMTP_USERNAME": None, "MAIL_FROM": "riskapp@hospital.example",
            "BASE_URL": BASE_URL, "REMINDER_DAYS": "90,30,7,0", "QUEUE_IMMEDIATE": True}


# --- things deadlines come from ---------------------------------------------------------------


@pytest.fixture
def make_agreement(app: Flask) -> Callable[..., Agreement]:
    """Record a vendor's BAA and contract terms (committed)."""

    def make(vendor: Vendor, **fields: Any) -> Agreement:
        agreement = Agreement(vendor_id=vendor.id, **fields)
        db.session.add(agreement)
        db.session.commit()
        return agreement

    return make


@pytest.fixture
def signed_baa(make_agreement: Callable[..., Agreement]) -> Callable[..., Agreement]:
    """A signed BAA in force that expires on ``expires_on`` and does not renew itself."""

    def make(vendor: Vendor, expires_on: dt.date, **fields: Any) -> Agreement:
        values = {"baa_status": BaaStatus.SIGNED.value,
                  "baa_effective_on": expires_on - dt.timedelta(days=3 * 365),
                  "baa_expires_on": expires_on} | fields
        return make_agreement(vendor, **values)

    return make


@pytest.fixture
def make_assessment(app: Flask) -> Callable[..., Assessment]:
    """An assessment row in ``status`` (committed), without questionnaires."""

    def make(vendor: Vendor, *, status: Status = Status.SENT, due_date: dt.date = ON,
             created_by: User | None = None, completed_at: dt.datetime | None = None
             ) -> Assessment:
        assessment = Assessment(vendor_id=vendor.id, status=status.value, due_date=due_date,
                                respondent_name="Vera Vendor",
                                respondent_email="vera@vendor.example",
                                created_by_id=created_by.id if created_by else None,
                                completed_at=completed_at)
        db.session.add(assessment)
        db.session.commit()
        return assessment

    return make


@pytest.fixture
def make_decision(app: Flask) -> Callable[..., VendorDecision]:
    """An approval decision about the vendor (committed); the newest one stands."""

    def make(vendor: Vendor, decision: Decision, *, decided_by: User | None = None,
             conditions_due_on: dt.date | None = None,
             reason: str = "Approved while the encryption attestation is outstanding"
             ) -> VendorDecision:
        row = VendorDecision(vendor_id=vendor.id, decision=decision.value, reason=reason,
                             conditions_due_on=conditions_due_on,
                             decided_by_id=decided_by.id if decided_by else None)
        db.session.add(row)
        db.session.commit()
        return row

    return make


@dataclass
class Staff:
    """The people a deployment has: an owner of contracts, officers, an admin and a viewer."""

    owner: User
    officer: User
    admin: User
    viewer: User


@pytest.fixture
def staff(make_user: Callable[..., User]) -> Staff:
    # The contract owner is a viewer: told as the owner, which no role would tell them.
    return Staff(owner=make_user(Role.VIEWER, email="owner@hospital.example", name="Olive Owner"),
                 officer=make_user(Role.OFFICER, email="officer@hospital.example"),
                 admin=make_user(Role.ADMIN, email="admin@hospital.example"),
                 viewer=make_user(Role.VIEWER, email="cfo@hospital.example"))


def deliveries() -> list[ReminderDelivery]:
    """Every delivery row, oldest first, read fresh from the database."""
    db.session.expire_all()
    return list(db.session.scalars(select(ReminderDelivery).order_by(ReminderDelivery.id)))
