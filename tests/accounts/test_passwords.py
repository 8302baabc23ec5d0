"""Password hashing at production strength, and the password rules."""

from __future__ import annotations

import pytest
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
    assert password_problem("plum kettle orbit"[:MIN_PASSWORD_LENGTH]) is None


@pytest.mark.parametrize("password", [
    "qwerty123456",  # on the breached-password lists as it is
    "password1234",  # a common word with digits appended
    "Summer2026",  # too short anyway, and a season with a year
    "xxxxxxxxxxxx",  # one character repeated
    "1qaz2wsx3edc",  # a keyboard walk
    "officer.jones@hospital.example",  # the user's own email
], ids=["breached", "word and digits", "season and year", "repeat", "keyboard walk",
        "own email"])
def test_common_breached_and_near_common_passwords_are_refused(password: str) -> None:
    problem = password_problem(password, email="officer.jones@hospital.example")

    assert problem is not None


def test_the_refusal_says_why_and_how_to_do_better() -> None:
    problem = password_problem("password1234") or ""

    assert "too easy to guess" in problem
    assert "common and breached passwords" in problem
    assert "unrelated words" in problem


@pytest.mark.parametrize("password", [
    "correct horse battery staple", "plum kettle orbit", "Tr0ub4dor&3xyz!", "zzzz7Kq!pL2#vB9@",
    "a very long passphrase " * 5,  # past zxcvbn's 72 characters: long enough as it is
])
def test_strong_passwords_and_passphrases_are_accepted(password: str) -> None:
    assert password_problem(password, email="officer.jones@hospital.example") is None


def test_one_time_passwords_are_long_and_never_repeat() -> None:
    generated = {generate_one_time_password() for _ in range(200)}
    assert len(generated) == 200
    assert min(len(password) for password in generated) >= 16
