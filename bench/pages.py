"""Pages under load: riskapp under gunicorn, driven by 8 clients at once.

    python -m bench.pages --database-url URL [--instance PATH] [--requests 400]

riskapp is served as ``make run`` serves it (gunicorn, 2 workers of 4 threads; no access log
here) on a free loopback port, and each page is asked for a fixed number of times by 8
threads, each with its own keep-alive clients signed in through the real login form, after a
few requests each to warm up; a page still going after ``PAGE_SECONDS`` stops there, and one
that takes over ``SLOW_SECONDS`` alone is asked for a few times by one client instead (the
note says which). Before riskapp, :mod:`bench.floor_app` (one route returning a short text)
is served and driven the same way: the framework's floor, which every ratio divides by. The
load driver runs on the same cores as the server; the floor's note says how much it took.

The vendor portal's autosave posts the section's whole form as its script does, one changed
comment at a time; each client saves into an assessment of its own (a copy of the portal's,
with its answers), so no save waits on or conflicts with another client's.

Each page's SQL queries are counted in-process (the Flask test client and a
``before_cursor_execute`` listener) on the same database. The benchmark writes to it: a share
link, the copies above, their answers, sign-ins and their audit events.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

import httpx
from flask import Flask
from sqlalchemy import Engine, event, func, select

from bench.results import Measure, machine, markdown, percentile
from riskapp import create_app
from riskapp.access import Role
from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.accounts.passwords import hash_password
from riskapp.assessments import services as assessments
from riskapp.assessments.models import VENDOR_EDITABLE, AnswerRecord, Assessment
from riskapp.audit import services as audit
from riskapp.database import db, utcnow
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Vendor

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GUNICORN = ("--workers", "2", "--threads", "4", "--timeout", "120")  # as the Makefile's run
CLIENTS = 8
REQUESTS = 400  # per page, shared among the clients
WARM_UP = 2  # requests per client before the clock starts
PAGE_SECONDS = 10.0  # a page that takes longer stops early, saying so
# A page that takes longer than this alone is asked for a few times one at a time instead:
# 8 clients at once would wait on each other for minutes and say nothing more.
SLOW_SECONDS, SLOW_SAMPLES = 1.0, 3
DEEP_PAGE = 400
FILTERED = "/vendors/?category=hosting&status=active&sort=criticality&dir=desc"
TARGET_P95_MS, TARGET_RATIO = 50.0, 5.0
ADMIN_EMAIL = "pages-admin@bench.example"
# The bench times pages, not signing in: its administrator signs in with a password alone, as
# every client shares the one account and a two-factor code signs in only once.
PASSWORD_ONLY = ""
OFFICER_EMAIL = "pages-officer@bench.example"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Target(Protocol):
    """What the benchmark needs of the generated data (:class:`bench.generate.Generated`)."""

    @property
    def database_url(self) -> str: ...
    @property
    def officer_email(self) -> str: ...
    @property
    def password(self) -> str: ...
    @property
    def portal_assessment_id(self) -> int: ...
    @property
    def report_vendor_id(self) -> int: ...
    @property
    def admin_email(self) -> str: ...  # signs in with the same password


@dataclass(frozen=True)
class Database:
    """A database given on the command line, with what the benchmark picked in it."""

    database_url: str
    officer_email: str
    password: str
    portal_assessment_id: int
    report_vendor_id: int
    admin_email: str


@dataclass(frozen=True)
class Setup:
    admin: tuple[str, str]  # email, password
    officer: tuple[str, str]
    portal_token: str
    respondent_tokens: list[str]  # one assessment per client, and one for counting queries
    section: str  # the portal section's path
    vendor_id: int
    deep_page: int


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # which of the visitor's browsers asks: see Visitor
    path: str
    autosave: bool = False


DASHBOARD = Page("dashboard", "staff", "/")


def pages(setup: Setup) -> list[Page]:
    return [
        Page("login page (anonymous)", "anonymous", "/login"),
        DASHBOARD,
        Page("vendor list, page 1", "staff", "/vendors/"),
        Page(f"vendor list, page {DEEP_PAGE}" if setup.deep_page == DEEP_PAGE else
             f"vendor list, last page ({setup.deep_page})", "staff",
             f"/vendors/?page={setup.deep_page}"),
        Page("vendor list, filtered and sorted", "staff", FILTERED),
        Page("vendor page", "staff", f"/vendors/{setup.vendor_id}"),
        Page("agreement page", "staff", f"/vendors/{setup.vendor_id}/agreement"),
        Page("deadlines page", "staff", "/deadlines"),
        Page("portal section page", "vendor", setup.section),
        Page("answer autosave", "respondent", setup.section, autosave=True),
        Page("audit log page", "admin", "/admin/audit/"),
    ]


# --- clients -------------------------------------------------------------------------------


class Browser(Protocol):
    """An httpx client, or Flask's test client: both answer these two."""

    def get(self, url: str) -> Any: ...
    def post(self, url: str, *, data: Any = None, headers: Any = None) -> Any: ...


