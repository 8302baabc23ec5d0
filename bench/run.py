"""``make bench``: every benchmark in one run, written to ``bench/results/``.

    python -m bench.run [--only data,pages,scanning,reports] [--scale 1.0] [--no-postgres]

The data is generated once (SQLite, and PostgreSQL when it answers) and the pages, reports
and scoring parts measure that SQLite database. Nothing here fails on speed: a missed target
is a row of the table saying by how much.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bench.results import Measure, machine, write

if TYPE_CHECKING:
    from bench.generate import Generated

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
RESULTS = HERE / "results"
PARTS = ("data", "pages", "scanning", "reports")
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run ({', '.join(PARTS)})")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the full data set (1.0: 10,000 vendors)")
    parser.add_argument("--no-postgres", action="store_true",
                        help="generate the data in SQLite only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    parts = {part.strip() for part in args.only.split(",") if part.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    measures: list[Measure] = []
    generated = None
    if parts & {"data", "pages", "reports"}:
        generated = _guarded(measures, "data", lambda: _data(measures, args))
    if "pages" in parts and generated is not None:
        _guarded(measures, "pages", lambda: _pages(measures, generated))
    if "scanning" in parts:
        _guarded(measures, "scanning", lambda: _scanning(measures))
    if "reports" in parts and generated is not None:
        _guarded(measures, "reports", lambda: _reports(measures, generated))
    measures.append(Measure("run", "whole run", "s", [time.perf_counter() - started],
                            target="< 15 min", met=time.perf_counter() - started < 900))
    write(measures, args.out, machine())
    print((args.out / "results.md").read_text(encoding="utf-8"))
    return 0


def _guarded(measures: list[Measure], part: str, work: Callable[[], object]) -> object:
    """Run one part; a part that breaks is a row saying so, and the others still run."""
    try:
        return work()
    except Exception as error:  # a part that broke is reported, not fatal
        traceback.print_exc()
        measures.append(Measure(part, f"{part} (did not finish)", "", [], met=False,
                                note=f"{type(error).__name__}: {error}"[:300]))
        return None


def _data(measures: list[Measure], args: argparse.Namespace) -> object:
    from bench.generate import Scale, generate

    scale = Scale.of(args.scale)
    sqlite_path = WORK / "riskapp.db"
    generated = generate(f"sqlite:///{sqlite_path}", scale, instance_path=WORK / "instance")
    _record_generation(measures, "SQLite", generated)
    if not args.no_postgres:
        try:
            on_postgres = generate(POSTGRES_URL, scale, instance_path=WORK / "instance-pg")
        except Exception as error:  # no PostgreSQL here is a note
            measures.append(Measure("data", "generate (PostgreSQL)", "s", [], note=(
                f"not measured: {type(error).__name__}: {error}")[:300]))
        else:
            _record_generation(measures, "PostgreSQL", on_postgres, against=generated)
    return generated


def _record_generation(measures: list[Measure], engine: str, generated: Generated, *,
                       against: Generated | None = None) -> None:
    """The generation's time and size; with ``against`` (SQLite's, the embedded default
    measured in the same run), as a ratio to its."""
    counts = generated.counts
    shown = ", ".join(f"{counts.get(name, 0):,} {name}" for name in
                      ("vendors", "assessments", "assessment_answers", "scan_findings",
                       "agreements", "reminder_deliveries", "audit_events"))
    baseline = "" if against is None else "SQLite"
    measures.append(Measure("data", f"generate ({engine})", "s", [generated.seconds],
                            baseline=baseline,
                            baseline_value=None if against is None else against.seconds,
                            note=shown, extra={"counts": counts}))
    measures.append(Measure("data", f"database size ({engine})", "MB",
                            [generated.database_bytes / 1e6], baseline=baseline,
                            baseline_value=None if against is None else
                            against.database_bytes / 1e6))


def _pages(measures: list[Measure], generated: object) -> None:
    from bench import pages

    pages.run(measures, generated)  # type: ignore[arg-type]


def _scanning(measures: list[Measure]) -> None:
    from bench import scanning

    scanning.run(measures)


def _reports(measures: list[Measure], generated: object) -> None:
    from bench import reports_scoring

    reports_scoring.run(measures, generated)  # type: ignore[arg-type]


if __name__ == "__main__":
    raise SystemExit(main())
