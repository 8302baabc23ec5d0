"""What every benchmark reports, and how the run's table and JSON are written.

A :class:`Measure` is one figure: the samples behind it (seconds, or another unit), its
median and 95th percentile, an optional ratio to a baseline measured in the same run (since
absolute times drift between machines), the target it is held to, and whether it met it.
Benchmarks never fail the test suite: a missed target is a line in the table saying by how
much it was missed.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Measure:
    part: str  # "data", "pages", "scanning", "reports", "scoring"
    name: str
    unit: str  # "s", "ms", "MB", "req/s", "queries", ...
    samples: list[float]
    baseline: str = ""  # what the ratio divides by, e.g. "floor p95"
    baseline_value: float | None = None
    target: str = ""  # e.g. "p95 < 50 ms"
    met: bool | None = None  # None: no target
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.median / self.baseline_value

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(median=self.median, p95=self.p95, ratio=self.ratio)
        return data


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile: a value that was actually measured."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu, "cores": os.cpu_count(), "memory": memory,
            "os": platform.platform(), "python": platform.python_version(),
            "sqlite": _sqlite_version(), "postgresql": _command_version(["psql", "--version"]),
            "commit": _command_version(["git", "rev-parse", "--short", "HEAD"])}


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _command_version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10,
                              check=False).stdout.strip()
    except OSError:
        return ""


def _number(value: float | None, unit: str = "") -> str:
    if value is None or value != value:  # None or NaN
        return "—"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def markdown(measures: list[Measure], about: dict[str, Any]) -> str:
    lines = ["# riskapp benchmark results", "",
             f"Measured {about['when']} on {about['cpu'] or 'an unknown CPU'} "
             f"({about['cores']} cores, {about['memory']}), {about['os']}, Python "
             f"{about['python']}, SQLite {about['sqlite']}, {about['postgresql']}; "
             f"commit {about['commit']}.", ""]
    for part in dict.fromkeys(m.part for m in measures):
        lines += [f"## {part.capitalize()}", "",
                  "| measure | median | p95 | ratio | target | met | note |",
                  "|---|---|---|---|---|---|---|"]
        for m in (m for m in measures if m.part == part):
            ratio = f"{m.ratio:.2f}× {m.baseline}" if m.ratio is not None else "—"
            met = {True: "yes", False: "**no**", None: "—"}[m.met]
            lines.append(f"| {m.name} | {_number(m.median, m.unit)} | {_number(m.p95, m.unit)} "
                         f"| {ratio} | {m.target or '—'} | {met} | {m.note} |")
        lines.append("")
    return "\n".join(lines)


def write(measures: list[Measure], folder: Path, about: dict[str, Any] | None = None) -> None:
    """Write ``results.md`` and ``results.json`` into ``folder``."""
    about = about or machine()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.md").write_text(markdown(measures, about), encoding="utf-8")
    (folder / "results.json").write_text(json.dumps(
        {"machine": about, "measures": [m.to_json() for m in measures]}, indent=2,
        default=str), encoding="utf-8")
