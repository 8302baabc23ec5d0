"""Glue between Flask's cookie session, Flask-Login and our server-side login sessions.

The signed cookie carries only the user id, the login-session token and when the user was
last seen. Each request re-checks the token against the database, so an ended session stays
ended even if someone replays the cookie it was signed into.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers.response import Response

from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.database import utcnow
from riskapp.extensions import login_manager

TOKEN_KEY = "login_token"  # noqa: S105 (a session key name, not a secret)
SEEN_KEY = "seen_at"
# Endpoints a user with a one-time password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "static"})


def init_auth_session(app: Flask) -> None:
    login_manager.session_protection = None  # the server-side session check supersedes it
    login_manager.user_loader(load_user)
    app.before_request(require_password_change)
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


def require_password_change() -> Response | None:
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS
    ):
        return redirect(url_for("auth.change_password"))
    return None


def remember_activity(response: Response) -> Response:
    # Only requests that really belonged to a live session extend it.
    if current_user.is_authenticated:
        session[SEEN_KEY] = utcnow().timestamp()
    return response
