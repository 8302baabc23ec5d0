"""Killed mid-submission, riskapp keeps every vendor's submission whole or not begun.

The server is stopped with SIGKILL (no shutdown, no cleanup: a power cut, an OOM kill) while
vendors submit their answers through the portal. Each assessment is then either submitted in
full (status, time, attestation, its one audit event) or untouched (in progress, no event),
its answers exactly as the vendor left them either way; the audit chain verifies; and after a
restart every vendor whose submission did not go in can submit.

To have the kill land while submissions are inside the server, the test holds the audit
chain's head, as a long transaction elsewhere would: a submission appends to the chain, so
each one waits mid-request until the test lets go. On PostgreSQL it waits with its change
made but not committed; on SQLite, one writer at a time, before its transaction begins. The
first round kills the server while they wait; the second, restarted, lets go and kills it a
random moment after, while they commit one by one; the third lets the rest finish.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from flask import Flask

from bench.pages import Gunicorn, start_gunicorn
from riskapp.assessments import services
from riskapp.assessments.models import AnswerRecord, Assessment, Status
from riskapp.audit.models import AuditChainHead, AuditEvent
from riskapp.audit.services import verify_chain
from riskapp.database import db
from riskapp.questionnaires.answers import Answer
from tests.assessments.conftest import GOOD_ANSWERS, Started
from tests.conftest import csrf_token_from

VENDORS = 8  # a round's vendors submitting at once: as many as the server has threads
SERVER = "killed-server"  # its connections' application_name on PostgreSQL
ANSWERS = {qid: Answer(value=value) for qid, value in GOOD_ANSWERS.items()} | {
    "mfa_methods": Answer(value=["webauthn"]), "session_timeout": Answer(value=15),
    "data_countries": Answer(value=["US"], comment="Hosted in Virginia")}
ATTESTATION = {"name": "Vera Vendor", "title": "CISO"}
CUT = "cut off"  # the request got no answer: the server died with it


class Kill(enum.Enum):
    """When a round kills the server it starts: every round after the first is a restart."""

    WHILE_WAITING = "while every submission waits for the audit chain"
    WHILE_COMMITTING = "a random moment after they may go on, committing one by one"
    NEVER = "not at all: the submissions finish"


class Respondent:
    """A vendor's browser on the portal, on the review page, ready to submit."""

    def __init__(self, base: str, token: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        self.outcome = ""
        assert self.client.get(f"/r/{token}").status_code == 303
        self._csrf = csrf_token_from(self.client.get("/portal/review").text)

    def submit(self) -> None:
        try:
            response = self.client.post("/portal/review", data=ATTESTATION | {
                "csrf_token": self._csrf, "confirm": "yes"})
        except httpx.TransportError:
            self.outcome = CUT
        else:
            self.outcome = "submitted" if response.status_code == 303 else \
                f"HTTP {response.status_code}"

    def close(self) -> None:
        self.client.close()


def kill_if_running(server: Gunicorn) -> None:
    if server.process.poll() is None:
        server.kill()


def answered(start: Callable[..., Started]) -> tuple[int, str]:
    """An assessment whose vendor has answered everything, ready to submit: its id and its
    share link's token."""
    started = start()
    services.save_answers(started.assessment, started.assessment.questionnaires[0], ANSWERS, {},
                          by="vera@vendor.example (vendor)")
    db.session.commit()
    return started.assessment.id, started.token


@contextmanager
def audit_chain_held() -> Iterator[Callable[[], None]]:
    """Hold the audit chain's head until the returned function lets go (or the block ends)."""
    db.session.execute(sa.select(AuditChainHead).with_for_update())
    try:
        yield db.session.rollback
    finally:
        db.session.rollback()


def wait_until_its_connections_end(database_url: str) -> None:
    """A killed server's PostgreSQL sessions end when the database notices: until then one
    could still be committing what it was sent."""
    if not database_url.startswith("postgresql"):
        return
    deadline = time.monotonic() + 30
    while db.session.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": SERVER}):
        db.session.rollback()
        assert time.monotonic() < deadline, "the killed server's sessions never ended"
        time.sleep(0.05)
    db.session.rollback()


@dataclass(frozen=True)
class AsLeft:
    """An assessment as its vendor left it: answered, not yet submitted."""

    answers: dict[str, Any]
    last_activity_at: dt.datetime


def as_left() -> dict[int, AsLeft]:
    answers: dict[int, dict[str, Any]] = {}
    for row in db.session.scalars(sa.select(AnswerRecord)):
        answers.setdefault(row.assessment_id, {})[row.question_id] = row.data
    return {assessment.id: AsLeft(answers.get(assessment.id, {}), assessment.last_activity_at)
            for assessment in db.session.scalars(sa.select(Assessment))}


def whole_or_untouched(before: dict[int, AsLeft]) -> set[int]:
    """Check that every assessment is submitted in full or untouched, and the audit chain
    whole; return the ids of the submitted."""
    db.session.expire_all()
    now = as_left()
    events = Counter(db.session.scalars(sa.select(AuditEvent.object_id).where(
        AuditEvent.action == "assessment.submitted")))
    submitted = set()
    for assessment in db.session.scalars(sa.select(Assessment)):
        number = assessment.id
        assert now[number].answers == before[number].answers, f"assessment {number}'s answers"
        if assessment.status_enum is Status.SUBMITTED:
            submitted.add(number)
            assert assessment.submitted_at is not None, f"assessment {number}"
            assert assessment.attestation is not None, f"assessment {number}"
            assert {key: assessment.attestation[key] for key in ATTESTATION} == ATTESTATION, \
                f"assessment {number}"
            assert events[str(number)] == 1, f"assessment {number}: {events}"
        else:
            assert assessment.status_enum is Status.IN_PROGRESS, f"assessment {number}"
            assert assessment.submitted_at is None, f"assessment {number}"
            assert assessment.attestation is None, f"assessment {number}"
            assert now[number] == before[number], f"assessment {number}"
            assert events[str(number)] == 0, f"assessment {number}: {events}"
    assert verify_chain().intact
    db.session.commit()  # outside requests a transaction holds SQLite's write lock: end it
    return submitted


def test_a_server_killed_while_vendors_submit_leaves_each_submission_whole_or_not_begun(
    app: Flask, database_url: str, tmp_path: Path, start: Callable[..., Started],
) -> None:
    vendors = dict(answered(start) for _ in range(VENDORS))  # assessment id: share link token
    before = as_left()
    db.session.commit()
    url = sa.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"application_name": SERVER})
    environment = {"RISKAPP_DATABASE_URL": url.render_as_string(hide_password=False),
                   "RISKAPP_INSTANCE_PATH": app.instance_path}
    outcomes: list[dict[int, str]] = []
    submitted: set[int] = set()

    for kill in Kill:
        server = start_gunicorn("wsgi:app", tmp_path, environment, probe="/login")
        with ExitStack() as cleanup:
            cleanup.callback(kill_if_running, server)
            respondents = {number: Respondent(server.base, token)
                           for number, token in vendors.items() if number not in submitted}
            for respondent in respondents.values():
                cleanup.callback(respondent.close)
            threads = [threading.Thread(target=r.submit) for r in respondents.values()]
            with audit_chain_held() as let_go:
                for thread in threads:
                    thread.start()
                time.sleep(0.5)  # the submissions reach the server and wait for the chain
                if kill is Kill.WHILE_WAITING:
                    server.kill()
                let_go()
            if kill is Kill.WHILE_COMMITTING:
                time.sleep(random.uniform(0, 0.3))  # noqa: S311 - a moment, not a secret
                server.kill()
            for thread in threads:
                thread.join()
        outcomes.append({number: r.outcome for number, r in respondents.items()})
        wait_until_its_connections_end(database_url)
        submitted = whole_or_untouched(before)
        assert set(outcomes[-1].values()) <= {"submitted", CUT}, outcomes[-1]
        told_submitted = {n for n, outcome in outcomes[-1].items() if outcome == "submitted"}
        assert told_submitted <= submitted  # what a vendor was told went in, stayed in

    cut_while_waiting, _, left_to_finish = outcomes
    # Every submission was in flight when the server died, and none went in, nor any part of
    # one (checked after each round); after a restart every vendor could submit.
    assert set(cut_while_waiting.values()) == {CUT}
    assert set(left_to_finish.values()) <= {"submitted"}
    assert submitted == set(vendors)
