"""Fixtures shared by the whole suite.

Every test that touches the database runs once on SQLite and, when
``RISKAPP_TEST_DATABASE_URL`` names a PostgreSQL database, once more on PostgreSQL. Each test
starts from a freshly migrated, empty database: on SQLite a copy of a database migrated once
per run, on PostgreSQL the same schema with every table emptied after the test.
``RISKAPP_TEST_REDIS_URL`` likewise adds the tests of the scan queue on a real Redis.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner

from riskapp import create_app
from riskapp.access import Role
from riskapp.accounts import passwords
from riskapp.accounts.models import User
from riskapp.accounts.passwords import hash_password
from riskapp.audit.services import CHAIN_HEAD_ID, GENESIS_HASH
from riskapp.database import db
from riskapp.migrate import upgrade
from riskapp.vendors import services as vendor_services
from riskapp.vendors.models import Category, Criticality, Vendor, VendorStatus

# The scanner lab (DNS, SMTP and web servers on loopback), for any test that scans.
pytest_plugins = ["tests.scanners.lab.fixtures"]

POSTGRES_URL = os.environ.get("RISKAPP_TEST_DATABASE_URL", "").strip()
REDIS_URL = os.environ.get("RISKAPP_TEST_REDIS_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
PASSWORD = "correct horse battery staple"
_CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                         r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Hash with argon2id at its lowest cost: each sign-in in a test need not take 80 ms.

    tests/accounts/test_passwords.py checks the production cost separately.
    """
    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = production


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI, PostgreSQL and Redis are part of the suite: a missing server fails the run,
    never skips."""
    if IN_CI and not POSTGRES_URL:
        pytest.exit("CI=true but RISKAPP_TEST_DATABASE_URL is not set", returncode=3)
    if IN_CI and not REDIS_URL:
        pytest.exit("CI=true but RISKAPP_TEST_REDIS_URL is not set", returncode=3)
    if REDIS_URL:
        try:
            with redis.Redis.from_url(REDIS_URL, socket_timeout=5) as client:
                client.ping()
        except redis.RedisError as error:
            pytest.exit(f"Redis at RISKAPP_TEST_REDIS_URL is unreachable: {error}", returncode=3)
    if POSTGRES_URL:
        try:
            engine = sa.create_engine(POSTGRES_URL)
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            engine.dispose()
        except sa.exc.OperationalError as error:
            pytest.exit(f"PostgreSQL at RISKAPP_TEST_DATABASE_URL is unreachable: {error}",
                        returncode=3)


def base_config(database_url: str, instance_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "INSTANCE_PATH": str(instance_path),
        # A scan that a test forgets to aim at the lab asks loopback, never the internet.
        "SCAN_RESOLVER": "127.0.0.1:9",
        # Two-factor sign-in is required of administrators by default; tests of it turn it on.
        # Elsewhere an administrator signs in with a password alone.
        "TWO_FACTOR_ROLES": "",
    }


def build_app(database_url: str, instance_path: Path, **overrides: Any) -> Flask:
    return create_app(base_config(database_url, instance_path) | overrides)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated to head once per run, copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "riskapp.db"
    app = build_app(f"sqlite:///{path}", folder)
    with app.app_context():
        upgrade(db.engine)
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The PostgreSQL test database, wiped and migrated to head once per run."""
    app = build_app(POSTGRES_URL, tmp_path_factory.mktemp("pg"))
    with app.app_context():
        reset_postgres_schema(db.engine)
        upgrade(db.engine)
        db.engine.dispose()
    return POSTGRES_URL


def reset_postgres_schema(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))


def empty_postgres_tables(engine: sa.Engine) -> None:
    """Empty every table and restart the audit chain, leaving the schema in place.

    The audit log refuses TRUNCATE; as the database owner the suite switches triggers off for
    this one transaction, as a restore from backup would.
    """
    with engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        tables = connection.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        connection.execute(
            sa.text("INSERT INTO audit_chain_head (id, last_event_id, last_hash) "
                    "VALUES (:id, NULL, :hash)"),
            {"id": CHAIN_HEAD_ID, "hash": GENESIS_HASH},
        )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "riskapp.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_schema")
    yield url
    engine = sa.create_engine(url)
    try:
        empty_postgres_tables(engine)
    finally:
        engine.dispose()


class IsolatedRequestClient(FlaskClient):
    """A test client whose every request runs as it would in production.

    Tests keep an app context open so they can use ``db.session``. Left alone, Flask would run
    each request inside that same context, sharing the test's session and ``g`` (where
    Flask-Login caches the signed-in user): a signed-out user would stay signed in for the
    next request. So each request gets its own app context, and first the test's own
    transaction ends: outside requests riskapp takes SQLite's write lock when a transaction
    begins, and on any backend an open transaction would keep reading an old snapshot.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            db.session.commit()
        # Read streamed bodies inside the request, as a server would, not after it ended.
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Config overrides for ``app``; a module overrides this fixture to change settings."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = build_app(database_url, tmp_path / "instance", **app_config)
    app.test_client_class = IsolatedRequestClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


_HASHES: dict[str, str] = {}


def cached_hash(password: str) -> str:
    """argon2 is slow by design; hash each test password once per run."""
    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a committed, active user who has already chosen their password."""
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.OFFICER, *, email: str | None = None,
             password: str = PASSWORD, **fields: Any) -> User:
        fields.setdefault("must_change_password", False)
        user = User(
            email=email or f"{Role(role).value}{next(counter)}@hospital.example",
            role=Role(role).value,
            password_hash=cached_hash(password),
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@dataclass
class Browser:
    """A test client that signs in through the real login form."""

    client: FlaskClient

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def login_as(app: Flask, make_user: Callable[..., User]) -> Callable[..., FlaskClient]:
    """Return a new client signed in as a fresh user with ``role``."""

    def login(role: Role | str = Role.OFFICER, **fields: Any) -> FlaskClient:
        user = make_user(role, **fields)
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, "test login failed"
        client.user = user  # type: ignore[attr-defined]
        return client

    return login


@pytest.fixture
def make_vendor(app: Flask) -> Callable[..., Vendor]:
    """Create and commit a vendor through the service, as the app would."""
    counter = iter(range(1, 100_000))

    def make(name: str | None = None, **fields: Any) -> Vendor:
        number = next(counter)
        values: dict[str, Any] = {
            "name": name or f"Vendor {number}",
            "primary_domain": f"vendor{number}.example",
            "category": Category.EMAIL,
            "criticality": Criticality.MEDIUM,
            "status": VendorStatus.ACTIVE,
        } | fields
        vendor = vendor_services.create_vendor(vendor_services.VendorFields(**values), actor=None)
        db.session.commit()
        return vendor

    return make


def csrf_token_from(html: str) -> str:
    """Return the CSRF token of the first form in a rendered page."""
    match = _CSRF_INPUT.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)
