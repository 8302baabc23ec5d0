"""The app builds from RISKAPP_* settings, safe by default."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from flask import Flask
from pydantic import ValidationError

from riskapp import create_app
from riskapp.access import Role
from riskapp.audit.models import AuditEvent
from riskapp.database import db, utcnow
from tests.conftest import PASSWORD, build_app


def test_without_a_configured_secret_key_one_is_generated_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RISKAPP_SECRET_KEY", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert len(first) >= 64
    assert first == second == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_each_instance_gets_its_own_secret_key(tmp_path: Path) -> None:
    one = create_app({"INSTANCE_PATH": str(tmp_path / "a"), "DATABASE_URL": "sqlite://"})
    two = create_app({"INSTANCE_PATH": str(tmp_path / "b"), "DATABASE_URL": "sqlite://"})
    assert one.config["SECRET_KEY"] != two.config["SECRET_KEY"]


def test_settings_come_from_riskapp_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISKAPP_DATABASE_URL", f"sqlite:///{tmp_path}/from-env.db")
    monkeypatch.setenv("RISKAPP_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("RISKAPP_SESSION_IDLE_MINUTES", "45")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/from-env.db"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SESSION_IDLE_MINUTES"] == 45
    assert not (tmp_path / "secret_key").exists()


def test_a_malformed_setting_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISKAPP_SESSION_IDLE_MINUTES", "half an hour")
    with pytest.raises(ValidationError, match="session_idle_minutes"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_pages_carry_security_headers(client) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unknown_page_gets_a_friendly_404(login_as) -> None:
    response = login_as(Role.VIEWER).get("/vendors/999999")
    assert response.status_code == 404
    assert "There is nothing here" in response.text


def test_a_forbidden_page_explains_why(login_as) -> None:
    response = login_as(Role.VIEWER).get("/admin/users/")
    assert response.status_code == 403
    assert "Your role does not allow this page" in response.text


def test_the_wsgi_module_builds_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RISKAPP_INSTANCE_PATH", str(tmp_path))
    import importlib

    import wsgi

    assert isinstance(importlib.reload(wsgi).app, Flask)


def sign_in_over(scheme: str, client, make_user):
    user = make_user(Role.VIEWER)
    return client.post(
        "/login", data={"email": user.email, "password": PASSWORD},
        base_url=f"{scheme}://riskapp.hospital.example",
    )


def test_over_https_the_session_cookie_is_secure_and_hsts_is_sent(client, make_user) -> None:
    response = sign_in_over("https", client, make_user)
    assert "; Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_over_plain_http_the_cookie_is_not_marked_secure(client, make_user) -> None:
    response = sign_in_over("http", client, make_user)
    assert "; HttpOnly" in response.headers["Set-Cookie"]
    assert "; Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_trusted_proxy_the_client_address_comes_from_the_proxy(
    database_url: str, tmp_path: Path
) -> None:
    app = build_app(database_url, tmp_path / "proxied", TRUSTED_PROXIES=1)
    app.test_client().post(
        "/login", data={"email": "nobody@hospital.example", "password": "wrong"},
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    with app.app_context():
        try:
            event = db.session.scalars(db.select(AuditEvent)).one()
        finally:
            db.session.remove()
            db.engine.dispose()
    assert event.ip_address == "203.0.113.7"


def test_without_trusted_proxies_forwarded_headers_are_ignored(client) -> None:
    client.post(
        "/login", data={"email": "nobody@hospital.example", "password": "wrong"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    event = db.session.scalars(db.select(AuditEvent)).one()
    assert event.ip_address == "127.0.0.1"


def test_an_empty_secret_key_file_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="no usable secret key"):
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize("changes", [
    {"answer": 2**70},  # past 64 bits: orjson refuses it, the standard library reads it
    {"answer": "ünïcode ✓", "list": [1, 2.5, None, True]},
], ids=["huge integer", "ordinary"])
def test_a_json_column_reads_back_what_was_written(app: Flask, changes: dict) -> None:
    event = AuditEvent(occurred_at=utcnow(), actor_label="test", action="test.json",
                       object_type="", object_id="", object_label="", summary="",
                       changes=changes, previous_hash="0" * 64, entry_hash="1" * 64)
    db.session.add(event)
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(AuditEvent, event.id).changes == changes
