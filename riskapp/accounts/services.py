"""Accounts: creating users, signing in and out, and the rules around both."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update

from riskapp.access import Role
from riskapp.accounts import two_factor
from riskapp.accounts.models import LoginSession, User
from riskapp.accounts.passwords import (
    generate_one_time_password,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from riskapp.audit import services as audit
from riskapp.audit.models import AuditEvent
from riskapp.database import db, utcnow

LOGIN_FAILED = "auth.login_failed"
LOGIN_LOCKED = "auth.login_locked"
PASSWORD_RESET = "user.password_reset"  # noqa: S105 (an audit action name)
NOT_AN_EMAIL = "(not an email address)"
_LOOKS_LIKE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Failures from one address across all accounts before that address is refused too.
FAILURES_PER_ADDRESS_FACTOR = 4


class AccountError(ValueError):
    """A request about accounts that the rules refuse; the message is for the user."""


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout: timedelta
    idle_timeout: timedelta
    max_age: timedelta


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: str | None = None
    proof: two_factor.Proof | None = None  # how the second factor was given, if it was
    recovery_codes_left: int | None = None  # after signing in with a recovery code


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_target(user: User) -> audit.AuditTarget:
    return audit.AuditTarget("user", str(user.id), user.email)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, role: Role, *, actor: User | None, name: str = "") -> tuple[User, str]:
    """Create an account with a one-time password, returned for showing once."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(f"'{email}' is not an email address: {error}") from None
    if find_user_by_email(email) is not None:
        raise AccountError(f"An account for {email} already exists.")
    password = generate_one_time_password()
    user = User(
        email=email,
        name=name.strip(),
        role=Role(role).value,
        password_hash=hash_password(password),
        must_change_password=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        actor=actor,
        target=user_target(user),
        summary=f"Created {email} as {user.role}",
        changes={"role": user.role, "name": user.name},
    )
    return user, password


@dataclass(frozen=True)
class SignInAttempt:
    """What sign-in needs from the database, read before the (deliberately slow) hash check."""

    label: str  # the email as typed, or a placeholder if it was not an email address
    user_id: int | None
    password_hash: str | None
    locked: bool


def look_up_sign_in(email: str, *, ip: str | None, policy: LoginPolicy) -> SignInAttempt:
    """Read the account and lockout state for a sign-in attempt; write nothing.

    The caller ends this read before calling :func:`finish_sign_in`, so verifying the password
    never holds SQLite's write lock.
    """
    label = _attempt_label(email)
    user = find_user_by_email(label) if label != NOT_AN_EMAIL else None
    return SignInAttempt(
        label=label,
        user_id=user.id if user else None,
        password_hash=user.password_hash if user else None,
        locked=_locked_out(label, ip, user, policy),
    )


