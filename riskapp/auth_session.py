"""Glue between Flask's cookie session, Flask-Login and our server-side login sessions.

The signed cookie carries the user id, the login-session token and when the user was last
seen. Between the password and the second factor it carries instead who owes a code, since
when, and a tag of their password hash (a changed password voids the claim); while a user
sets up two-factor sign-in, the new secret too. Signed is not encrypted: whoever reads the
cookie reads these, but whoever holds it has the session anyway. Each request re-checks the
token against the database, so an ended session stays ended even if someone replays the
cookie it was signed into.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers.response import Response

from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.config import parse_roles
from riskapp.database import db, utcnow
from riskapp.extensions import login_manager

TOKEN_KEY = "login_token"  # noqa: S105 (a session key name, not a secret)
SEEN_KEY = "seen_at"
# Who passed the password step and still owes a code, and since when.
SECOND_FACTOR_KEY = "second_factor"
SECOND_FACTOR_WINDOW = timedelta(minutes=5)
# Endpoints a user with a one-time password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "static"})
# Endpoints a user whose role needs two-factor sign-in may reach before turning it on.
TWO_FACTOR_SETUP_ENDPOINTS = frozenset(
    {"auth.two_factor", "auth.enable_two_factor", "auth.logout", "static"}
)


def init_auth_session(app: Flask) -> None:
    login_manager.session_protection = None  # the server-side session check supersedes it
    login_manager.user_loader(load_user)
    app.before_request(require_account_setup)
    app.after_request(remember_activity)


def login_policy() -> accounts.LoginPolicy:
    config = current_app.config
    return accounts.LoginPolicy(
        max_failures=config["LOGIN_MAX_FAILURES"],
        lockout=timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]),
        idle_timeout=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        max_age=timedelta(hours=config["SESSION_MAX_HOURS"]),
    )


def load_user(user_id: str) -> User | None:
    seen = session.get(SEEN_KEY)
    last_seen = datetime.fromtimestamp(seen, UTC) if isinstance(seen, int | float) else None
    try:
        numeric_id = int(user_id)
    except ValueError:
        return None
    return accounts.user_for_session(numeric_id, session.get(TOKEN_KEY), last_seen, login_policy())


def sign_in(user: User) -> None:
    """Start a fresh session for ``user``: nothing from the anonymous session survives."""
    session.clear()
    token = accounts.start_session(
        user, ip=request.remote_addr, user_agent=request.headers.get("User-Agent")
    )
    session.permanent = True
    session[TOKEN_KEY] = token
    session[SEEN_KEY] = utcnow().timestamp()
    login_user(user)


def sign_out() -> None:
    if current_user.is_authenticated:
        accounts.end_session(current_user._get_current_object(), session.get(TOKEN_KEY))
    logout_user()
    session.clear()


def await_second_factor(user: User) -> None:
    """Remember that ``user`` gave the right password and now owes a code; sign nothing in."""
    session.clear()
    session[SECOND_FACTOR_KEY] = {
        "user_id": user.id,
        "password": _password_tag(user),
        "since": utcnow().timestamp(),
    }


def user_owing_second_factor() -> User | None:
    """Return the user who passed the password step a moment ago in this browser, if any.

    The claim lapses after a few minutes, and with any change of password or deactivation.
    """
    pending = session.get(SECOND_FACTOR_KEY)
    if not isinstance(pending, dict):
        return None
    since = pending.get("since")
    if not isinstance(since, int | float) or (
        utcnow() - datetime.fromtimestamp(since, UTC) > SECOND_FACTOR_WINDOW
    ):
        return None
    user = db.session.get(User, pending.get("user_id"))
    if user is None or not user.is_active or not user.uses_two_factor:
        return None
    return user if pending.get("password") == _password_tag(user) else None


def _password_tag(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def two_factor_required(user: User) -> bool:
    return user.role in parse_roles(current_app.config["TWO_FACTOR_ROLES"])


def require_account_setup() -> Response | None:
    """Send a user who must first choose a password, or turn on two-factor sign-in, to do it."""
    if not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        if request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return redirect(url_for("auth.change_password"))
    elif (
        not current_user.uses_two_factor
        and two_factor_required(current_user)
        and request.endpoint not in TWO_FACTOR_SETUP_ENDPOINTS
    ):
        return redirect(url_for("auth.two_factor"))
    return None


def remember_activity(response: Response) -> Response:
    # Only requests that really belonged to a live session extend it.
    if current_user.is_authenticated:
        session[SEEN_KEY] = utcnow().timestamp()
    return response
