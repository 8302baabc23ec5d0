"""Sign-in, password and user administration forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.fields import EmailField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from riskapp.access import Role
from riskapp.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class LoginForm(FlaskForm):
    email = EmailField("Email", [DataRequired(), Length(max=254)])
    password = PasswordField("Password", [DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", [DataRequired()])
    new_password = PasswordField(
        "New password",
        [DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words work well.",
    )
    confirm_password = PasswordField(
        "New password again", [DataRequired(), EqualTo("new_password", "The passwords differ.")]
    )


class UserCreateForm(FlaskForm):
    email = EmailField(
        "Email", [DataRequired(), Length(max=254), Email(check_deliverability=False)]
    )
    name = StringField("Name", [Optional(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.OFFICER.value)


class UserEditForm(FlaskForm):
    name = StringField("Name", [Optional(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES)


class ConfirmForm(FlaskForm):
    """A bare POST form: a button that carries only the CSRF token."""


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        "Code", [DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )
