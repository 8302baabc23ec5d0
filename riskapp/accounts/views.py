"""Signing in and out, and the signed-in user's own account."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response

from riskapp import auth_session
from riskapp.access import public, signed_in
from riskapp.accounts import services as accounts
from riskapp.accounts import two_factor as second_factor
from riskapp.accounts.forms import ChangePasswordForm, ConfirmForm, LoginForm, TwoFactorCodeForm
from riskapp.accounts.models import User
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
        if outcome.user is not None and outcome.user.uses_two_factor:
            auth_session.await_second_factor(outcome.user)
            db.session.commit()
            return redirect(url_for(".second_factor_sign_in", next=request.args.get("next")))
        if outcome.user is not None:
            auth_session.sign_in(outcome.user)
            db.session.commit()
            return redirect(safe_next_url(request.args.get("next")))
        db.session.commit()  # keep the record of the failed attempt
        flash(outcome.error or "Sign-in failed.", "error")
    return render_template("accounts/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@public
def second_factor_sign_in() -> str | Response:
    """The second step of signing in, for accounts with two-factor sign-in on."""
    user = auth_session.user_owing_second_factor()
    if user is None:
        flash("Sign in with your email and password first.", "info")
        return redirect(url_for(".login", next=request.args.get("next")))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        outcome = accounts.finish_second_factor(
            user, form.code.data, ip=request.remote_addr, policy=auth_session.login_policy()
        )
        if outcome.user is not None:
            auth_session.sign_in(outcome.user)
            db.session.commit()
            if outcome.recovery_codes_left is not None:
                left = outcome.recovery_codes_left
                flash(f"You signed in with a recovery code; {left} left. If your phone is lost, "
                      "an administrator can reset your two-factor sign-in so you can set up "
                      "the new one.", "warning")
            return redirect(safe_next_url(request.args.get("next")))
        db.session.commit()  # keep the record of the failed attempt
        form.code.errors = [*form.code.errors, outcome.error or "Sign-in failed."]
    return render_template("accounts/second_factor.html", form=form)


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


@bp.get("/account/two-factor")
@signed_in
def two_factor() -> str:
    user = current_user._get_current_object()
    if user.uses_two_factor:
        return _two_factor_status(user)
    return _enrolment_page(user, TwoFactorCodeForm())


@bp.post("/account/two-factor")
@signed_in
def enable_two_factor() -> str | Response:
    user = current_user._get_current_object()
    form = TwoFactorCodeForm()
    if user.uses_two_factor:
        return redirect(url_for(".two_factor"))
    if form.validate_on_submit():
        try:
            codes = second_factor.enable(user, _enrolment(user).secret, form.code.data)
        except second_factor.TwoFactorError as error:
            form.code.errors = [*form.code.errors, str(error)]
        else:
            session.pop(ENROLMENT_KEY, None)
            db.session.commit()
            flash("Two-factor sign-in is on.", "success")
            return render_template("accounts/recovery_codes.html", codes=codes)
    return _enrolment_page(user, form), 400


@bp.post("/account/two-factor/recovery-codes")
@signed_in
def replace_recovery_codes() -> str | Response:
    user = current_user._get_current_object()
    form = TwoFactorCodeForm(prefix=NEW_CODES)
    if not user.uses_two_factor:
        return redirect(url_for(".two_factor"))
    if form.validate_on_submit():
        try:
            codes = accounts.replace_recovery_codes(
                user, form.code.data, ip=request.remote_addr, policy=auth_session.login_policy())
        except accounts.AccountError as error:
            db.session.commit()  # keep the record of the failed attempt
            form.code.errors = [*form.code.errors, str(error)]
        else:
            db.session.commit()
            return render_template("accounts/recovery_codes.html", codes=codes)
    return _two_factor_status(user, codes_form=form), 400


@bp.post("/account/two-factor/off")
@signed_in
def disable_two_factor() -> str | Response:
    user = current_user._get_current_object()
    form = TwoFactorCodeForm(prefix=TURN_OFF)
    if not user.uses_two_factor:
        return redirect(url_for(".two_factor"))
    if form.validate_on_submit():
        try:
            accounts.turn_off_two_factor(
                user, form.code.data, required=auth_session.two_factor_required(user),
                ip=request.remote_addr, policy=auth_session.login_policy())
        except accounts.AccountError as error:
            db.session.commit()  # keep the record of a failed attempt
            form.code.errors = [*form.code.errors, str(error)]
        else:
            db.session.commit()
            flash("Two-factor sign-in is off.", "success")
            return redirect(url_for(".two_factor"))
    return _two_factor_status(user, off_form=form), 400


ENROLMENT_KEY = "two_factor_enrolment"
# The status page has two code forms; prefixes keep their fields apart.
NEW_CODES, TURN_OFF = "new", "off"


def _enrolment(user: User) -> second_factor.Enrolment:
    """The secret this browser is enrolling, kept until its first code proves it."""
    enrolment = second_factor.new_enrolment(user, session.get(ENROLMENT_KEY))
    session[ENROLMENT_KEY] = enrolment.secret
    return enrolment


def _enrolment_page(user: User, form: TwoFactorCodeForm) -> str:
    return render_template(
        "accounts/two_factor_enrol.html", form=form, enrolment=_enrolment(user),
        required=auth_session.two_factor_required(user),
    )


def _two_factor_status(user: User, *, codes_form: TwoFactorCodeForm | None = None,
                       off_form: TwoFactorCodeForm | None = None) -> str:
    return render_template(
        "accounts/two_factor.html",
        codes_left=second_factor.recovery_codes_left(user),
        required=auth_session.two_factor_required(user),
        codes_form=codes_form or TwoFactorCodeForm(formdata=None, prefix=NEW_CODES),
        off_form=off_form or TwoFactorCodeForm(formdata=None, prefix=TURN_OFF),
    )


def safe_next_url(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else the dashboard (no open redirect)."""
    # Judge the URL as browsers read it: they drop tabs and newlines and take "\\" for "/",
    # so "/\t/evil.example" is "//evil.example", another host.
    seen = re.sub(r"[\t\n\r]", "", target or "").replace("\\", "/")
    if seen.startswith("/") and not seen.startswith("//"):
        return seen
    return url_for("dashboard.index")
