"""Refusing sign-ins after repeated failures, for a while, for that email or address only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.audit.models import AuditEvent
from riskapp.database import utcnow
from tests.accounts.session_checks import is_signed_in
from tests.conftest import PASSWORD, Browser

# Not the defaults, so these tests also show the settings are the ones obeyed.
MAX_FAILURES = 3
LOCKOUT_MINUTES = 10
LOCKED_MESSAGE = "Too many failed sign-in attempts"
WRONG_PASSWORD = "not the right password"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"LOGIN_MAX_FAILURES": MAX_FAILURES, "LOGIN_LOCKOUT_MINUTES": LOCKOUT_MINUTES}


def fail_to_sign_in(client: FlaskClient, email: str, times: int) -> None:
    for _ in range(times):
        response = client.post("/login", data={"email": email, "password": WRONG_PASSWORD})
        assert "Wrong email or password." in response.text


def sign_in(client: FlaskClient, email: str) -> TestResponse:
    return client.post("/login", data={"email": email, "password": PASSWORD})


def clock_moved_forward(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """Make the accounts rules see a later time; the recorded failures keep their real times."""
    later = utcnow() + by
    monkeypatch.setattr(accounts, "utcnow", lambda: later)


def test_right_password_is_refused_after_too_many_failures(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES)

    response = sign_in(browser.client, user.email)

    assert response.status_code == 200
    assert LOCKED_MESSAGE in response.text
    assert f"Wait {LOCKOUT_MINUTES} minutes" in response.text
    assert not is_signed_in(browser.client)


def test_one_failure_fewer_than_the_limit_does_not_lock_the_account(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES - 1)

    response = sign_in(browser.client, user.email)

    assert response.status_code == 302


def test_lockout_applies_to_the_email_however_it_is_typed(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    make_user(email="dana.scully@hospital.example")
    fail_to_sign_in(browser.client, "Dana.Scully@Hospital.example", MAX_FAILURES)

    response = sign_in(browser.client, "dana.scully@hospital.example")

    assert LOCKED_MESSAGE in response.text


def test_lockout_of_one_email_leaves_other_accounts_alone(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    locked, other = make_user(), make_user()
    fail_to_sign_in(browser.client, locked.email, MAX_FAILURES)

    response = sign_in(browser.client, other.email)

    assert response.status_code == 302
    assert is_signed_in(browser.client)


def test_locked_account_is_still_refused_just_before_the_lockout_ends(
    browser: Browser, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES)

    clock_moved_forward(monkeypatch, timedelta(minutes=LOCKOUT_MINUTES - 1))
    response = sign_in(browser.client, user.email)

    assert LOCKED_MESSAGE in response.text


def test_locked_account_signs_in_once_the_lockout_has_passed(
    browser: Browser, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES)

    clock_moved_forward(monkeypatch, timedelta(minutes=LOCKOUT_MINUTES, seconds=1))
    response = sign_in(browser.client, user.email)

    assert response.status_code == 302


def test_successful_sign_in_resets_the_failure_count(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES - 1)
    assert sign_in(browser.client, user.email).status_code == 302
    browser.logout()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES - 1)

    response = sign_in(browser.client, user.email)

    assert response.status_code == 302


def test_one_address_failing_across_many_emails_is_refused_for_every_account(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    guesses = MAX_FAILURES * accounts.FAILURES_PER_ADDRESS_FACTOR
    for number in range(guesses):
        # Never MAX_FAILURES on one email, so only the per-address count can lock.
        fail_to_sign_in(attacker, f"guess{number}@hospital.example", 1)

    response = sign_in(attacker, user.email)

    assert LOCKED_MESSAGE in response.text


def test_address_lockout_leaves_other_addresses_alone(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for number in range(MAX_FAILURES * accounts.FAILURES_PER_ADDRESS_FACTOR):
        fail_to_sign_in(attacker, f"guess{number}@hospital.example", 1)
    colleague = app.test_client()
    colleague.environ_base["REMOTE_ADDR"] = "198.51.100.7"

    response = sign_in(colleague, user.email)

    assert response.status_code == 302


def test_failed_sign_in_for_an_unknown_email_is_written_to_the_audit_log(
    browser: Browser, audit_events: Callable[[str], list[AuditEvent]]
) -> None:
    fail_to_sign_in(browser.client, "nobody@hospital.example", 1)

    [event] = audit_events(accounts.LOGIN_FAILED)
    assert event.actor_label == "nobody@hospital.example"
    assert event.object_id == ""


def test_refusal_during_a_lockout_is_written_to_the_audit_log(
    browser: Browser,
    make_user: Callable[..., User],
    audit_events: Callable[[str], list[AuditEvent]],
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES)

    sign_in(browser.client, user.email)

    [event] = audit_events(accounts.LOGIN_LOCKED)
    assert event.actor_label == user.email


def test_repeated_refusals_during_one_lockout_are_logged_once(
    browser: Browser,
    make_user: Callable[..., User],
    audit_events: Callable[[str], list[AuditEvent]],
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES)

    for _ in range(5):
        assert LOCKED_MESSAGE in sign_in(browser.client, user.email).text

    assert len(audit_events(accounts.LOGIN_LOCKED)) == 1


def test_an_administrators_password_reset_lifts_the_lockout(
    app: Flask, browser: Browser, make_user: Callable[..., User],
    login_as: Callable[..., FlaskClient],
) -> None:
    user = make_user()
    fail_to_sign_in(browser.client, user.email, MAX_FAILURES)
    admin = login_as("admin")

    page = admin.post(f"/admin/users/{user.id}/reset-password").text
    one_time = page.split('<p class="secret mono">')[1].split("</p>")[0]
    response = browser.client.post("/login", data={"email": user.email, "password": one_time})

    assert response.status_code == 302
    assert LOCKED_MESSAGE not in response.text


def test_a_password_typed_into_the_email_box_is_not_written_to_the_log(
    browser: Browser, audit_events: Callable[[str], list[AuditEvent]]
) -> None:
    browser.client.post("/login", data={"email": "Spring Tulips 2026!", "password": "x"})

    [event] = audit_events(accounts.LOGIN_FAILED)
    assert event.actor_label == accounts.NOT_AN_EMAIL
    assert "Tulips" not in f"{event.actor_label} {event.summary} {event.changes}"
