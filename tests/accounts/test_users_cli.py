"""``flask users``: create, reset-password and list from the command line."""

from __future__ import annotations

import re
from collections.abc import Callable

from click.testing import Result
from flask.testing import FlaskClient, FlaskCliRunner

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.accounts.services import find_user_by_email
from riskapp.database import db
from tests.accounts.session_checks import is_signed_in
from tests.conftest import PASSWORD, Browser


def printed_password(result: Result) -> str:
    match = re.search(r"(?:One-time password|New one-time password for \S+): (\S+)$",
                      result.output, re.MULTILINE)
    assert match, f"no password in output: {result.output!r}"
    return match.group(1)


def create(runner: FlaskCliRunner, email: str, *options: str) -> Result:
    return runner.invoke(args=["users", "create", email, *options])


def test_create_prints_a_one_time_password_that_signs_in(
    runner: FlaskCliRunner, browser: Browser
) -> None:
    result = create(runner, "new.officer@hospital.example", "--role", "officer")

    assert result.exit_code == 0, result.output
    assert "Created new.officer@hospital.example (officer)." in result.output
    response = browser.login("new.officer@hospital.example", printed_password(result))
    assert response.status_code == 302


def test_created_user_must_replace_the_one_time_password(
    runner: FlaskCliRunner, browser: Browser
) -> None:
    result = create(runner, "new.officer@hospital.example", "--role", "officer")

    browser.login("new.officer@hospital.example", printed_password(result))

    assert browser.client.get("/vendors/").location == "/account/password"


def test_create_gives_the_role_and_name_asked_for(runner: FlaskCliRunner) -> None:
    create(runner, "Boss@Hospital.example", "--role", "admin", "--name", "Walter Skinner")

    user = find_user_by_email("boss@hospital.example")
    assert user is not None
    assert (user.role, user.name) == ("admin", "Walter Skinner")


def test_create_stores_only_an_argon2id_hash_of_the_password(runner: FlaskCliRunner) -> None:
    result = create(runner, "new.officer@hospital.example", "--role", "officer")

    user = find_user_by_email("new.officer@hospital.example")
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert printed_password(result) not in user.password_hash


def test_create_refuses_an_existing_email_with_an_error(
    runner: FlaskCliRunner, make_user: Callable[..., User]
) -> None:
    user = make_user(email="dana.scully@hospital.example")
    password_hash = user.password_hash

    result = create(runner, "DANA.SCULLY@hospital.example", "--role", "viewer")

    assert result.exit_code != 0
    assert "Error: An account for dana.scully@hospital.example already exists." in result.output
    assert "One-time password" not in result.output
    db.session.refresh(user)
    assert (user.role, user.password_hash) == ("officer", password_hash)


def test_create_refuses_something_that_is_not_an_email_address(runner: FlaskCliRunner) -> None:
    result = create(runner, "dana at hospital", "--role", "officer")

    assert result.exit_code != 0
    assert "'dana at hospital' is not an email address" in result.output
    assert "One-time password" not in result.output


def test_create_refuses_an_unknown_role(runner: FlaskCliRunner) -> None:
    result = create(runner, "new.officer@hospital.example", "--role", "superuser")

    assert result.exit_code != 0
    assert "Invalid value for '--role'" in result.output
    assert find_user_by_email("new.officer@hospital.example") is None


def test_create_requires_a_role(runner: FlaskCliRunner) -> None:
    result = create(runner, "new.officer@hospital.example")

    assert result.exit_code != 0
    assert "Missing option '--role'" in result.output
    assert find_user_by_email("new.officer@hospital.example") is None


def test_reset_password_prints_a_new_one_time_password_that_signs_in(
    runner: FlaskCliRunner, make_user: Callable[..., User], browser: Browser
) -> None:
    user = make_user(email="dana.scully@hospital.example")

    result = runner.invoke(args=["users", "reset-password", "dana.scully@hospital.example"])

    assert result.exit_code == 0, result.output
    assert browser.login(user.email, printed_password(result)).status_code == 302
    assert browser.client.get("/").location == "/account/password"


def test_reset_password_makes_the_old_password_useless(
    runner: FlaskCliRunner, make_user: Callable[..., User], browser: Browser
) -> None:
    user = make_user(email="dana.scully@hospital.example")

    runner.invoke(args=["users", "reset-password", user.email])

    assert "Wrong email or password." in browser.login(user.email, PASSWORD).text


def test_reset_password_signs_the_user_out_everywhere(
    runner: FlaskCliRunner, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as(Role.OFFICER)

    runner.invoke(args=["users", "reset-password", client.user.email])

    assert not is_signed_in(client)


def test_reset_password_for_an_unknown_email_is_an_error(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "reset-password", "nobody@hospital.example"])

    assert result.exit_code != 0
    assert "Error: No account for nobody@hospital.example." in result.output


def test_list_shows_every_account_with_its_role_in_email_order(
    runner: FlaskCliRunner, make_user: Callable[..., User]
) -> None:
    make_user(Role.VIEWER, email="zed@hospital.example")
    make_user(Role.ADMIN, email="amy@hospital.example")

    result = runner.invoke(args=["users", "list"])

    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines == [["amy@hospital.example", "admin"], ["zed@hospital.example", "viewer"]]


def test_list_marks_deactivated_accounts(
    runner: FlaskCliRunner, make_user: Callable[..., User]
) -> None:
    make_user(Role.OFFICER, email="gone@hospital.example", is_active=False)
    make_user(Role.OFFICER, email="here@hospital.example")

    result = runner.invoke(args=["users", "list"])

    [gone, here] = result.output.splitlines()
    assert gone.startswith("gone@hospital.example")
    assert gone.endswith("(deactivated)")
    assert "deactivated" not in here
