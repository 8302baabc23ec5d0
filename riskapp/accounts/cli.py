"""``flask users``: manage accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from riskapp.access import Role
from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="The person's name, as pages show it.")
def create_command(email: str, role: str, name: str) -> None:
    """Create an account and print its one-time password."""
    try:
        user, password = accounts.create_user(email, Role(role), actor=None, name=name)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")
    click.echo(f"One-time password: {password}")
    click.echo("They must choose their own password at first sign-in.")


@users_cli.command("reset-password")
@click.argument("email")
def reset_password_command(email: str) -> None:
    """Give an account a new one-time password and sign it out everywhere."""
    user = _account(email)
    password = accounts.reset_password(user, actor=None)
    db.session.commit()
    click.echo(f"New one-time password for {user.email}: {password}")


@users_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor_command(email: str) -> None:
    """Remove an account's second factor (a lost phone); it enrols again at next sign-in."""
    user = _account(email)
    try:
        accounts.reset_two_factor(user, actor=None)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Two-factor sign-in of {user.email} is reset; they set it up again at next "
               "sign-in.")


def _account(email: str) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


@users_cli.command("list")
def list_command() -> None:
    """List accounts with their roles."""
    for user in accounts.list_users():
        state = "" if user.is_active else "  (deactivated)"
        click.echo(f"{user.email:40} {user.role:8}{state}")
