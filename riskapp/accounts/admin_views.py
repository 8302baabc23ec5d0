"""User administration for admins."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers.response import Response

from riskapp.access import Permission, Role, requires
from riskapp.accounts import services as accounts
from riskapp.accounts.forms import ConfirmForm, UserCreateForm, UserEditForm
from riskapp.accounts.models import User
from riskapp.extensions import db

bp = Blueprint("users", __name__, url_prefix="/admin/users", template_folder="templates")


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/")
@requires(Permission.USERS_MANAGE)
def index() -> str:
    return render_template(
        "accounts/users.html", users=accounts.list_users(), form=UserCreateForm(),
        confirm=ConfirmForm(),
    )


@bp.post("/")
@requires(Permission.USERS_MANAGE)
def create() -> str | Response:
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user, password = accounts.create_user(
                form.email.data, Role(form.role.data), name=form.name.data or "",
                actor=current_user,
            )
        except accounts.AccountError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            db.session.commit()
            return render_template("accounts/password_shown.html", user=user, password=password)
    return render_template(
        "accounts/users.html", users=accounts.list_users(), form=form, confirm=ConfirmForm()
    ), 400


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.USERS_MANAGE)
def edit(user_id: int) -> str | Response:
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user, actor=current_user, name=form.name.data or "", role=Role(form.role.data)
            )
        except accounts.AccountError as error:
            form.role.errors = [*form.role.errors, str(error)]
        else:
            db.session.commit()
            flash(f"Saved {user.email}.", "success")
            return redirect(url_for(".index"))
    return render_template("accounts/user_edit.html", user=user, form=form, confirm=ConfirmForm())


@bp.post("/<int:user_id>/deactivate")
@requires(Permission.USERS_MANAGE)
def deactivate(user_id: int) -> Response:
    return _set_active(_user_or_404(user_id), active=False)


@bp.post("/<int:user_id>/reactivate")
@requires(Permission.USERS_MANAGE)
def reactivate(user_id: int) -> Response:
    return _set_active(_user_or_404(user_id), active=True)


def _set_active(user: User, *, active: bool) -> Response:
    try:
        accounts.set_active(user, active, actor=current_user)
    except accounts.AccountError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"{'Reactivated' if active else 'Deactivated'} {user.email}.", "success")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/reset-password")
@requires(Permission.USERS_MANAGE)
def reset_password(user_id: int) -> str:
    user = _user_or_404(user_id)
    password = accounts.reset_password(user, actor=current_user)
    db.session.commit()
    return render_template("accounts/password_shown.html", user=user, password=password)


@bp.post("/<int:user_id>/reset-two-factor")
@requires(Permission.USERS_MANAGE)
def reset_two_factor(user_id: int) -> Response:
    user = _user_or_404(user_id)
    try:
        accounts.reset_two_factor(user, actor=current_user)
    except accounts.AccountError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Reset the two-factor sign-in of {user.email}: they set it up again at their "
              "next sign-in.", "success")
    return redirect(url_for(".edit", user_id=user.id))