def finish_sign_in(attempt: SignInAttempt, password: str, *, policy: LoginPolicy) -> LoginOutcome:
    """Check the password of a looked-up attempt and record the outcome."""
    if attempt.locked:
        _record_lockout_once(attempt.label, policy)
        return _locked_outcome(policy)
    # Verify even for unknown emails so the answer takes as long either way.
    password_ok = verify_password(attempt.password_hash, password)
    user = db.session.get(User, attempt.user_id) if attempt.user_id else None
    if user is None or not password_ok or user.password_hash != attempt.password_hash:
        audit.record(LOGIN_FAILED, actor=None, actor_label=attempt.label,
                     target=user_target(user) if user else None,
                     summary="Wrong email or password")
        return LoginOutcome(None, "Wrong email or password.")
    if not user.is_active:
        audit.record(LOGIN_FAILED, actor=None, actor_label=attempt.label,
                     target=user_target(user), summary="Account is deactivated")
        return LoginOutcome(None, "This account is deactivated. Ask an administrator.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginOutcome(user)


def finish_second_factor(user: User, code: str, *, ip: str | None,
                         policy: LoginPolicy) -> LoginOutcome:
    """Check the code of a user who gave the right password, as the last step of signing in."""
    outcome = check_second_factor(user, code, ip=ip, policy=policy)
    if outcome.proof is not two_factor.Proof.RECOVERY_CODE:
        return outcome
    left = two_factor.recovery_codes_left(user)
    audit.record("auth.recovery_code_used", actor=user, target=user_target(user),
                 summary=f"Signed in with a recovery code; {left} left")
    return replace(outcome, recovery_codes_left=left)


def check_second_factor(user: User, code: str, *, ip: str | None,
                        policy: LoginPolicy) -> LoginOutcome:
    """Check ``user``'s code (from the app, or a recovery code); record a wrong one as a failed
    sign-in, for signing in and for the account changes a code guards alike.

    Wrong codes count towards the same lockout as wrong passwords, so a six-digit code cannot
    be guessed by trying them all, not even from a session left open.
    """
    if _locked_out(user.email, ip, user, policy):
        _record_lockout_once(user.email, policy)
        return _locked_outcome(policy)
    proof = two_factor.check_code(user, code)
    if proof is None:
        audit.record(LOGIN_FAILED, actor=None, actor_label=user.email, target=user_target(user),
                     summary="Wrong or already used two-factor code")
        return LoginOutcome(None, "That code is not right, or it was already used. Enter the "
                                  "code your app shows now, or a recovery code.")
    return LoginOutcome(user, proof=proof)


def _locked_outcome(policy: LoginPolicy) -> LoginOutcome:
    minutes = int(policy.lockout.total_seconds() // 60)
    return LoginOutcome(None, f"Too many failed sign-in attempts. Wait {minutes} minutes and "
                              "try again, or ask an administrator to reset your password.")


def _attempt_label(email: str) -> str:
    """Return the typed email for the log, unless it is not one: people type passwords there."""
    email = normalise_email(email)
    return email if _LOOKS_LIKE_EMAIL.fullmatch(email) else NOT_AN_EMAIL


def _record_lockout_once(label: str, policy: LoginPolicy) -> None:
    # Attempts while locked cost no password hash: log the lockout once a window, not each try.
    already = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == LOGIN_LOCKED,
            AuditEvent.actor_label == label,
            AuditEvent.occurred_at >= utcnow() - policy.lockout,
        ).limit(1)
    )
    if already is None:
        audit.record(LOGIN_LOCKED, actor=None, actor_label=label,
                     summary="Sign-in refused: too many failed attempts")


def _locked_out(label: str, ip: str | None, user: User | None, policy: LoginPolicy) -> bool:
    since = utcnow() - policy.lockout
    if user is not None:
        # A sign-in or an administrator's password reset starts the count afresh.
        for moment in (user.last_login_at, _last_password_reset(user)):
            if moment is not None:
                since = max(since, moment)
    failures = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == LOGIN_FAILED, AuditEvent.occurred_at >= since
    )
    if db.session.scalar(failures.where(AuditEvent.actor_label == label)) >= policy.max_failures:
        return True
    if ip is None:
        return False
    from_address = failures.where(AuditEvent.ip_address == ip)
    return db.session.scalar(from_address) >= policy.max_failures * FAILURES_PER_ADDRESS_FACTOR


def _last_password_reset(user: User) -> datetime | None:
    return db.session.scalar(
        select(func.max(AuditEvent.occurred_at)).where(
            AuditEvent.object_type == "user",
            AuditEvent.object_id == str(user.id),
            AuditEvent.action == PASSWORD_RESET,
        )
    )


