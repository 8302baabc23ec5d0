"""Every change to an account, and every sign-in and sign-out, leaves an audit event."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.accounts.services import find_user_by_email
from riskapp.audit.models import AuditEvent
from riskapp.audit.services import verify_chain
from tests.conftest import PASSWORD, Browser

Events = Callable[[str], list[AuditEvent]]


def assert_about(event: AuditEvent, *, actor: User | None, target: User) -> None:
    assert event.actor_id == (actor.id if actor else None)
    assert event.actor_label == (actor.email if actor else "system")
    assert (event.object_type, event.object_id, event.object_label) == (
        "user", str(target.id), target.email
    )


@pytest.fixture
def admin(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.ADMIN)


def test_adding_a_user_records_who_added_whom_with_what_role(
    admin: FlaskClient, audit_events: Events
) -> None:
    admin.post("/admin/users/", data={"email": "new@hospital.example", "role": "viewer"})

    [event] = audit_events("user.created")
    assert_about(event, actor=admin.user, target=find_user_by_email("new@hospital.example"))
    assert event.changes["role"] == "viewer"


def test_creating_a_user_from_the_command_line_records_the_system_as_actor(
    runner: FlaskCliRunner, audit_events: Events
) -> None:
    runner.invoke(args=["users", "create", "new@hospital.example", "--role", "officer"])

    [event] = audit_events("user.created")
    assert_about(event, actor=None, target=find_user_by_email("new@hospital.example"))


def test_changing_a_role_records_the_role_before_and_after(
    admin: FlaskClient, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)

    admin.post(f"/admin/users/{officer.id}", data={"name": "", "role": "viewer"})

    [event] = audit_events("user.updated")
    assert_about(event, actor=admin.user, target=officer)
    assert event.changes == {"role": {"before": "officer", "after": "viewer"}}


def test_saving_a_user_unchanged_records_nothing(
    admin: FlaskClient, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)

    admin.post(f"/admin/users/{officer.id}", data={"name": "", "role": "officer"})

    assert audit_events("user.updated") == []


def test_deactivating_a_user_is_recorded(
    admin: FlaskClient, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)

    admin.post(f"/admin/users/{officer.id}/deactivate")

    [event] = audit_events("user.deactivated")
    assert_about(event, actor=admin.user, target=officer)
    assert event.changes == {"is_active": {"before": True, "after": False}}


def test_reactivating_a_user_is_recorded(
    admin: FlaskClient, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER, is_active=False)

    admin.post(f"/admin/users/{officer.id}/reactivate")

    [event] = audit_events("user.activated")
    assert_about(event, actor=admin.user, target=officer)
    assert event.changes == {"is_active": {"before": False, "after": True}}


def test_a_refused_deactivation_records_nothing(admin: FlaskClient, audit_events: Events) -> None:
    admin.post(f"/admin/users/{admin.user.id}/deactivate")

    assert audit_events("user.deactivated") == []


def test_changing_ones_own_password_is_recorded_against_oneself(
    login_as: Callable[..., FlaskClient], audit_events: Events
) -> None:
    client = login_as(Role.OFFICER)
    new = "plum orchard under winter rain"

    client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm_password": new,
    })

    [event] = audit_events("user.password_changed")
    assert_about(event, actor=client.user, target=client.user)
    assert new not in str(event.changes) + event.summary


def test_resetting_a_password_is_recorded_with_the_admin_as_actor(
    admin: FlaskClient, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)

    admin.post(f"/admin/users/{officer.id}/reset-password")

    [event] = audit_events("user.password_reset")
    assert_about(event, actor=admin.user, target=officer)


def test_resetting_a_password_from_the_command_line_is_recorded(
    runner: FlaskCliRunner, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)

    runner.invoke(args=["users", "reset-password", officer.email])

    [event] = audit_events("user.password_reset")
    assert_about(event, actor=None, target=officer)


def test_signing_in_is_recorded(
    browser: Browser, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)

    browser.login(officer.email)

    [event] = audit_events("auth.login")
    assert_about(event, actor=officer, target=officer)
    assert event.ip_address == "127.0.0.1"


def test_signing_out_is_recorded(
    browser: Browser, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)
    browser.login(officer.email)

    browser.logout()

    [event] = audit_events("auth.logout")
    assert_about(event, actor=officer, target=officer)


def test_failed_sign_in_is_recorded_without_an_actor(
    browser: Browser, make_user: Callable[..., User], audit_events: Events
) -> None:
    officer = make_user(Role.OFFICER)

    browser.login(officer.email, "not the right password")

    [event] = audit_events("auth.login_failed")
    assert event.actor_id is None
    assert event.actor_label == officer.email
    assert (event.object_type, event.object_id) == ("user", str(officer.id))
    assert event.ip_address == "127.0.0.1"


def test_account_events_keep_the_audit_chain_intact(
    admin: FlaskClient, runner: FlaskCliRunner, browser: Browser
) -> None:
    runner.invoke(args=["users", "create", "new@hospital.example", "--role", "officer"])
    user = find_user_by_email("new@hospital.example")
    admin.post(f"/admin/users/{user.id}", data={"name": "New", "role": "viewer"})
    admin.post(f"/admin/users/{user.id}/deactivate")
    admin.post(f"/admin/users/{user.id}/reactivate")
    browser.login(user.email, "not the right password")

    report = verify_chain()

    assert report.intact, report.first_break
    assert report.events_checked >= 6
