"""The user pages: adding users, changing roles, deactivating, resetting passwords."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from riskapp.access import Role
from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.accounts.services import find_user_by_email
from riskapp.database import db
from tests.conftest import Browser

_SHOWN_PASSWORD = re.compile(r'<p class="secret mono">([^<]+)</p>')


def shown_password(response: TestResponse) -> str:
    match = _SHOWN_PASSWORD.search(response.text)
    assert match, "page shows no one-time password"
    return match.group(1)


def add_user(admin: FlaskClient, email: str, role: Role = Role.OFFICER,
             name: str = "") -> TestResponse:
    return admin.post("/admin/users/", data={"email": email, "name": name, "role": role.value})


def set_role(admin: FlaskClient, user: User, role: Role) -> TestResponse:
    return admin.post(f"/admin/users/{user.id}", data={"name": user.name, "role": role.value})


@pytest.fixture
def admin(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.ADMIN)


def test_admin_sees_every_user_with_their_role(
    admin: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.VIEWER, email="viewer.person@hospital.example")

    response = admin.get("/admin/users/")

    assert response.status_code == 200
    assert "viewer.person@hospital.example" in response.text
    assert admin.user.email in response.text


def test_adding_a_user_creates_the_account_with_the_chosen_role(admin: FlaskClient) -> None:
    add_user(admin, "new.officer@hospital.example", Role.VIEWER, name="Walter Skinner")

    user = find_user_by_email("new.officer@hospital.example")
    assert user is not None
    assert (user.role, user.name, user.is_active) == ("viewer", "Walter Skinner", True)
    assert user.must_change_password is True


def test_adding_a_user_shows_their_one_time_password(admin: FlaskClient) -> None:
    response = add_user(admin, "new.officer@hospital.example")

    assert response.status_code == 200
    assert "One-time password for new.officer@hospital.example" in response.text
    assert len(shown_password(response)) >= 12


def test_one_time_password_is_not_shown_again(admin: FlaskClient) -> None:
    password = shown_password(add_user(admin, "new.officer@hospital.example"))

    user_list = admin.get("/admin/users/")
    user_page = admin.get(f"/admin/users/{find_user_by_email('new.officer@hospital.example').id}")

    assert password not in user_list.text
    assert password not in user_page.text


def test_new_user_signs_in_with_the_one_time_password_and_must_replace_it(
    admin: FlaskClient, browser: Browser
) -> None:
    password = shown_password(add_user(admin, "new.officer@hospital.example"))

    response = browser.login("new.officer@hospital.example", password)

    assert response.status_code == 302
    assert browser.client.get("/").location == "/account/password"


def test_adding_an_existing_email_is_refused_and_keeps_what_was_typed(
    admin: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="dana.scully@hospital.example")

    response = add_user(admin, "Dana.Scully@hospital.example", Role.VIEWER, name="Dana Scully")

    assert response.status_code == 400
    assert "An account for dana.scully@hospital.example already exists." in response.text
    assert 'value="Dana.Scully@hospital.example"' in response.text
    assert 'value="Dana Scully"' in response.text
    assert '<option selected value="viewer">' in response.text
    assert len(accounts.list_users()) == 2


def test_adding_a_user_with_an_invalid_email_is_refused(admin: FlaskClient) -> None:
    response = add_user(admin, "not-an-email")

    assert response.status_code == 400
    assert "Invalid email address." in response.text
    assert find_user_by_email("not-an-email") is None


def test_admin_changes_a_users_role(admin: FlaskClient, make_user: Callable[..., User]) -> None:
    officer = make_user(Role.OFFICER)

    response = set_role(admin, officer, Role.VIEWER)

    assert response.location == "/admin/users/"
    db.session.refresh(officer)
    assert officer.role == "viewer"


def test_demoted_officer_loses_editing_on_their_next_request(
    admin: FlaskClient, login_as: Callable[..., FlaskClient]
) -> None:
    officer = login_as(Role.OFFICER)
    assert officer.get("/vendors/new").status_code == 200

    set_role(admin, officer.user, Role.VIEWER)

    assert officer.get("/vendors/new").status_code == 403
    assert officer.get("/vendors/").status_code == 200


def test_promoted_viewer_gains_editing_on_their_next_request(
    admin: FlaskClient, login_as: Callable[..., FlaskClient]
) -> None:
    viewer = login_as(Role.VIEWER)
    assert viewer.get("/vendors/new").status_code == 403

    set_role(admin, viewer.user, Role.OFFICER)

    assert viewer.get("/vendors/new").status_code == 200


def test_admin_deactivates_a_user_who_then_cannot_sign_in(
    admin: FlaskClient, make_user: Callable[..., User], browser: Browser
) -> None:
    officer = make_user(Role.OFFICER)

    response = admin.post(f"/admin/users/{officer.id}/deactivate", follow_redirects=True)

    assert f"Deactivated {officer.email}." in response.text
    assert "This account is deactivated." in browser.login(officer.email).text


def test_admin_reactivates_a_user_who_then_signs_in_again(
    admin: FlaskClient, make_user: Callable[..., User], browser: Browser
) -> None:
    officer = make_user(Role.OFFICER, is_active=False)

    response = admin.post(f"/admin/users/{officer.id}/reactivate", follow_redirects=True)

    assert f"Reactivated {officer.email}." in response.text
    assert browser.login(officer.email).status_code == 302


def test_admin_cannot_deactivate_themselves(admin: FlaskClient) -> None:
    response = admin.post(f"/admin/users/{admin.user.id}/deactivate", follow_redirects=True)

    assert "You cannot deactivate your own account." in response.text
    db.session.refresh(admin.user)
    assert admin.user.is_active is True


def test_only_admin_cannot_demote_themselves(admin: FlaskClient) -> None:
    response = set_role(admin, admin.user, Role.OFFICER)

    assert "You cannot change the role of the last active administrator." in response.text
    db.session.refresh(admin.user)
    assert admin.user.role == "admin"


def test_deactivated_admins_do_not_count_towards_keeping_one(
    admin: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.ADMIN, is_active=False)

    response = set_role(admin, admin.user, Role.OFFICER)

    assert "You cannot change the role of the last active administrator." in response.text


def test_admin_can_demote_themselves_while_another_admin_remains(
    admin: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(Role.ADMIN)

    set_role(admin, admin.user, Role.OFFICER)

    db.session.refresh(admin.user)
    assert admin.user.role == "officer"
    assert admin.get("/admin/users/").status_code == 403


def test_last_active_admin_cannot_be_deactivated_whoever_asks(
    make_user: Callable[..., User],
) -> None:
    only_admin = make_user(Role.ADMIN)
    # No admin can ask (they would be deactivating themselves), so ask the rule directly.
    someone_else = make_user(Role.OFFICER)

    with pytest.raises(accounts.AccountError, match="You cannot deactivate the last active"):
        accounts.set_active(only_admin, False, actor=someone_else)


def test_admin_resets_a_password_and_sees_the_new_one_time_password(
    admin: FlaskClient, make_user: Callable[..., User], browser: Browser
) -> None:
    officer = make_user(Role.OFFICER)

    response = admin.post(f"/admin/users/{officer.id}/reset-password")

    assert browser.login(officer.email, shown_password(response)).status_code == 302
    assert browser.client.get("/").location == "/account/password"


@pytest.mark.parametrize("role", [Role.OFFICER, Role.VIEWER])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/users/"),
        ("POST", "/admin/users/"),
        ("GET", "/admin/users/{id}"),
        ("POST", "/admin/users/{id}/deactivate"),
        ("POST", "/admin/users/{id}/reset-password"),
    ],
)
def test_non_admins_are_refused_the_user_pages(
    login_as: Callable[..., FlaskClient], make_user: Callable[..., User],
    role: Role, method: str, path: str,
) -> None:
    client = login_as(role)
    other = make_user(Role.OFFICER)
    password_hash = other.password_hash

    response = client.open(path.format(id=other.id), method=method,
                           data={"email": "x@hospital.example", "role": "admin"})

    assert response.status_code == 403
    db.session.refresh(other)
    assert other.is_active is True
    assert other.password_hash == password_hash
    assert find_user_by_email("x@hospital.example") is None
