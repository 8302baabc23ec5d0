"""Password rules and argon2id hashing."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # long enough for any passphrase, short enough to hash cheaply
# zxcvbn's score 3: "safely unguessable" (10^8 guesses and more), even offline against a
# slow hash. Below it are the breached and common passwords zxcvbn ships, and what is close to
# them: words with digits appended, keyboard walks, repeats, dates, the user's own email.
MIN_STRENGTH = 3
STRENGTH_CHECKED_UP_TO = 72  # zxcvbn's own limit; a longer passphrase is long enough


def production_hasher() -> PasswordHasher:
    """Return the argon2id hasher riskapp uses: RFC 9106's low-memory profile (64 MiB, t=3)."""
    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


_hasher = production_hasher()


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Return a hash to verify against when the email is unknown, costing what a real one does."""
    return hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(_hasher), password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, email: str = "") -> str | None:
    """Return why ``password`` is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if email and password.strip().lower() == email.strip().lower():
        return "Do not use your email address as your password."
    return _guessable(password, email)


def _guessable(password: str, email: str) -> str | None:
    """Why ``password`` is too easy to guess, or None."""
    if len(password) > STRENGTH_CHECKED_UP_TO:
        return None
    own_words = [email, *email.replace("@", ".").split("."), "riskapp"] if email else ["riskapp"]
    strength = zxcvbn(password, user_inputs=own_words)
    if strength["score"] >= MIN_STRENGTH:
        return None
    warning = strength["feedback"]["warning"]
    why = f" ({warning.rstrip('.')})" if warning else ""
    return ("This password is too easy to guess: it is on, or close to, the lists of common "
            f"and breached passwords attackers try first{why}. A few unrelated words make a "
            "strong one.")


def generate_one_time_password() -> str:
    """Return a random password for a first sign-in; the user must replace it."""
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits
