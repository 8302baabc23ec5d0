"""The session cookie: its flags, its renewal at sign-in, and what a stolen copy is worth."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Cookie

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.auth_session import TOKEN_KEY
from tests.accounts.session_checks import is_signed_in, sent_to_sign_in
from tests.conftest import PASSWORD, Browser

SESSION_COOKIE = "riskapp_session"


def session_cookie(client: FlaskClient) -> Cookie:
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie


def login_token(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get(TOKEN_KEY)


def test_session_cookie_is_http_only(browser: Browser, make_user: Callable[..., User]) -> None:
    browser.login(make_user().email)

    assert session_cookie(browser.client).http_only


def test_session_cookie_is_same_site_lax(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    browser.login(make_user().email)

    assert session_cookie(browser.client).same_site == "Lax"


@pytest.mark.parametrize("app_config", [{"SECURE_COOKIES": True}])
def test_session_cookie_is_secure_when_secure_cookies_is_on(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    browser.login(make_user().email)

    assert session_cookie(browser.client).secure


@pytest.mark.parametrize("app_config", [{"SECURE_COOKIES": False}])
def test_session_cookie_is_not_secure_when_secure_cookies_is_off(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    browser.login(make_user().email)

    assert not session_cookie(browser.client).secure


def test_signing_in_issues_a_new_session_cookie(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()
    with browser.client.session_transaction() as session:
        session["visited"] = True  # any anonymous session, as a visitor's browser holds one
    before = session_cookie(browser.client).value

    browser.login(user.email)

    assert session_cookie(browser.client).value != before


def test_signing_in_keeps_nothing_from_the_anonymous_session(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()
    with browser.client.session_transaction() as session:
        # What an attacker who planted their own cookie in the victim's browser would set.
        session[TOKEN_KEY] = "planted-by-an-attacker"
        session["planted"] = True

    browser.login(user.email)

    with browser.client.session_transaction() as session:
        assert "planted" not in session
        assert session[TOKEN_KEY] != "planted-by-an-attacker"


def test_each_sign_in_gets_a_new_login_token(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()
    browser.login(user.email)
    first = login_token(browser.client)
    browser.logout()

    browser.login(user.email)

    assert first is not None
    assert login_token(browser.client) not in (None, first)


def test_session_cookie_copied_before_logout_is_refused_after_logout(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    victim = login_as(Role.OFFICER)
    stolen = session_cookie(victim).value
    thief = app.test_client()
    thief.set_cookie(SESSION_COOKIE, stolen)
    assert is_signed_in(thief), "a copy of a live session cookie should work"

    victim.post("/logout")
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, stolen)

    assert sent_to_sign_in(replay.get("/"))
    assert sent_to_sign_in(replay.get("/vendors/"))


def test_logging_out_leaves_the_users_other_sessions_signed_in(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    laptop = login_as(Role.OFFICER)
    phone = app.test_client()
    phone.post("/login", data={"email": laptop.user.email, "password": PASSWORD})

    laptop.post("/logout")

    assert is_signed_in(phone)
    assert not is_signed_in(laptop)
