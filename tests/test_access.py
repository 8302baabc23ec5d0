"""Every route declares who may use it, and answers no one else.

The table below is the product's access policy in one place. A new route must be added to
it, which makes its author decide who may use it; the walk then checks the app agrees.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from riskapp.access import Role, policy_of
from riskapp.accounts.models import User
from riskapp.vendors.models import Vendor

ANONYMOUS = "anonymous"
EVERYONE = frozenset({ANONYMOUS, *Role})
SIGNED_IN = frozenset(Role)
EDITORS = frozenset({Role.ADMIN, Role.OFFICER})
ADMINS = frozenset({Role.ADMIN})

LINK_HOLDERS: frozenset[str] = frozenset()  # only a browser that opened a share link

WHO_MAY = {
    "static": EVERYONE,
    "auth.login": EVERYONE,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.second_factor_sign_in": EVERYONE,
    "auth.two_factor": SIGNED_IN,
    "auth.enable_two_factor": SIGNED_IN,
    "auth.replace_recovery_codes": SIGNED_IN,
    "auth.disable_two_factor": SIGNED_IN,
    "dashboard.index": SIGNED_IN,
    "vendors.index": SIGNED_IN,
    "vendors.detail": SIGNED_IN,
    "vendors.export_csv": SIGNED_IN,
    "vendors.create": EDITORS,
    "vendors.edit": EDITORS,
    "vendors.archive": EDITORS,
    "vendors.restore": EDITORS,
    "vendors.import_csv": EDITORS,
    "vendors.confirm_import": EDITORS,
    "scoring.rescore": EDITORS,
    "reports.vendor_report_pdf": SIGNED_IN,
    "reports.vendor_report": SIGNED_IN,
    "reports.portfolio_pdf": SIGNED_IN,
    "reports.portfolio_csv": SIGNED_IN,
    "reports.portfolio_xlsx": SIGNED_IN,
    "reports.portfolio_page": SIGNED_IN,
    "users.index": ADMINS,
    "users.create": ADMINS,
    "users.edit": ADMINS,
    "users.deactivate": ADMINS,
    "users.reactivate": ADMINS,
    "users.reset_password": ADMINS,
    "users.reset_two_factor": ADMINS,
    "audit.index": ADMINS,
    "audit.export_csv": ADMINS,
    "questionnaires.index": SIGNED_IN,
    "questionnaires.detail": SIGNED_IN,
    "questionnaires.preview": SIGNED_IN,
    "assessments.index": SIGNED_IN,
    "assessments.detail": SIGNED_IN,
    "assessments.start": EDITORS,
    "assessments.reissue_link": EDITORS,
    "assessments.revoke": EDITORS,
    "assessments.review": EDITORS,
    "assessments.complete": EDITORS,
    "assessments.cancel": EDITORS,
    "assessments.clarify": EDITORS,
    "assessments.reopen": EDITORS,
    # The vendor portal has no accounts: the share link is the key, and without a portal
    # session no one, staff included, gets in (tests/assessments/test_portal.py).
    "portal.enter": EVERYONE,
    "portal.overview": LINK_HOLDERS,
    "portal.section": LINK_HOLDERS,
    "portal.review": LINK_HOLDERS,
    "portal.file": LINK_HOLDERS,
    "assessments.file": SIGNED_IN,
    "scans.start": EDITORS,
    "scans.detail": SIGNED_IN,
    "scans.compare": SIGNED_IN,
    "scans.accept": EDITORS,
    "scans.withdraw": EDITORS,
    "agreements.detail": SIGNED_IN,
    "agreements.edit": EDITORS,
    "agreements.upload": EDITORS,
    "agreements.download": SIGNED_IN,
    "agreements.confirm_clauses": EDITORS,
    "agreements.decide": EDITORS,
    "reminders.index": SIGNED_IN,
    "reminders.create_feed": SIGNED_IN,
    "reminders.revoke_feed": SIGNED_IN,
    # The feed's secret URL is its key: calendar apps cannot sign in
    # (tests/reminders/test_calendar_feed.py).
    "reminders.feed": EVERYONE,
}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, rule) for every route, HEAD and OPTIONS aside."""
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def concrete_url(rule: str, vendor: Vendor, user: User) -> str:
    return (
        rule.replace("<int:vendor_id>", str(vendor.id))
        .replace("<int:user_id>", str(user.id))
        .replace("<path:filename>", "css/app.css")
        .replace("<questionnaire_id>", "email-vendor")
        .replace("<int:assessment_id>", "1")
        .replace("<int:file_id>", "1")
        .replace("<token>", "not-a-token")
        .replace("<int:part>", "0")
        .replace("<section_id>", "baa")
        .replace("<int:scan_id>", "1")
        .replace("<int:finding_id>", "1")
        .replace("<int:acceptance_id>", "1")
        .replace("<int:document_id>", "1")
    )


def test_every_route_declares_an_access_policy(app: Flask) -> None:
    undeclared = [endpoint for endpoint, _, _ in routes(app) if policy_of(endpoint) is None]
    assert undeclared == []


# Open to everyone, but with no password given first they send the browser back to sign in.
LATER_SIGN_IN_STEPS = frozenset({"auth.second_factor_sign_in"})


def test_every_route_is_in_the_access_table(app: Flask) -> None:
    missing = sorted({endpoint for endpoint, _, _ in routes(app)} - WHO_MAY.keys())
    assert missing == [], "decide who may use these routes and add them to WHO_MAY"


@pytest.mark.parametrize("who", [ANONYMOUS, *Role])
def test_each_route_answers_exactly_the_roles_allowed(
    app: Flask,
    who: str,
    login_as: Callable[..., FlaskClient],
    make_user: Callable[..., User],
    make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor("Acme Hosting")
    target = make_user(Role.OFFICER)
    wrong = []
    client = app.test_client() if who == ANONYMOUS else login_as(who)
    for endpoint, method, rule in routes(app):
        response = client.open(concrete_url(rule, vendor, target), method=method)
        response.close()
        sent_to_login = (
            response.status_code == 302 and "/login" in response.headers.get("Location", "")
        )
        refused = response.status_code == 403 or (
            who == ANONYMOUS and sent_to_login and endpoint not in LATER_SIGN_IN_STEPS
        )
        allowed = who in WHO_MAY.get(endpoint, frozenset())
        if allowed == refused:
            wrong.append(f"{method} {rule} -> {response.status_code} for {who}")
        if endpoint == "auth.logout" and who != ANONYMOUS:
            client = login_as(who)
    assert wrong == []


def test_a_route_without_a_policy_is_refused(app: Flask, login_as) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    client = login_as(Role.ADMIN)
    assert client.get("/forgotten").status_code == 403
