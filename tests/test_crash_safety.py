"""Killed mid-write, riskapp leaves nothing half-written.

The server is stopped with SIGKILL (no shutdown, no cleanup: a power cut, an OOM kill) while
vendors are saving answers. After a restart every stored answer is one of the saves a vendor
sent, whole; the audit chain verifies; and saving works again.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import httpx
from flask import Flask
from sqlalchemy import select

from bench import concurrency
from bench.pages import GUNICORN, ROOT, Visitor
from riskapp import create_app
from riskapp.assessments.models import AnswerRecord
from riskapp.audit.services import verify_chain
from riskapp.database import db

VENDORS = 8
_SAVED_BY = re.compile(r"^Saved by client (\d+), (\d+)$")


def start_gunicorn(database_url: str, instance: Path, log: Path
                   ) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environment = os.environ | {"RISKAPP_DATABASE_URL": database_url,
                                "RISKAPP_INSTANCE_PATH": str(instance)}
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own server, on loopback)
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *GUNICORN,
             "wsgi:app"], cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: SIGKILL reaches every worker
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login", timeout=5)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start: {log.read_text(errors='replace')[-1000:]}")


def kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stored_saves(app: Flask, assessment_ids: list[int]) -> dict[int, list[str]]:
    """Each vendor's comments as stored, by vendor number."""
    with app.app_context():
        found = {}
        for number, assessment_id in enumerate(assessment_ids):
            found[number] = [str(record.data.get("comment", "")) for record in db.session.scalars(
                select(AnswerRecord).where(AnswerRecord.assessment_id == assessment_id))
                if "Saved by" in str(record.data.get("comment", ""))]
        db.session.remove()  # its connection back to the pool, which dispose() then closes
        db.engine.dispose()
        return found


def test_a_server_killed_while_vendors_save_leaves_whole_answers_and_a_sound_audit_chain(
        database_url: str, tmp_path: Path) -> None:
    instance, log = tmp_path / "instance", tmp_path / "gunicorn.log"
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)})
    prepared = concurrency.prepare(app, VENDORS)
    with app.app_context():
        db.engine.dispose()
    process, base = start_gunicorn(database_url, instance, log)
    visitors = [Visitor(n, partial(httpx.Client, base_url=base, timeout=10))
                for n in range(VENDORS)]
    for visitor, token in zip(visitors, prepared.tokens, strict=True):
        visitor.open_link("respondent", token)
        visitor.load_form(prepared.section)
    outcome, last, lock = concurrency.Outcome(), {}, threading.Lock()
    threads = [threading.Thread(target=concurrency.save_for,
                                args=(v, time.monotonic() + 4, outcome, last, lock))
               for v in visitors]
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # saves are flowing
    kill(process)
    for thread in threads:
        thread.join()
    for visitor in visitors:
        visitor.close()

    saved = stored_saves(app, prepared.assessment_ids)
    with app.app_context():
        chain_intact = verify_chain().intact
        db.session.remove()
        db.engine.dispose()

    assert outcome.saves > 0  # the kill came while saves were going through
    for number, comments in saved.items():
        assert len(comments) <= 1, f"vendor {number}: {comments}"
        for comment in comments:
            match = _SAVED_BY.match(comment)
            assert match, f"vendor {number}'s comment is not one it sent whole: {comment!r}"
            assert match.group(1) == str(number)
            # The last save confirmed, or the one in flight when the server died.
            assert int(match.group(2)) in {last.get(number, 0), last.get(number, 0) + 1}
    assert chain_intact

    process, base = start_gunicorn(database_url, instance, log)  # restarted: saving works
    try:
        again = Visitor(0, partial(httpx.Client, base_url=base, timeout=10))
        again.open_link("respondent", prepared.tokens[0])
        again.load_form(prepared.section)
        again.autosave()
        again.close()
    finally:
        kill(process)
