"""Killed mid-write, riskapp leaves nothing half-written.

The server is stopped with SIGKILL (no shutdown, no cleanup: a power cut, an OOM kill) while
vendors are saving answers. After a restart every stored answer is one of the saves a vendor
sent, whole; the audit chain verifies; and saving works again.
"""

from __future__ import annotations

import re
import threading
import time
from functools import partial
from pathlib import Path

import httpx

from bench import concurrency
from bench.pages import Visitor, start_gunicorn
from riskapp import create_app
from riskapp.audit.services import verify_chain
from riskapp.database import db

VENDORS = 8
_SAVED_BY = re.compile(r"^Saved by client (\d+), (\d+)$")


def test_a_server_killed_while_vendors_save_leaves_whole_answers_and_a_sound_audit_chain(
        database_url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    environment = {"RISKAPP_DATABASE_URL": database_url, "RISKAPP_INSTANCE_PATH": str(instance)}
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)})
    prepared = concurrency.prepare(app, VENDORS)
    with app.app_context():
        db.engine.dispose()
    server = start_gunicorn("wsgi:app", tmp_path, environment, probe="/login")
    visitors = [Visitor(n, partial(httpx.Client, base_url=server.base, timeout=10))
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
    server.kill()
    for thread in threads:
        thread.join()
    for visitor in visitors:
        visitor.close()

    saved = concurrency.stored_comments(app, prepared)
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

    server = start_gunicorn("wsgi:app", tmp_path, environment, probe="/login")  # restarted
    try:
        again = Visitor(0, partial(httpx.Client, base_url=server.base, timeout=10))
        again.open_link("respondent", prepared.tokens[0])
        again.load_form(prepared.section)
        again.autosave()  # saving works again
        again.close()
    finally:
        server.kill()
