"""When a live session ends: on deactivation, on a password reset, when idle, when too old."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from riskapp.access import Role
from riskapp.accounts.models import LoginSession, User
from riskapp.auth_session import SEEN_KEY
from riskapp.database import db, utcnow
from tests.accounts.session_checks import is_signed_in, sent_to_sign_in
from tests.conftest import PASSWORD

# Not the defaults, so these tests also show the settings are the ones obeyed.
IDLE_MINUTES = 7
MAX_HOURS = 3


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SESSION_IDLE_MINUTES": IDLE_MINUTES, "SESSION_MAX_HOURS": MAX_HOURS}


def last_seen(client: FlaskClient, ago: timedelta) -> None:
    """Make the client's session look as if its last request was ``ago`` before now."""
    with client.session_transaction() as session:
        session[SEEN_KEY] = (utcnow() - ago).timestamp()


def signed_in_since(user: User, ago: timedelta) -> None:
    """Make the user's sign-ins look as if they began ``ago`` before now."""
    db.session.execute(
        update(LoginSession).where(LoginSession.user_id == user.id)
        .values(created_at=utcnow() - ago)
    )
    db.session.commit()


def test_deactivating_a_user_ends_their_live_session(
    login_as: Callable[..., FlaskClient],
) -> None:
    admin = login_as(Role.ADMIN)
    officer = login_as(Role.OFFICER)
    assert is_signed_in(officer)

    admin.post(f"/admin/users/{officer.user.id}/deactivate")

    assert sent_to_sign_in(officer.get("/vendors/"))


def test_reactivating_a_user_does_not_revive_their_old_session(
    login_as: Callable[..., FlaskClient],
) -> None:
    admin = login_as(Role.ADMIN)
    officer = login_as(Role.OFFICER)
    admin.post(f"/admin/users/{officer.user.id}/deactivate")

    admin.post(f"/admin/users/{officer.user.id}/reactivate")

    assert not is_signed_in(officer)


def test_session_of_an_account_deactivated_outside_the_user_pages_is_refused(
    login_as: Callable[..., FlaskClient],
) -> None:
    officer = login_as(Role.OFFICER)
    # As an operator's SQL or a future code path might: the flag alone must suffice.
    db.session.execute(update(User).where(User.id == officer.user.id).values(is_active=False))
    db.session.commit()

    assert not is_signed_in(officer)


def test_resetting_a_password_ends_the_users_live_sessions(
    login_as: Callable[..., FlaskClient],
) -> None:
    admin = login_as(Role.ADMIN)
    officer = login_as(Role.OFFICER)
    assert is_signed_in(officer)

    admin.post(f"/admin/users/{officer.user.id}/reset-password")

    assert not is_signed_in(officer)


def test_session_idle_for_longer_than_the_limit_is_signed_out(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    last_seen(client, timedelta(minutes=IDLE_MINUTES, seconds=30))

    assert sent_to_sign_in(client.get("/vendors/"))


def test_session_idle_for_just_under_the_limit_stays_signed_in(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    last_seen(client, timedelta(minutes=IDLE_MINUTES - 1))

    assert is_signed_in(client)


def test_each_request_restarts_the_idle_clock(login_as: Callable[..., FlaskClient]) -> None:
    client = login_as(Role.OFFICER)
    last_seen(client, timedelta(minutes=IDLE_MINUTES - 1))
    before_request = utcnow().timestamp()

    client.get("/")

    with client.session_transaction() as session:
        assert session[SEEN_KEY] >= before_request


def test_idle_sign_out_is_not_undone_by_later_requests(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)
    last_seen(client, timedelta(minutes=IDLE_MINUTES + 1))
    client.get("/")

    assert not is_signed_in(client)


def test_session_older_than_the_maximum_age_is_signed_out_even_while_active(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    signed_in_since(client.user, timedelta(hours=MAX_HOURS, minutes=1))

    assert sent_to_sign_in(client.get("/vendors/"))


def test_session_just_under_the_maximum_age_stays_signed_in(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    signed_in_since(client.user, timedelta(hours=MAX_HOURS) - timedelta(minutes=1))

    assert is_signed_in(client)


def test_changing_your_password_signs_out_your_other_sessions_but_not_this_one(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    laptop = login_as(Role.OFFICER)
    phone = app.test_client()
    phone.post("/login", data={"email": laptop.user.email, "password": PASSWORD})
    new_password = "a fresh passphrase for spring"

    laptop.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new_password,
        "confirm_password": new_password,
    })

    assert is_signed_in(laptop)
    assert sent_to_sign_in(phone.get("/vendors/"))
