"""Two-factor sign-in: a TOTP authenticator app (RFC 6238), with one-time recovery codes.

A code proves the second factor once: the time step it belongs to is stored, and no code of
that step or an earlier one is accepted again, so a code seen over a shoulder or in a proxy log
cannot sign anyone in. Recovery codes are random, shown once, and kept only as hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

import pyotp
import segno
from sqlalchemy import func, or_, select, update

from riskapp.accounts.models import RecoveryCode, User
from riskapp.audit import services as audit
from riskapp.database import db, utcnow

ISSUER = "riskapp"
STEP_SECONDS = 30
# A code from the step before or after now is accepted too: phone clocks drift, people type slowly.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Letters and digits no one misreads (no i, l, o, 0, 1); ten of them make about 50 bits, far
# beyond guessing under the sign-in lockout.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_TOTP_CODE = re.compile(r"\d{6}")


class TwoFactorError(ValueError):
    """A two-factor request the rules refuse; the message is for the user."""


@dataclass(frozen=True)
class Enrolment:
    """A new secret waiting for its first code, with what the user scans or types."""

    secret: str
    uri: str
    qr_svg: str  # an inline SVG of ``uri``; it holds no user-supplied markup

    @property
    def secret_for_typing(self) -> str:
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def new_enrolment(user: User, secret: str | None = None) -> Enrolment:
    """Return the secret (new unless given), its otpauth URI and a QR code of it."""
    secret = secret or pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, title="Two-factor QR code")
    return Enrolment(secret, uri, qr_svg)


def matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """Return the time step ``code`` is valid for, if it is later than ``after``; else None."""
    code = _digits(code)
    if not _TOTP_CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(time.time() // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor sign-in on once ``code`` proves the app holds ``secret``.

    Returns the new recovery codes, to be shown once.
    """
    if user.uses_two_factor:
        raise TwoFactorError("Two-factor sign-in is already on.")
    step = matching_step(secret, code, after=None)
    if step is None:
        raise TwoFactorError("That code is not right. Check the phone's clock and enter the code "
                             "the app shows now.")
    user.totp_secret = secret
    user.totp_last_step = step
    user.two_factor_since = utcnow()
    codes = _replace_recovery_codes(user)
    audit.record("user.two_factor_enabled", actor=user, target=_target(user),
                 summary="Turned on two-factor sign-in")
    return codes


class Proof(StrEnum):
    """How a user proved the second factor."""

    APP = "app"
    RECOVERY_CODE = "recovery code"


def check_code(user: User, code: str) -> Proof | None:
    """Spend ``code`` (from the app, or a recovery code) as ``user``'s second factor; return
    how it proved it, or None if it is wrong or already used."""
    if not user.uses_two_factor:
        return None
    step = matching_step(user.totp_secret or "", code, after=user.totp_last_step)
    if step is not None and _claim_step(user, step):
        return Proof.APP
    if _spend_recovery_code(user, code):
        return Proof.RECOVERY_CODE
    return None


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0


def new_recovery_codes(user: User) -> list[str]:
    """Replace ``user``'s recovery codes (the caller has checked a current code)."""
    codes = _replace_recovery_codes(user)
    audit.record("user.recovery_codes_replaced", actor=user, target=_target(user),
                 summary="Made new recovery codes; the old ones no longer work")
    return codes


def disable(user: User) -> None:
    """Turn two-factor sign-in off (the caller has checked the role and a current code)."""
    _clear(user)
    audit.record("user.two_factor_disabled", actor=user, target=_target(user),
                 summary="Turned off two-factor sign-in")


def reset(user: User, *, actor: User | None) -> None:
    """Remove ``user``'s second factor (a lost phone); they enrol again at next sign-in."""
    _clear(user)
    audit.record("user.two_factor_reset", actor=actor, target=_target(user),
                 summary=f"Reset the two-factor sign-in of {user.email}")


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    user.two_factor_since = None
    user.recovery_codes.clear()


def _claim_step(user: User, step: int) -> bool:
    # One conditional update, so two requests racing with the same code cannot both win.
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        user.totp_last_step = step
    return bool(claimed)


def _spend_recovery_code(user: User, code: str) -> bool:
    spent = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id,
               RecoveryCode.code_hash == _recovery_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(spent)


def _replace_recovery_codes(user: User) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_codes.clear()
    db.session.flush()
    user.recovery_codes.extend(RecoveryCode(code_hash=_recovery_hash(code)) for code in codes)
    db.session.flush()
    return codes


def _new_recovery_code() -> str:
    letters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{letters[:5]}-{letters[5:]}"


def _recovery_hash(code: str) -> str:
    # The codes are random, about 50 bits each, so a fast hash keeps them safe at rest.
    normalised = re.sub(r"[\s-]", "", code).lower()
    return hashlib.sha256(normalised.encode()).hexdigest()


def _digits(code: str) -> str:
    return re.sub(r"\s", "", code)


def _target(user: User) -> audit.AuditTarget:
    return audit.AuditTarget("user", str(user.id), user.email)
