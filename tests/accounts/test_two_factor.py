"""Two-factor sign-in: an authenticator app's code after the password, recovery codes, and
administrators made to use it.

Codes come from pyotp at a clock the test sets, so a test never straddles a 30-second step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pyotp
import pytest
import segno
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from riskapp.access import Role
from riskapp.accounts import two_factor
from riskapp.accounts.models import RecoveryCode, User
from riskapp.audit.models import AuditEvent
from riskapp.audit.services import verify_chain
from riskapp.config import Settings
from riskapp.database import db
from tests.accounts.session_checks import is_signed_in, sent_to_sign_in
from tests.conftest import PASSWORD

Events = Callable[[str], list[AuditEvent]]
Enrolled = Callable[..., tuple[User, str, list[str]]]
START = 1_800_000_000.0  # a moment well inside a 30-second step


@dataclass
class Clock:
    """The time the two-factor code check sees."""

    now: float = START

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def code(self, secret: str, *, steps: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.now + steps * two_factor.STEP_SECONDS)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"TWO_FACTOR_ROLES": "admin", "LOGIN_MAX_FAILURES": 3}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(two_factor, "time", SimpleNamespace(time=clock.time))
    return clock


def key_on(page: str) -> str:
    match = re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', page)
    assert match, "the enrolment page shows no key to type"
    return match.group(1).replace(" ", "")


def recovery_codes_on(page: str) -> list[str]:
    return re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", page)


def sign_in_with_password(app: Flask, user: User, next_url: str | None = None) -> tuple[
        FlaskClient, TestResponse]:
    client = app.test_client()
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client, client.post(url, data={"email": user.email, "password": PASSWORD})


def signed_in_with_code(app: Flask, user: User, secret: str, clock: Clock) -> FlaskClient:
    """A client signed in with the password and the app's code; the clock then moves on a
    step, so the next code the test takes is unused."""
    client, _ = sign_in_with_password(app, user)
    client.post("/login/code", data={"code": clock.code(secret)})
    clock.advance(two_factor.STEP_SECONDS)
    return client


@pytest.fixture
def enrolled(app: Flask, make_user: Callable[..., User], clock: Clock) -> Enrolled:
    """Make a user who has turned on two-factor sign-in through the pages; return the user,
    the secret their app holds and their recovery codes."""

    def make(role: Role = Role.OFFICER) -> tuple[User, str, list[str]]:
        user = make_user(role)
        client, _ = sign_in_with_password(app, user)
        secret = key_on(client.get("/account/two-factor").get_data(as_text=True))
        page = client.post("/account/two-factor", data={"code": clock.code(secret)})
        codes = recovery_codes_on(page.get_data(as_text=True))
        assert len(codes) == two_factor.RECOVERY_CODE_COUNT
        clock.advance(two_factor.STEP_SECONDS)  # the enrolment's code is spent
        return user, secret, codes

    return make


# --- Turning it on --------------------------------------------------------------------------

def test_the_enrolment_page_shows_a_qr_code_of_the_key_it_asks_the_user_to_type(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    page = client.get("/account/two-factor").get_data(as_text=True)

    secret = key_on(page)
    uri = pyotp.TOTP(secret).provisioning_uri(name=client.user.email, issuer_name="riskapp")
    assert segno.make(uri, error="m").svg_inline(scale=5, title="Two-factor QR code") in page
    assert client.get("/account/two-factor").get_data(as_text=True).count(secret[:4]) >= 1
    assert key_on(client.get("/account/two-factor").get_data(as_text=True)) == secret


def test_a_right_code_turns_it_on_and_shows_ten_recovery_codes_once(
    login_as: Callable[..., FlaskClient], clock: Clock, audit_events: Events,
) -> None:
    client = login_as(Role.OFFICER)
    secret = key_on(client.get("/account/two-factor").get_data(as_text=True))

    response = client.post("/account/two-factor", data={"code": clock.code(secret)})

    codes = recovery_codes_on(response.get_data(as_text=True))
    assert response.status_code == 200
    assert len(set(codes)) == 10
    assert "shown only now" in response.get_data(as_text=True)
    user = db.session.get(User, client.user.id)
    assert user.uses_two_factor
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h for h in stored for code in codes)
    status = client.get("/account/two-factor").get_data(as_text=True)
    assert 'id="recovery-codes-left">10<' in status
    assert not recovery_codes_on(status)
    assert [e.summary for e in audit_events("user.two_factor_enabled")] == [
        "Turned on two-factor sign-in"]


def test_a_wrong_code_keeps_it_off_and_keeps_the_same_key_for_another_try(
    login_as: Callable[..., FlaskClient], clock: Clock,
) -> None:
    client = login_as(Role.OFFICER)
    secret = key_on(client.get("/account/two-factor").get_data(as_text=True))

    response = client.post("/account/two-factor", data={"code": "000000"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "That code is not right" in page
    assert 'value="000000"' in page  # what was typed stays
    assert key_on(page) == secret
    assert not db.session.get(User, client.user.id).uses_two_factor
    assert client.post("/account/two-factor", data={"code": clock.code(secret)}).status_code == 200


def test_officers_are_encouraged_to_turn_it_on_and_not_made_to(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    dashboard = client.get("/")

    assert dashboard.status_code == 200
    assert "turn on two-factor sign-in" in dashboard.get_data(as_text=True)


# --- Signing in -----------------------------------------------------------------------------

def test_the_password_alone_does_not_sign_in_a_user_with_two_factor(
    app: Flask, enrolled: Enrolled,
) -> None:
    user, _, _ = enrolled()

    client, response = sign_in_with_password(app, user, next_url="/vendors/")

    assert response.status_code == 302
    assert response.location == "/login/code?next=/vendors/"
    assert not is_signed_in(client)


def test_the_code_from_the_app_finishes_signing_in_and_goes_where_the_user_was_going(
    app: Flask, enrolled: Enrolled, clock: Clock,
    audit_events: Events,
) -> None:
    user, secret, _ = enrolled()
    client, _ = sign_in_with_password(app, user, next_url="/vendors/")

    response = client.post("/login/code?next=/vendors/", data={"code": clock.code(secret)})

    assert response.status_code == 302
    assert response.location == "/vendors/"
    assert is_signed_in(client)
    assert audit_events("auth.login")[-1].actor_id == user.id
    assert "turn on two-factor sign-in" not in client.get("/").get_data(as_text=True)


def test_a_code_from_the_step_before_or_after_is_accepted_for_clock_drift(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    user, secret, _ = enrolled()
    clock.advance(two_factor.STEP_SECONDS * 5)
    first, _ = sign_in_with_password(app, user)
    second, _ = sign_in_with_password(app, user)

    first.post("/login/code", data={"code": clock.code(secret, steps=-1)})
    second.post("/login/code", data={"code": clock.code(secret, steps=1)})

    assert is_signed_in(first)
    assert is_signed_in(second)


def test_an_old_code_is_refused(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    user, secret, _ = enrolled()
    client, _ = sign_in_with_password(app, user)

    response = client.post("/login/code", data={"code": clock.code(secret, steps=-3)})

    assert response.status_code == 200
    assert "That code is not right, or it was already used" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_a_code_that_signed_in_once_is_refused_the_second_time(
    app: Flask, enrolled: Enrolled, clock: Clock,
    audit_events: Events,
) -> None:
    user, secret, _ = enrolled()
    code = clock.code(secret)
    first, _ = sign_in_with_password(app, user)
    first.post("/login/code", data={"code": code})
    eavesdropper, _ = sign_in_with_password(app, user)

    response = eavesdropper.post("/login/code", data={"code": code})

    assert is_signed_in(first)
    assert not is_signed_in(eavesdropper)
    assert "already used" in response.get_data(as_text=True)
    assert audit_events("auth.login_failed")[-1].summary == "Wrong or already used two-factor code"


def test_wrong_codes_count_towards_the_sign_in_lockout(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    user, secret, _ = enrolled()
    client, _ = sign_in_with_password(app, user)
    for guess in ("111111", "222222", "333333"):  # LOGIN_MAX_FAILURES is 3 here
        client.post("/login/code", data={"code": guess})

    response = client.post("/login/code", data={"code": clock.code(secret)})

    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert not is_signed_in(client)


def test_the_code_page_without_a_password_first_sends_to_sign_in(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    enrolled()
    client = app.test_client()

    response = client.post("/login/code", data={"code": "123456"})

    assert sent_to_sign_in(response)
    assert not is_signed_in(client)


def test_the_code_step_lapses_after_five_minutes(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    user, secret, _ = enrolled()
    client, _ = sign_in_with_password(app, user)
    with client.session_transaction() as cookie:
        pending = cookie["second_factor"]
        cookie["second_factor"] = pending | {"since": pending["since"] - 6 * 60}

    response = client.post("/login/code", data={"code": clock.code(secret)})

    assert sent_to_sign_in(response)
    assert not is_signed_in(client)


def test_a_password_reset_between_the_two_steps_voids_the_first(
    app: Flask, enrolled: Enrolled, clock: Clock,
    runner: Any,
) -> None:
    user, secret, _ = enrolled()
    client, _ = sign_in_with_password(app, user)
    assert runner.invoke(args=["users", "reset-password", user.email]).exit_code == 0

    response = client.post("/login/code", data={"code": clock.code(secret)})

    assert sent_to_sign_in(response)
    assert not is_signed_in(client)


# --- Recovery codes -------------------------------------------------------------------------

def test_a_recovery_code_signs_in_once(
    app: Flask, enrolled: Enrolled, audit_events: Events,
) -> None:
    user, _, codes = enrolled()
    first, _ = sign_in_with_password(app, user)
    second, _ = sign_in_with_password(app, user)

    welcome = first.post("/login/code", data={"code": codes[3].upper().replace("-", " ")},
                         follow_redirects=True)
    again = second.post("/login/code", data={"code": codes[3]})

    assert is_signed_in(first)
    assert "recovery code; 9 left" in welcome.get_data(as_text=True)
    assert not is_signed_in(second)
    assert "already used" in again.get_data(as_text=True)
    assert audit_events("auth.recovery_code_used")[0].summary == (
        "Signed in with a recovery code; 9 left")


def test_new_recovery_codes_replace_the_old_ones(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    user, secret, old_codes = enrolled()
    client = signed_in_with_code(app, user, secret, clock)

    refused = client.post("/account/two-factor/recovery-codes", data={"new-code": "000000"})
    page = client.post("/account/two-factor/recovery-codes",
                       data={"new-code": clock.code(secret)}).get_data(as_text=True)

    assert refused.status_code == 400
    new_codes = recovery_codes_on(page)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    with_old, _ = sign_in_with_password(app, user)
    with_new, _ = sign_in_with_password(app, user)
    with_old.post("/login/code", data={"code": old_codes[0]})
    with_new.post("/login/code", data={"code": new_codes[0]})
    assert not is_signed_in(with_old)
    assert is_signed_in(with_new)


def test_wrong_codes_on_the_account_page_count_towards_the_lockout_too(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    user, secret, _ = enrolled()
    client = signed_in_with_code(app, user, secret, clock)  # a session left open
    for guess in ("111111", "222222", "333333"):  # LOGIN_MAX_FAILURES is 3 here
        client.post("/account/two-factor/off", data={"off-code": guess})

    response = client.post("/account/two-factor/off", data={"off-code": clock.code(secret)})

    assert "Too many failed sign-in attempts" in response.text
    db.session.expire_all()
    assert db.session.get(User, user.id).uses_two_factor


# --- Turning it off, and resets -------------------------------------------------------------

def test_an_officer_turns_it_off_with_a_current_code(
    app: Flask, enrolled: Enrolled, clock: Clock,
    audit_events: Events,
) -> None:
    user, secret, _ = enrolled()
    client = signed_in_with_code(app, user, secret, clock)

    refused = client.post("/account/two-factor/off", data={"off-code": "000000"})
    client.post("/account/two-factor/off", data={"off-code": clock.code(secret)})

    assert refused.status_code == 400
    assert 'value="000000"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, user.id).uses_two_factor
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert len(audit_events("user.two_factor_disabled")) == 1
    password_only, _ = sign_in_with_password(app, user)
    assert is_signed_in(password_only)


def test_an_administrator_who_lost_a_phone_is_reset_by_another_and_enrols_again(
    app: Flask, enrolled: Enrolled, clock: Clock,
    login_as: Callable[..., FlaskClient], audit_events: Events,
) -> None:
    admin, secret, _ = enrolled(Role.ADMIN)
    colleague, colleague_secret, _ = enrolled(Role.ADMIN)
    helper = signed_in_with_code(app, colleague, colleague_secret, clock)

    turned_off = helper.post(f"/admin/users/{admin.id}/reset-two-factor", follow_redirects=True)

    assert f"Reset the two-factor sign-in of {admin.email}" in turned_off.get_data(as_text=True)
    client, response = sign_in_with_password(app, admin)
    assert response.location == "/"  # no code asked
    assert client.get("/vendors/").location == "/account/two-factor"  # but must enrol again
    event = audit_events("user.two_factor_reset")[0]
    assert (event.actor_id, event.object_id) == (colleague.id, str(admin.id))


def test_the_cli_resets_a_second_factor_when_no_administrator_can_sign_in(
    enrolled: Enrolled, runner: Any,
) -> None:
    admin, _, _ = enrolled(Role.ADMIN)

    result = runner.invoke(args=["users", "reset-two-factor", admin.email])
    again = runner.invoke(args=["users", "reset-two-factor", admin.email])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not db.session.get(User, admin.id).uses_two_factor
    assert again.exit_code == 1
    assert "does not use two-factor sign-in" in again.output


# --- Required for administrators ------------------------------------------------------------

def test_by_default_administrators_must_use_two_factor_and_others_may(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RISKAPP_TWO_FACTOR_ROLES", raising=False)

    assert Settings().two_factor_roles == "admin"


def test_an_unknown_role_in_the_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RISKAPP_TWO_FACTOR_ROLES", "admin,officers")

    with pytest.raises(ValueError, match="no such role: officers"):
        Settings()


def test_an_administrator_without_it_can_only_turn_it_on_or_sign_out(
    login_as: Callable[..., FlaskClient], clock: Clock,
) -> None:
    client = login_as(Role.ADMIN)

    for page in ("/", "/vendors/", "/admin/users/", "/account/password"):
        assert client.get(page).location == "/account/two-factor", page
    enrol = client.get("/account/two-factor").get_data(as_text=True)
    assert "Your role must sign in with a second factor" in enrol
    client.post("/account/two-factor", data={"code": clock.code(key_on(enrol))})
    assert client.get("/admin/users/").status_code == 200


def test_a_new_administrator_chooses_a_password_first_then_turns_it_on(
    app: Flask, make_user: Callable[..., User],
) -> None:
    user = make_user(Role.ADMIN, must_change_password=True)
    client, _ = sign_in_with_password(app, user)

    assert client.get("/").location == "/account/password"


def test_an_administrator_cannot_turn_it_off(
    app: Flask, enrolled: Enrolled, clock: Clock,
) -> None:
    admin, secret, _ = enrolled(Role.ADMIN)
    client = signed_in_with_code(app, admin, secret, clock)

    status = client.get("/account/two-factor").get_data(as_text=True)
    response = client.post("/account/two-factor/off", data={"off-code": clock.code(secret)})

    assert "Turn off two-factor sign-in" not in status
    assert "cannot be turned off" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).uses_two_factor
    assert verify_chain().intact
