"""Signing in and out through the login page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.accounts.models import User
from tests.accounts.session_checks import is_signed_in
from tests.conftest import PASSWORD, Browser

WRONG_PASSWORD = "not the right password"


def test_login_with_the_right_password_redirects_to_the_dashboard(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()

    response = browser.login(user.email)

    assert response.status_code == 302
    assert response.location == "/"
    assert is_signed_in(browser.client)


def test_login_page_for_a_signed_in_user_redirects_to_the_dashboard(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    response = client.get("/login")

    assert response.status_code == 302
    assert response.location == "/"


def test_email_is_matched_regardless_of_case_and_surrounding_spaces(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    make_user(email="dana.scully@hospital.example")

    response = browser.login("  Dana.Scully@Hospital.EXAMPLE ")

    assert response.status_code == 302
    assert is_signed_in(browser.client)


def test_wrong_password_shows_a_generic_error(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()

    response = browser.login(user.email, WRONG_PASSWORD)

    assert response.status_code == 200
    assert "Wrong email or password." in response.text
    assert not is_signed_in(browser.client)


def test_wrong_password_keeps_the_typed_email_but_not_the_password(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user(email="fox.mulder@hospital.example")

    response = browser.login(user.email, WRONG_PASSWORD)

    assert 'value="fox.mulder@hospital.example"' in response.text
    assert WRONG_PASSWORD not in response.text


def test_unknown_email_gets_the_same_message_as_a_wrong_password(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    make_user(email="known@hospital.example")

    response = browser.login("nobody@hospital.example", PASSWORD)

    assert response.status_code == 200
    assert "Wrong email or password." in response.text
    assert not is_signed_in(browser.client)


def test_deactivated_account_is_refused_even_with_the_right_password(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user(is_active=False)

    response = browser.login(user.email)

    assert response.status_code == 200
    assert "This account is deactivated. Ask an administrator." in response.text
    assert not is_signed_in(browser.client)


def test_anonymous_visitor_is_sent_to_sign_in_with_the_page_to_return_to(
    client: FlaskClient,
) -> None:
    response = client.get("/vendors/?q=acme")

    assert response.status_code == 302
    assert response.location == "/login?next=/vendors/?q%3Dacme"


def test_next_parameter_sends_the_user_to_the_local_page_after_login(
    browser: Browser, make_user: Callable[..., User]
) -> None:
    user = make_user()

    response = browser.client.post(
        "/login", query_string={"next": "/vendors/?q=acme"},
        data={"email": user.email, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.location == "/vendors/?q=acme"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/login",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_parameter_pointing_elsewhere_is_ignored(
    browser: Browser, make_user: Callable[..., User], target: str
) -> None:
    user = make_user()

    response = browser.client.post(
        "/login", query_string={"next": target},
        data={"email": user.email, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.location == "/"


def test_logout_signs_the_user_out(login_as: Callable[..., FlaskClient]) -> None:
    client = login_as(Role.OFFICER)

    response = client.post("/logout", follow_redirects=True)

    assert "You are signed out." in response.text
    assert not is_signed_in(client)
