"""Signing in and out, and the signed-in user's own account."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response

from riskapp import auth_session
from riskapp.access import public, signed_in
from riskapp.accounts import services as accounts
from riskapp.accounts.forms import ChangePasswordForm, ConfirmForm, LoginForm
from riskapp.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        policy = auth_session.login_policy()
        attempt = accounts.look_up_sign_in(form.email.data, ip=request.remote_addr, policy=policy)
        # End the read before the password check, which is slow by design: on SQLite a
        # transaction here holds the write lock that every other request is waiting for.
        db.session.rollback()
        outcome = accounts.finish_sign_in(attempt, form.password.data, policy=policy)
        if outcome.user is not None:
            auth_session.sign_in(outcome.user)
            db.session.commit()
            return redirect(safe_next_url(request.args.get("next")))
        db.session.commit()  # keep the record of the failed attempt
        flash(outcome.error or "Sign-in failed.", "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout() -> Response:
    auth_session.sign_out()
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for(".login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user._get_current_object(),
                form.current_password.data, form.new_password.data,
                keep_token=session.get(auth_session.TOKEN_KEY),
            )
        except accounts.AccountError as error:
            form.new_password.errors = [*form.new_password.errors, str(error)]
        else:
            db.session.commit()
            flash("Your password is changed.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template(
        "accounts/change_password.html", form=form, logout_form=ConfirmForm()
    )


def safe_next_url(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the dashboard (no open redirect)."""
    # Judge the URL as browsers read it: they drop tabs and newlines and take "\\" for "/",
    # so "/\t/evil.example" is "//evil.example", another host.
    seen = re.sub(r"[\t\n\r]", "", target or "").replace("\\", "/")
    if seen.startswith("/") and not seen.startswith("//"):
        return seen
    return url_for("dashboard.index")
