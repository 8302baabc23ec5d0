"""Who may open which route: roles, permissions and per-route access policies.

Every view declares its policy with a decorator right under its route decorator::

    @bp.get("/vendors")
    @requires(Permission.VENDORS_VIEW)
    def index(): ...

A ``before_request`` hook enforces the policy of whichever endpoint matched, before the view
runs. An endpoint that declares nothing is refused outright, so forgetting a decorator fails
closed, and a test walks the URL map to catch it before any user does.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., object])
POLICY_ATTRIBUTE = "access_policy"


class Role(enum.StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator: manages users and settings",
    Role.OFFICER: "Privacy officer: runs assessments",
    Role.VIEWER: "Viewer: reads dashboards and reports, changes nothing",
}


class Permission(enum.StrEnum):
    VENDORS_VIEW = "vendors.view"
    VENDORS_EDIT = "vendors.edit"
    USERS_MANAGE = "users.manage"
    AUDIT_VIEW = "audit.view"
    QUESTIONNAIRES_VIEW = "questionnaires.view"
    ASSESSMENTS_VIEW = "assessments.view"
    ASSESSMENTS_MANAGE = "assessments.manage"
    SCANS_RUN = "scans.run"
    FINDINGS_ACCEPT = "findings.accept"  # mark a scan finding "accepted risk", or withdraw it


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OFFICER: frozenset({Permission.VENDORS_VIEW, Permission.VENDORS_EDIT,
                             Permission.QUESTIONNAIRES_VIEW, Permission.ASSESSMENTS_VIEW,
                             Permission.ASSESSMENTS_MANAGE, Permission.SCANS_RUN,
                             Permission.FINDINGS_ACCEPT}),
    Role.VIEWER: frozenset({Permission.VENDORS_VIEW, Permission.QUESTIONNAIRES_VIEW,
                            Permission.ASSESSMENTS_VIEW}),
}


def role_can(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]


class AccessPolicy(Protocol):
    def allows_anonymous(self) -> bool: ...

    def allows(self, role: Role) -> bool: ...


@dataclass(frozen=True)
class Public:
    """Anyone, signed in or not (the login page, static files)."""

    def allows_anonymous(self) -> bool:
        return True

    def allows(self, role: Role) -> bool:
        return True


@dataclass(frozen=True)
class SignedIn:
    """Any signed-in user, whatever the role (their own account, sign out)."""

    def allows_anonymous(self) -> bool:
        return False

    def allows(self, role: Role) -> bool:
        return True


@dataclass(frozen=True)
class Requires:
    """Signed-in users whose role grants ``permission``."""

    permission: Permission

    def allows_anonymous(self) -> bool:
        return False

    def allows(self, role: Role) -> bool:
        return role_can(role, self.permission)


def _declare(policy: AccessPolicy) -> Callable[[ViewFunc], ViewFunc]:
    def decorate(view: ViewFunc) -> ViewFunc:
        setattr(view, POLICY_ATTRIBUTE, policy)
        return view

    return decorate


public = _declare(Public())
signed_in = _declare(SignedIn())


def requires(permission: Permission) -> Callable[[ViewFunc], ViewFunc]:
    return _declare(Requires(permission))


def policy_of(endpoint: str, app: Flask | None = None) -> AccessPolicy | None:
    view = (app or current_app).view_functions.get(endpoint)
    return getattr(view, POLICY_ATTRIBUTE, None)


def init_access(app: Flask) -> None:
    """Enforce declared policies on every request, and let templates ask about permissions."""
    app.view_functions["static"] = public(app.view_functions["static"])
    app.before_request(enforce_access_policy)
    app.jinja_env.globals["can"] = lambda permission: (
        current_user.is_authenticated and role_can(current_user.role, Permission(permission))
    )


def enforce_access_policy() -> Response | None:
    if request.endpoint is None:  # no route matched: let the 404/405 through
        return None
    policy = policy_of(request.endpoint)
    if policy is None:
        current_app.logger.error("endpoint %s declares no access policy", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        if policy.allows_anonymous():
            return None
        # Come back to the page after signing in; a form post cannot be replayed as a GET.
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=back))
    if not policy.allows(Role(current_user.role)):
        abort(403)
    return None