class Visitor:
    """One client: a browser for each role it plays, each keeping its cookies and connection.

    ``staff`` is signed in as an officer, ``admin`` as an administrator, ``anonymous`` is not
    signed in, ``vendor`` opened the portal assessment's share link and ``respondent`` the
    link of an assessment of its own, whose section form it autosaves.
    """

    def __init__(self, number: int, open_browser: Callable[[], Browser]) -> None:
        self.number = number
        self._open = open_browser
        self.browsers: dict[str, Browser] = {}
        self.form: dict[str, list[str]] = {}
        self.revisions: dict[str, int] = {}
        self.comment = ""
        self.section = ""
        self.saves = 0

    def browser(self, role: str) -> Browser:
        if role not in self.browsers:
            self.browsers[role] = self._open()
        return self.browsers[role]

    def sign_in(self, role: str, email: str, password: str) -> None:
        client = self.browser(role)
        token = _CSRF.search(_ok(client.get("/login")).text)
        if token is None:
            raise RuntimeError("the login page has no CSRF token")
        response = client.post("/login", data={"csrf_token": token.group(1), "email": email,
                                               "password": password})
        if response.status_code != 302:
            raise RuntimeError(f"signing in as {email} failed ({response.status_code})")

    def open_link(self, role: str, token: str) -> None:
        response = self.browser(role).get(f"/r/{token}")
        if response.status_code != 303:
            raise RuntimeError(f"the share link did not open ({response.status_code})")

    def load_form(self, section: str) -> None:
        """Read the section's form as the browser holds it when the page has loaded."""
        fields = FormFields()
        fields.feed(_ok(self.browser("respondent").get(section)).text)
        self.form, self.section = fields.values, section
        self.revisions = json.loads(self.form.pop("revisions", ["{}"])[0] or "{}")
        self.comment = next(name for name in self.form if name.endswith("__comment"))

    def autosave(self) -> Any:
        self.saves += 1
        data = self.form | {self.comment: [f"Saved by client {self.number}, {self.saves}"],
                            "autosave": ["1"], "revisions": [json.dumps(self.revisions)]}
        response = _ok(self.browser("respondent").post(
            self.section, data=data, headers={"Accept": "application/json"}))
        result = json.loads(response.text)
        if result.get("saved") != [self.comment.removesuffix("__comment")] or \
                result.get("conflicts"):
            raise RuntimeError(f"the autosave did not save one answer: {result}")
        self.revisions.update(result["revisions"])
        return response

    def send(self, page: Page) -> Any:
        return self.autosave() if page.autosave else _ok(self.browser(page.role).get(page.path))

    def close(self) -> None:
        for browser in self.browsers.values():
            if isinstance(browser, httpx.Client):
                browser.close()


def _ok(response: Any) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}")
    return response


