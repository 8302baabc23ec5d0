"""Password hashing at production strength, and the password rules."""

from __future__ import annotations

from argon2 import extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from riskapp.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    generate_one_time_password,
    password_problem,
    production_hasher,
)


def test_production_hashes_use_argon2ids_rfc_9106_profile() -> None:
    parameters = extract_parameters(production_hasher().hash("a long enough passphrase"))
    assert parameters.type.name == "ID"
    assert parameters.memory_cost >= RFC_9106_LOW_MEMORY.memory_cost
    assert parameters.time_cost >= RFC_9106_LOW_MEMORY.time_cost


def test_a_password_shorter_than_the_minimum_is_refused() -> None:
    assert password_problem("x" * (MIN_PASSWORD_LENGTH - 1)) == (
        f"Use at least {MIN_PASSWORD_LENGTH} characters."
    )
    assert password_problem("x" * MIN_PASSWORD_LENGTH) is None


def test_one_time_passwords_are_long_and_never_repeat() -> None:
    generated = {generate_one_time_password() for _ in range(200)}
    assert len(generated) == 200
    assert min(len(password) for password in generated) >= 16
