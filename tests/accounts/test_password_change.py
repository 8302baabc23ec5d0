"""Replacing a one-time password, and changing one's own password."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.database import db
from tests.accounts.session_checks import is_signed_in
from tests.conftest import PASSWORD, Browser

NEW_PASSWORD = "plum orchard under winter rain"


def change_password(
    client: FlaskClient, new: str = NEW_PASSWORD, *, current: str = PASSWORD,
    confirm: str | None = None,
) -> TestResponse:
    return client.post("/account/password", data={
        "current_password": current,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    })


@pytest.fixture
def newcomer(make_newcomer: Callable[..., User]) -> User:
    return make_newcomer(Role.OFFICER)


@pytest.fixture
def newcomer_client(newcomer: User, signed_in_client: Callable[..., FlaskClient]) -> FlaskClient:
    return signed_in_client(newcomer)


@pytest.mark.parametrize("path", ["/", "/vendors/", "/vendors/new", "/vendors/export.csv"])
def test_user_with_a_one_time_password_is_sent_to_choose_their_own_from_any_page(
    newcomer_client: FlaskClient, path: str
) -> None:
    response = newcomer_client.get(path)

    assert response.status_code == 302
    assert response.location == "/account/password"


def test_user_with_a_one_time_password_is_asked_to_choose_their_own(
    newcomer_client: FlaskClient,
) -> None:
    response = newcomer_client.get("/account/password")

    assert response.status_code == 200
    assert "Choose your password" in response.text


def test_user_with_a_one_time_password_can_still_sign_out(
    newcomer_client: FlaskClient,
) -> None:
    response = newcomer_client.post("/logout")

    assert response.location == "/login"
    assert newcomer_client.get("/").location.startswith("/login")


def test_choosing_a_password_clears_the_one_time_flag(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    change_password(newcomer_client)

    db.session.refresh(newcomer)
    assert newcomer.must_change_password is False


def test_choosing_a_password_leads_to_the_dashboard(newcomer_client: FlaskClient) -> None:
    response = change_password(newcomer_client)

    assert response.location == "/"
    assert is_signed_in(newcomer_client)


def test_new_password_signs_in(
    newcomer_client: FlaskClient, newcomer: User, browser: Browser
) -> None:
    change_password(newcomer_client)

    response = browser.login(newcomer.email, NEW_PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(browser.client)


def test_one_time_password_no_longer_signs_in_once_replaced(
    newcomer_client: FlaskClient, newcomer: User, browser: Browser
) -> None:
    change_password(newcomer_client)

    response = browser.login(newcomer.email, PASSWORD)

    assert "Wrong email or password." in response.text


def test_password_shorter_than_twelve_characters_is_refused_with_the_rule(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    response = change_password(newcomer_client, "elevenchars")

    assert response.status_code == 200
    assert "Field must be between 12 and 256 characters long." in response.text
    db.session.refresh(newcomer)
    assert newcomer.must_change_password is True


def test_password_of_exactly_twelve_characters_is_accepted(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    response = change_password(newcomer_client, "twelve chars")

    assert response.status_code == 302
    db.session.refresh(newcomer)
    assert newcomer.must_change_password is False


def test_wrong_current_password_is_refused(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    response = change_password(newcomer_client, current="not the right password")

    assert response.status_code == 200
    assert "Your current password is not right." in response.text
    db.session.refresh(newcomer)
    assert newcomer.must_change_password is True


def test_differing_confirmation_is_refused(newcomer_client: FlaskClient, newcomer: User) -> None:
    response = change_password(newcomer_client, confirm="plum orchard under summer rain")

    assert "The passwords differ." in response.text
    db.session.refresh(newcomer)
    assert newcomer.must_change_password is True


def test_keeping_the_one_time_password_is_refused(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    response = change_password(newcomer_client, PASSWORD)

    assert "Choose a password different from the current one." in response.text
    db.session.refresh(newcomer)
    assert newcomer.must_change_password is True


def test_own_email_address_as_password_is_refused(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    response = change_password(newcomer_client, newcomer.email.upper())

    assert "Do not use your email address as your password." in response.text


def test_a_breached_password_is_refused_with_the_reason(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    response = change_password(newcomer_client, "qwerty123456")

    assert response.status_code == 200
    assert "This password is too easy to guess" in response.text
    db.session.refresh(newcomer)
    assert newcomer.must_change_password is True


def test_password_is_stored_as_an_argon2id_hash(
    newcomer_client: FlaskClient, newcomer: User
) -> None:
    change_password(newcomer_client)

    db.session.refresh(newcomer)
    assert newcomer.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in newcomer.password_hash


def test_signed_in_user_can_change_their_password_at_any_time(
    login_as: Callable[..., FlaskClient], browser: Browser
) -> None:
    client = login_as(Role.VIEWER)

    response = change_password(client)

    assert response.location == "/"
    assert browser.login(client.user.email, NEW_PASSWORD).status_code == 302