class FormFields(HTMLParser):
    """The fields a browser posts from the page's autosaving form (files left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._inside = False
        self._text: tuple[str, list[str]] | None = None  # a textarea's name and content
        self._select: tuple[str, bool, list[str], list[str]] | None = None  # name, multiple,
        # the options selected, every option

    def _add(self, name: str, value: str) -> None:
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and "data-autosave" in found:
            self._inside = True
        name = found.get("name", "")
        if not self._inside or "disabled" in found:
            return
        kind = found.get("type", "text").lower()
        if tag == "input" and name and kind in ("checkbox", "radio"):
            if "checked" in found:
                self._add(name, found.get("value", "on"))
        elif tag == "input" and name and kind not in ("file", "submit", "button", "reset"):
            self._add(name, found.get("value", ""))
        elif tag == "textarea" and name:
            self._text = (name, [])
        elif tag == "select" and name:
            self._select = (name, "multiple" in found, [], [])
        elif tag == "option" and self._select is not None:
            self._select[3].append(found.get("value", ""))
            if "selected" in found:
                self._select[2].append(found.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "textarea" and self._text is not None:
            text = "".join(self._text[1])  # a browser drops the newline after the tag
            self._add(self._text[0], text[2:] if text.startswith("\r\n") else
                      text.removeprefix("\n"))
            self._text = None
        elif tag == "select" and self._select is not None:
            name, multiple, chosen, options = self._select
            for value in chosen or ([] if multiple else options[:1]):
                self._add(name, value)
            self._select = None


# --- the load ------------------------------------------------------------------------------


@dataclass
class Lane:
    """What one client measured."""

    latencies: list[float] = field(default_factory=list)  # ms, of the requests that worked
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    cut: bool = False

    def time(self, send: Callable[[Visitor], Any], visitor: Visitor) -> None:
        """Send one request and note its latency, or what went wrong."""
        began = time.perf_counter()
        try:
            send(visitor)
        except Exception as error:  # reported with the page, never fatal
            self.errors.append(f"{type(error).__name__}: {error}")
        else:
            self.latencies.append((time.perf_counter() - began) * 1000)


@dataclass(frozen=True)
class Result:
    latencies: list[float]
    errors: list[str]
    seconds: float
    cut: bool
    driver_cores: float  # the load driver's own CPU time over the wall time
    one_at_a_time: bool = False

    @property
    def rate(self) -> float:
        return (len(self.latencies) + len(self.errors)) / self.seconds if self.seconds else 0.0


def drive(visitors: list[Visitor], send: Callable[[Visitor], Any], requests: int) -> Result:
    """Have every visitor send its share of ``requests`` at once, each after a warm-up."""
    each = math.ceil(requests / len(visitors))
    cpu: list[float] = []
    start = threading.Barrier(len(visitors), action=lambda: cpu.append(time.process_time()))
    lanes = [Lane() for _ in visitors]

    def work(visitor: Visitor, lane: Lane) -> None:
        for _ in range(WARM_UP):
            try:
                send(visitor)
            except Exception as error:  # reported with the page, never fatal
                lane.errors.append(f"warm-up: {type(error).__name__}: {error}")
        start.wait(timeout=300)
        lane.started = time.perf_counter()
        for _ in range(each):
            lane.time(send, visitor)
            if time.perf_counter() - lane.started > PAGE_SECONDS:
                lane.cut = True
                break
        lane.ended = time.perf_counter()

    threads = [threading.Thread(target=work, args=pair) for pair in zip(visitors, lanes,
                                                                        strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = max(lane.ended for lane in lanes) - min(lane.started for lane in lanes)
    return Result([ms for lane in lanes for ms in lane.latencies],
                  [error for lane in lanes for error in lane.errors], seconds,
                  any(lane.cut for lane in lanes), (time.process_time() - cpu[0]) / seconds)


def one_at_a_time(visitor: Visitor, send: Callable[[Visitor], Any], requests: int) -> Result:
    lane, cpu = Lane(), time.process_time()
    lane.started = time.perf_counter()
    for _ in range(requests):
        lane.time(send, visitor)
    seconds = time.perf_counter() - lane.started
    return Result(lane.latencies, lane.errors, seconds, False,
                  (time.process_time() - cpu) / seconds, one_at_a_time=True)


@dataclass(frozen=True)
class Gunicorn:
    """A gunicorn serving an app on loopback, in a process group of its own."""

    process: subprocess.Popen[bytes]
    base: str  # e.g. http://127.0.0.1:8123

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no shutdown, no cleanup."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def start_gunicorn(app: str, folder: Path, environment: dict[str, str] | None = None, *,
                   probe: str = "/", host: str = HOST, options: Sequence[str] = GUNICORN,
                   tls: tuple[Path, Path] | None = None) -> Gunicorn:
    """Start gunicorn serving the WSGI ``app`` on a free port of ``host`` (over HTTPS with
    ``tls``, a certificate and key file), logging into ``folder``; return once ``probe``
    answers."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port = sock.getsockname()[1]
    scheme = "https" if tls else "http"
    certificates = ["--certfile", str(tls[0]), "--keyfile", str(tls[1])] if tls else []
    log_path = folder / f"gunicorn-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", *options,
             *certificates, app],
            cwd=ROOT, env=os.environ | (environment or {}), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    server = Gunicorn(process, f"{scheme}://{host}:{port}")
    try:
        _wait_for(process, f"{server.base}{probe}", log_path)
    except BaseException:
        server.kill()
        raise
    return server


