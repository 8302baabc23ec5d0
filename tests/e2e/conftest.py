"""Fixtures for the end-to-end tests: riskapp served on loopback, and Debian's chromium.

The app runs as it does in production (CSRF on, errors rendered, not raised) in a thread of
the test process, on a free port, against its own SQLite database migrated to head, with the
repository's questionnaires published as ``flask questionnaires publish`` does. Playwright
drives the system's chromium: it never downloads a browser of its own. ``make test`` installs
chromium where it can; without it the tests skip, or with ``CI=true`` fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright
from werkzeug.serving import make_server

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.database import db
from tests.conftest import IN_CI, PASSWORD, build_app, cached_hash

QUESTIONNAIRES = Path(__file__).parents[2] / "questionnaires"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
OFFICER_EMAIL = "olivia.officer@hospital.example"
# Generous for one step on a busy machine, short enough that a broken step fails quickly.
STEP_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveApp:
    """riskapp serving on loopback, and the officer who can sign in to it."""

    url: str
    officer_email: str
    officer_password: str


def find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return DEBIAN_CHROMIUM if os.access(DEBIAN_CHROMIUM, os.X_OK) else None


# Module-scoped, not session-scoped: while Playwright's sync API runs, its event loop counts as
# running in this thread, and every later test that calls asyncio.run() (the scanners) fails.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless chromium; each test opens its own contexts (fresh cookie jars)."""
    executable = find_chromium()
    if executable is None:
        if IN_CI:
            pytest.fail("CI=true but chromium is not installed: the end-to-end tests need "
                        "Debian's chromium (make test installs it with apt-get as root)",
                        pytrace=False)
        pytest.skip("chromium is not installed (apt-get install chromium, or make test as "
                    "root): the end-to-end browser tests need it")
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    browser = playwright.chromium.launch(executable_path=executable, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def live_app(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveApp]:
    """riskapp on 127.0.0.1 and a free port, with published questionnaires and an officer."""
    database = tmp_path / "riskapp.db"
    shutil.copyfile(sqlite_template, database)
    app = build_app(f"sqlite:///{database}", tmp_path / "instance", TESTING=False,
                    WTF_CSRF_ENABLED=True, QUESTIONNAIRES_DIR=QUESTIONNAIRES)
    published = app.test_cli_runner().invoke(args=["questionnaires", "publish"])
    assert published.exit_code == 0, published.output
    with app.app_context():
        db.session.add(User(email=OFFICER_EMAIL, role=Role.OFFICER.value,
                            password_hash=cached_hash(PASSWORD), must_change_password=False))
        db.session.commit()
        # No transaction may stay open here: outside a request it would hold SQLite's write
        # lock, and every form the browser posts would wait for it.
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="riskapp-e2e", daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.server_port}", OFFICER_EMAIL, PASSWORD)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
