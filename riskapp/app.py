"""The application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from riskapp import access, auth_session, nul_characters, security_headers
from riskapp.accounts.admin_views import bp as users_bp
from riskapp.accounts.cli import users_cli
from riskapp.accounts.views import bp as auth_bp
from riskapp.agreements.views import bp as agreements_bp
from riskapp.assessments.portal import bp as portal_bp
from riskapp.assessments.views import bp as assessments_bp
from riskapp.audit.cli import audit_cli
from riskapp.audit.views import bp as audit_bp
from riskapp.backup import backup_cli
from riskapp.config import Settings, default_database_url, load_or_create_secret_key
from riskapp.dashboard.views import bp as dashboard_bp
from riskapp.database import configure_sqlite, read_json
from riskapp.demo.cli import demo_cli
from riskapp.extensions import csrf, db, login_manager
from riskapp.migrate import db_cli
from riskapp.questionnaires.cli import questionnaires_cli
from riskapp.questionnaires.views import bp as questionnaires_bp
from riskapp.reminders.cli import reminders_cli
from riskapp.reminders.views import bp as reminders_bp
from riskapp.reports.cli import reports_cli
from riskapp.reports.views import bp as reports_bp
from riskapp.scans.cli import scans_cli
from riskapp.scans.queue import init_scan_queue
from riskapp.scans.views import bp as scans_bp
from riskapp.scoring.cli import scores_cli
from riskapp.scoring.services import init_scoring
from riskapp.scoring.views import bp as scoring_bp
from riskapp.vendors.cli import vendors_cli
from riskapp.vendors.views import bp as vendors_bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from ``RISKAPP_*`` settings, with ``config`` overriding them."""
    config = config or {}
    instance_path = config.get("INSTANCE_PATH") or os.environ.get("RISKAPP_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path or None)
    configure_app(app, config)
    trust_reverse_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    return app


def configure_app(app: Flask, overrides: Mapping[str, Any]) -> None:
    app.config.update(Settings().to_flask_config())
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config.get("DATABASE_URL") or default_database_url(
        app.instance_path
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True,
                                                        "json_deserializer": read_json})
    app.config.update(
        SESSION_COOKIE_NAME="riskapp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config["SECURE_COOKIES"]),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["SESSION_MAX_HOURS"]),
        MAX_CONTENT_LENGTH=app.config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which expires
    )


def trust_reverse_proxies(app: Flask) -> None:
    """Behind a reverse proxy, take the client's address and scheme from the proxy's headers.

    Otherwise every request seems to come from the proxy: one address for the whole
    hospital, which the per-address sign-in limit would lock out, and no HTTPS.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    # Access policies run before CSRF, so an anonymous POST is sent to sign in.
    access.init_access(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    auth_session.init_auth_session(app)
    security_headers.init_security_headers(app)
    nul_characters.init_nul_character_check(app)
    init_scan_queue(app)
    init_scoring(app)


def register_blueprints(app: Flask) -> None:
    for blueprint in (auth_bp, users_bp, audit_bp, dashboard_bp, vendors_bp, questionnaires_bp,
                      assessments_bp, portal_bp, scans_bp, scoring_bp, reports_bp, agreements_bp,
                      reminders_bp):
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    for group in (db_cli, users_cli, audit_cli, vendors_cli, demo_cli, questionnaires_cli,
                  scans_cli, scores_cli, reports_cli, reminders_cli, backup_cli):
        app.cli.add_command(group)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return render_template("error.html", error=error, code=code), code

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, render_error)