@contextmanager
def served(app: str, folder: Path, environment: dict[str, str] | None = None,
           probe: str = "/") -> Iterator[str]:
    """Serve the WSGI ``app`` with gunicorn on a free loopback port; stop it on the way out."""
    server = start_gunicorn(app, folder, environment, probe=probe)
    try:
        yield server.base
    finally:
        server.stop()


def _wait_for(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text(errors='replace')[-1500:]}")
        try:
            # Our own server on loopback; a test CA's certificate is checked by the test.
            if httpx.get(url, timeout=5, verify=False).status_code < 500:  # noqa: S501  # nosec B501
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within 60 s")


# --- preparing the database and counting queries -------------------------------------------


def prepare(app: Flask, target: Target) -> Setup:
    """A share link for the portal's assessment, an assessment per client for its autosaves,
    and an administrator for the audit log, all committed."""
    with app.app_context():
        officer = accounts.find_user_by_email(target.officer_email)
        portal = assessments.get_assessment(target.portal_assessment_id)
        if portal is None or officer is None:
            raise LookupError(f"no assessment {target.portal_assessment_id} or no officer "
                              f"{target.officer_email}")
        token = assessments.reissue_link(portal, actor=officer, link_days=1)
        respondents = [_copy(portal, officer, n) for n in range(CLIENTS + 1)]
        definition = assessments.definition_of(portal.questionnaires[0])
        section = max(definition.sections, key=lambda s: len(s.questions))
        listed = db.session.scalar(select(func.count()).select_from(Vendor)
                                   .where(Vendor.archived_at.is_(None))) or 0
        last_page = max(1, math.ceil(listed / vendors.PAGE_SIZE))
        db.session.commit()
        return Setup((target.admin_email, target.password),
                     (target.officer_email, target.password), token, respondents,
                     f"/portal/0/{section.id}", target.report_vendor_id,
                     min(DEEP_PAGE, last_page))


def bench_user(email: str, role: Role, password: str) -> User:
    """Make (or take back) an account for the benchmark, signing in with ``password``."""
    user = accounts.find_user_by_email(email)
    if user is None:
        user, _ = accounts.create_user(email, role, actor=None, name="Pages benchmark")
    user.password_hash, user.must_change_password, user.is_active = \
        hash_password(password), False, True
    return user


def _copy(portal: Assessment, actor: User, number: int) -> str:
    """A new assessment of the portal's vendor with the portal's answers; its link's token."""
    copy, token = assessments.start_assessment(
        portal.vendor, [entry.version for entry in portal.questionnaires],
        due_date=utcnow().date() + timedelta(days=30), respondent_name="Pages benchmark",
        respondent_email=f"respondent{number}@bench.example", actor=actor, link_days=1)
    for record in db.session.scalars(select(AnswerRecord).where(
            AnswerRecord.assessment_id == portal.id)):
        db.session.add(AnswerRecord(
            assessment_id=copy.id, questionnaire_version_id=record.questionnaire_version_id,
            question_id=record.question_id, data=record.data, revision=1))
    return token


def ready(visitor: Visitor, setup: Setup, respondent_token: str) -> None:
    visitor.sign_in("staff", *setup.officer)
    visitor.sign_in("admin", *setup.admin)
    visitor.open_link("vendor", setup.portal_token)
    visitor.open_link("respondent", respondent_token)
    visitor.load_form(setup.section)


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """Like ``tests.queries.statements_run``, without holding an app context open (requests
    would share it, and its session, and run fewer queries than they do alone)."""
    statements: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


@dataclass(frozen=True)
class Alone:
    """A page asked for once in-process, after a first time: its queries and its time."""

    queries: int
    seconds: float


def in_process_visitor(app: Flask, setup: Setup) -> Visitor:
    """A client of the app in-process (Flask's test client), ready for every page."""
    visitor = Visitor(CLIENTS, app.test_client)
    ready(visitor, setup, setup.respondent_tokens[-1])
    return visitor


