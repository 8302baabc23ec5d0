"""Vendors saving answers at once through gunicorn: no error, nothing lost, nothing mixed up.

The short form of ``python -m bench.concurrency`` (50 vendors for 60 s), on each backend the
suite runs: SQLite, and PostgreSQL in CI.
"""

from __future__ import annotations

from pathlib import Path

from bench import concurrency

VENDORS, SECONDS = 12, 6.0


def test_vendors_saving_at_once_lose_nothing_and_mix_nothing_up(
        database_url: str, tmp_path: Path) -> None:
    outcome = concurrency.run(database_url, tmp_path, count=VENDORS, seconds=SECONDS)

    assert outcome.errors == []
    assert outcome.lost == []
    assert outcome.mixed == []
    assert outcome.saves >= VENDORS * 3  # every vendor saved, again and again