def start_session(user: User, *, ip: str | None, user_agent: str | None) -> str:
    """Open a server-side session for ``user`` and return the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(
        user=user,
        token_hash=_token_hash(token),
        ip_address=ip,
        user_agent=(user_agent or "")[:300],
    ))
    user.last_login_at = utcnow()
    audit.record("auth.login", actor=user, target=user_target(user), summary="Signed in")
    return token


def end_session(user: User, token: str | None) -> None:
    if token:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _token_hash(token), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
    audit.record("auth.logout", actor=user, target=user_target(user), summary="Signed out")


def user_for_session(
    user_id: int, token: str | None, last_seen: datetime | None, policy: LoginPolicy
) -> User | None:
    """Return the signed-in user if the session is still open and neither idle nor too old."""
    if not token:
        return None
    now = utcnow()
    if last_seen is None or now - last_seen > policy.idle_timeout:
        return None
    login = db.session.scalar(
        select(LoginSession).where(LoginSession.token_hash == _token_hash(token))
    )
    if login is None or login.user_id != user_id or login.ended_at is not None:
        return None
    if now - login.created_at > policy.max_age or not login.user.is_active:
        return None
    return login.user


def _end_all_sessions(user: User, *, except_token: str | None = None) -> None:
    statement = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if except_token:
        statement = statement.where(LoginSession.token_hash != _token_hash(except_token))
    db.session.execute(statement.values(ended_at=utcnow()))


def change_password(user: User, current: str, new: str, *, keep_token: str | None) -> None:
    """Replace the user's password and sign them out everywhere but the session ``keep_token``.

    Whoever knew the old password may be signed in elsewhere; changing it must shut them out.
    """
    if not verify_password(user.password_hash, current):
        raise AccountError("Your current password is not right.")
    if verify_password(user.password_hash, new):
        raise AccountError("Choose a password different from the current one.")
    problem = password_problem(new, email=user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    _end_all_sessions(user, except_token=keep_token)
    audit.record("user.password_changed", actor=user, target=user_target(user),
                 summary="Changed own password")


def reset_password(user: User, *, actor: User | None) -> str:
    """Give ``user`` a new one-time password, end their sessions, and return the password."""
    password = generate_one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    _end_all_sessions(user)
    audit.record(PASSWORD_RESET, actor=actor, target=user_target(user),
                 summary=f"Reset the password of {user.email}")
    return password


TWO_FACTOR_REQUIRED = ("Your role must use two-factor sign-in, so it cannot be turned off. To "
                       "move to a new phone, ask an administrator to reset it.")


def replace_recovery_codes(user: User, code: str, *, ip: str | None,
                           policy: LoginPolicy) -> list[str]:
    """Give ``user`` new recovery codes, once a current code proves it is them."""
    _prove_second_factor(user, code, ip=ip, policy=policy)
    return two_factor.new_recovery_codes(user)


def turn_off_two_factor(user: User, code: str, *, required: bool, ip: str | None,
                        policy: LoginPolicy) -> None:
    """Turn ``user``'s second factor off at their request, proven by a current code."""
    if required:
        raise AccountError(TWO_FACTOR_REQUIRED)
    _prove_second_factor(user, code, ip=ip, policy=policy)
    two_factor.disable(user)


def _prove_second_factor(user: User, code: str, *, ip: str | None, policy: LoginPolicy) -> None:
    # A wrong code is recorded before this raises: the caller commits, to keep the record.
    outcome = check_second_factor(user, code, ip=ip, policy=policy)
    if outcome.user is None:
        raise AccountError(outcome.error or "That code is not right.")


def reset_two_factor(user: User, *, actor: User | None) -> None:
    """Remove the second factor of someone who lost their phone; they enrol again on sign-in."""
    if not user.uses_two_factor:
        raise AccountError(f"{user.email} does not use two-factor sign-in.")
    two_factor.reset(user, actor=actor)


def update_user(user: User, *, actor: User, name: str, role: Role) -> None:
    before = {"name": user.name, "role": user.role}
    if user.role == Role.ADMIN and role != Role.ADMIN:
        _refuse_if_last_admin(user, "change the role of")
    user.name = name.strip()
    user.role = Role(role).value
    changes = audit.diff(before, {"name": user.name, "role": user.role})
    if changes:
        audit.record("user.updated", actor=actor, target=user_target(user),
                     summary=f"Updated {user.email}", changes=changes)


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    if user.is_active == active:
        return
    if not active:
        if user.id == actor.id:
            raise AccountError("You cannot deactivate your own account.")
        if user.role == Role.ADMIN:
            _refuse_if_last_admin(user, "deactivate")
        _end_all_sessions(user)
    user.is_active = active
    audit.record(
        "user.activated" if active else "user.deactivated",
        actor=actor,
        target=user_target(user),
        summary=f"{'Reactivated' if active else 'Deactivated'} {user.email}",
        changes={"is_active": {"before": not active, "after": active}},
    )


def _refuse_if_last_admin(user: User, verb: str) -> None:
    # Lock the admins' rows: two admins demoting each other at once must not both succeed.
    other_admins = db.session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN.value, User.is_active.is_(True), User.id != user.id)
        .with_for_update()
    ).all()
    if not other_admins:
        raise AccountError(f"You cannot {verb} the last active administrator.")


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