def in_process(app: Flask, visitor: Visitor, setup: Setup, only: str = "") -> dict[str, Alone]:
    """Each page's queries and time alone (or those whose name has ``only`` in it), on the
    visitor's second request for it."""
    with app.app_context():
        engine = db.engine
    found = {}
    for page in (p for p in pages(setup) if only in p.name):
        visitor.send(page)
        with statements_sent(engine) as statements:
            began = time.perf_counter()
            visitor.send(page)
            found[page.name] = Alone(len(statements), time.perf_counter() - began)
    return found


AFTER_A_CHANGE = "dashboard, first view after a change"


def after_a_change(app: Flask, visitor: Visitor) -> float:
    """The dashboard's seconds right after an audited change, when it counts everything again
    (see riskapp.memo): the slowest of a few tries."""
    slowest = 0.0
    for _ in range(3):
        with app.app_context():
            audit.record("bench.touched", actor=None, summary="The pages benchmark changed "
                         "nothing, to make the dashboard count again")
            db.session.commit()
        began = time.perf_counter()
        visitor.send(DASHBOARD)
        slowest = max(slowest, time.perf_counter() - began)
    return slowest


# --- the measures --------------------------------------------------------------------------


def run(out: list[Measure], generated: Target, *, instance: Path | None = None,
        requests: int = REQUESTS, only: str = "") -> None:
    """Append the floor's and every page's measures (or those whose name has ``only`` in
    it) to ``out``."""
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as scratch:
        folder = Path(scratch)
        instance_path = str(instance or folder / "instance")
        app = create_app({"DATABASE_URL": generated.database_url, "INSTANCE_PATH": instance_path,
                          "TWO_FACTOR_ROLES": PASSWORD_ONLY})
        try:
            setup = prepare(app, generated)
            visitor = in_process_visitor(app, setup)
            alone = in_process(app, visitor, setup, only)
            # Only the default (every page) or an ``only`` naming the dashboard times its
            # recount; the dashboard has then been asked for in-process already.
            recount = after_a_change(app, visitor) if only in DASHBOARD.name else None
        finally:
            with app.app_context():
                db.engine.dispose()
        floor = _floor(folder, requests)
        out.append(floor)
        if recount is not None:
            out.append(_after_a_change_measure(recount, floor))
        environment = {"RISKAPP_DATABASE_URL": generated.database_url,
                       "RISKAPP_INSTANCE_PATH": instance_path,
                       "RISKAPP_TWO_FACTOR_ROLES": PASSWORD_ONLY}
        with served("wsgi:app", folder, environment, probe="/login") as base:
            visitors = [Visitor(n, partial(httpx.Client, base_url=base, timeout=60))
                        for n in range(CLIENTS)]
            try:
                for visitor, token in zip(visitors, setup.respondent_tokens, strict=False):
                    ready(visitor, setup, token)
                for page in (p for p in pages(setup) if only in p.name):
                    send = partial(Visitor.send, page=page)
                    result = drive(visitors, send, requests) \
                        if alone[page.name].seconds <= SLOW_SECONDS else \
                        one_at_a_time(visitors[0], send, SLOW_SAMPLES)
                    out.append(_page_measure(page, result, floor, alone[page.name]))
            finally:
                for visitor in visitors:
                    visitor.close()


def _floor(folder: Path, requests: int) -> Measure:
    with served("bench.floor_app:app", folder) as base:
        visitors = [Visitor(n, partial(httpx.Client, base_url=base, timeout=60))
                    for n in range(CLIENTS)]
        try:
            result = drive(visitors, lambda v: _ok(v.browser("anonymous").get("/")), requests)
        finally:
            for visitor in visitors:
                visitor.close()
    if result.errors:
        raise RuntimeError(f"the floor app failed: {result.errors[0]}")
    return Measure("pages", "floor: one-line Flask route", "ms", result.latencies, note=(
        f"{result.rate:,.0f} req/s; {CLIENTS} clients, gunicorn {' '.join(GUNICORN)}; the "
        f"load driver itself kept {result.driver_cores:.1f} of the "
        f"{os.cpu_count()} cores busy: what every ratio in this part divides by"),
        extra={"requests_per_second": result.rate, "driver_cores": result.driver_cores})


def _after_a_change_measure(seconds: float, floor: Measure) -> Measure:
    return Measure(
        "pages", AFTER_A_CHANGE + " (alone, in-process)", "ms", [seconds * 1000],
        baseline="floor p50", baseline_value=floor.median, note=(
            "the dashboard keeps its counts until the data changes; this is what it costs when "
            "it counts again, one client, no load (the slowest of 3). Not a target of the issue."))


def _page_measure(page: Page, result: Result, floor: Measure, alone: Alone) -> Measure:
    samples = result.latencies
    p50 = statistics.median(samples) if samples else math.nan
    p95 = percentile(samples, 95)
    floor_rate = floor.extra["requests_per_second"]
    # The time alone says what the page costs; the rest of p50 is queueing for 2 cores.
    notes = [f"p95 {p95 / floor.p95:.1f}× floor p95", f"{result.rate:,.1f} req/s "
             f"({result.rate / floor_rate:.2f}× floor)", f"{alone.queries} queries",
             f"{alone.seconds * 1000:.0f} ms alone in-process"]
    if result.one_at_a_time:
        notes.append(f"too slow for {CLIENTS} clients ({alone.seconds:.1f} s alone "
                     f"in-process): {len(samples)} requests one at a time, by one client")
    if result.cut:
        notes.append(f"stopped after {PAGE_SECONDS:.0f} s: {len(samples)} requests")
    if result.errors:
        notes.append(f"{len(result.errors)} failed (first: {result.errors[0][:80]})")
    return Measure(
        "pages", page.name, "ms", samples, baseline="floor p50", baseline_value=floor.median,
        target=f"p95 < {TARGET_P95_MS:.0f} ms; p50 ≤ {TARGET_RATIO:.0f}× floor",
        met=not result.errors and p95 < TARGET_P95_MS and p50 <= TARGET_RATIO * floor.median,
        note="; ".join(notes),
        extra={"requests_per_second": result.rate, "p95_ratio": p95 / floor.p95,
               "requests_per_second_ratio": result.rate / floor_rate,
               "queries": alone.queries, "seconds_alone": alone.seconds,
               "one_at_a_time": result.one_at_a_time,
               "errors": len(result.errors), "path": page.path,
               "driver_cores": result.driver_cores})


# --- running alone -------------------------------------------------------------------------


def existing(app: Flask, database_url: str) -> Database:
    """Pick in a database not made by the generator what it would have named: an officer,
    an assessment the vendor may still answer, and the vendor with the most assessments."""
    with app.app_context():
        password = secrets.token_urlsafe(18)
        officer = bench_user(OFFICER_EMAIL, Role.OFFICER, password)
        bench_user(ADMIN_EMAIL, Role.ADMIN, password)
        editable = [status.value for status in VENDOR_EDITABLE]
        portal = db.session.scalar(select(Assessment).where(Assessment.status.in_(editable))
                                   .order_by(Assessment.id.desc()).limit(1))
        busiest = db.session.scalar(select(Assessment.vendor_id).group_by(Assessment.vendor_id)
                                    .order_by(func.count().desc()).limit(1))
        if portal is None:
            vendor = db.session.get(Vendor, busiest) if busiest else \
                db.session.scalar(select(Vendor).limit(1))
            if vendor is None:
                raise LookupError("the database has no vendor")
            portal, _ = assessments.start_assessment(
                vendor, assessments.offered_versions(), actor=officer, link_days=1,
                due_date=utcnow().date() + timedelta(days=30), respondent_name="Pages benchmark",
                respondent_email="respondent@bench.example")
        db.session.commit()
        return Database(database_url, OFFICER_EMAIL, password, portal.id,
                        busiest or portal.vendor_id, ADMIN_EMAIL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", type=Path, help="instance folder (default: a temporary one)")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per page")
    parser.add_argument("--only", default="", help="only the pages whose name has this in it")
    args = parser.parse_args(argv)
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as scratch:
        instance = args.instance or Path(scratch) / "instance"
        app = create_app({"DATABASE_URL": args.database_url, "INSTANCE_PATH": str(instance)})
        target = existing(app, args.database_url)
        with app.app_context():
            db.engine.dispose()
        run(measures, target, instance=instance, requests=args.requests, only=args.only)
    print(markdown(measures, machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
