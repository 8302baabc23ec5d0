"""Reports and scoring on the generated data: how long a report takes, and a rescore.

    python -m bench.reports_scoring --database-url URL [--instance PATH] [--vendor ID]

Reports: the vendor due-diligence PDF (:func:`riskapp.reports.services.vendor_report`, then
:func:`riskapp.reports.vendor_report.vendor_pdf`) and the portfolio PDF of 1,000 working
vendors, each timed over several runs after a warm-up, in a fresh session per run as a
request has. Ratios divide by the floor of the PDF toolchain: one page through the same
:func:`riskapp.reports.pdf.render`. Peak memory is tracemalloc's peak of Python allocations
during one more run (C allocations, reportlab's and SQLite's, are not counted).

Scoring: every assessment scored again from its answers with the questionnaire engine (the
answers streamed in one query, each definition parsed once) and the completed ones' scores
written back; and the vendors rated again as ``flask scores rescore`` does, timed on a
random 500 and scaled up (all 10,000 take minutes). Nothing is committed: writes are rolled
back, so the database stays as generated.
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import operator
import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select, update

from bench.results import Measure, machine, markdown
from riskapp import create_app
from riskapp.assessments.models import AnswerRecord, Assessment, AssessmentQuestionnaire, Status
from riskapp.database import db, utcnow
from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.models import QuestionnaireVersion
from riskapp.questionnaires.scoring import score
from riskapp.questionnaires.services import snapshot
from riskapp.reports import pdf
from riskapp.reports.portfolio import portfolio
from riskapp.reports.portfolio_report import portfolio_pdf
from riskapp.reports.services import vendor_report
from riskapp.reports.vendor_report import vendor_pdf
from riskapp.scoring import services as scoring
from riskapp.vendors.models import Vendor

RUNS = 5  # timed runs of each report, after one warm-up
SCORING_RUNS = 1  # timed rescores of every assessment: one takes most of a minute
PORTFOLIO_VENDORS = 1_000
VENDOR_SAMPLE = 500  # vendors rated for the rescore's estimate: all 10,000 take minutes
SEED = 7
STREAM_ROWS = 5_000  # answer rows fetched at a time


class Target(Protocol):
    """What the benchmark needs of the generated data (:class:`bench.generate.Generated`)."""

    @property
    def database_url(self) -> str: ...

    @property
    def report_vendor_id(self) -> int: ...


@dataclass(frozen=True)
class Database:
    """A database given on the command line."""

    database_url: str
    report_vendor_id: int


def run(out: list[Measure], generated: Target, *, instance: Path | None = None,
        runs: int = RUNS, scoring_runs: int = SCORING_RUNS) -> None:
    """Append the reports' and the rescore's measures to ``out``."""
    vendor_id = generated.report_vendor_id
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as scratch:
        app = create_app({"DATABASE_URL": generated.database_url,
                          "INSTANCE_PATH": str(instance or Path(scratch) / "instance"),
                          "SECRET_KEY": "bench-reports-not-a-secret"})
        try:
            floor = _times(lambda: _floor_pdf(app), runs * 2)
            out.append(floor.measure("reports", "PDF floor: one page", note=(
                "one paragraph through the reports' own render(): fonts embedded, page "
                "header; what every ratio in this part divides by.")))
            out += _vendor_report_measures(app, vendor_id, runs, floor.median,
                                           getattr(generated, "report_values", 0))
            out += _portfolio_measures(app, runs, floor.median)
            out += _scoring_measures(app, scoring_runs)
        finally:
            with app.app_context():
                db.engine.dispose()


# --- timing --------------------------------------------------------------------------------


@dataclass
class Timed:
    """Wall-clock seconds of each run, the figure reported, and the process's CPU seconds,
    which other processes on the machine sway less; ``result`` is the warm-up's."""

    wall: list[float]
    cpu: list[float]
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def measure(self, part: str, name: str, *, target: float | None = None,
                baseline: str = "", baseline_value: float | None = None, note: str = "",
                extra: dict[str, Any] | None = None) -> Measure:
        cpu = statistics.median(self.cpu)
        return Measure(
            part, name, "s", self.wall, baseline=baseline, baseline_value=baseline_value,
            target=f"median < {target:g} s" if target is not None else "",
            met=self.median < target if target is not None else None,
            note=note + _contention(cpu),
            extra={"cpu_s": self.cpu, "load_average": os.getloadavg()[0], **(extra or {})})


def _times(work: Callable[[], object], runs: int, *, warm_up: bool = True) -> Timed:
    timed = Timed([], [], work() if warm_up else None)
    gc.collect()  # once: a full collection costs a good part of a second with fonts loaded
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        timed.cpu.append(time.process_time() - cpu)
        timed.wall.append(time.perf_counter() - wall)
    return timed


def _contention(cpu: float) -> str:
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load <= cores:
        return ""
    return (f" Load average {load:.1f} on {cores} cores: other processes competed "
            f"(CPU time median {cpu:.3g} s).")


def _peak_mb(work: Callable[[], object]) -> float:
    """tracemalloc's peak of Python allocations while ``work`` runs, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1e6


def _memory(name: str, peak: float) -> Measure:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return Measure("reports", f"{name}: peak memory", "MB", [peak], note=(
        f"tracemalloc's peak of Python allocations during one more run (C allocations, "
        f"reportlab's and SQLite's, not counted); this process's peak RSS so far {rss:,.0f} MB"))


# --- reports -------------------------------------------------------------------------------


def _floor_pdf(app: Flask) -> bytes:
    with app.app_context():
        return pdf.render([pdf.para("The floor of the PDF toolchain.")], title="Floor",
                          subject="Floor", generated=utcnow())


def _vendor_pdf(app: Flask, vendor_id: int) -> bytes:
    """What GET /vendors/<id>/report.pdf does, in a request's own session."""
    with app.app_context():
        vendor = db.session.get(Vendor, vendor_id)
        if vendor is None:
            raise LookupError(f"no vendor has id {vendor_id}")
        return vendor_pdf(vendor_report(vendor))


def _vendor_report_measures(app: Flask, vendor_id: int, runs: int, floor: float,
                            values: int) -> list[Measure]:
    timed = _times(lambda: _vendor_pdf(app, vendor_id), runs)
    peak = _peak_mb(lambda: _vendor_pdf(app, vendor_id))
    content: bytes = timed.result
    with app.app_context():
        started = time.perf_counter()
        report = vendor_report(db.session.get(Vendor, vendor_id))
        gathered = time.perf_counter() - started
        answers = sum(len(s.answers) for q in report.questionnaires for s in q.sections)
        findings = len(report.findings)
    rows = f", {values} with group rows" if values else ""
    name = f"vendor report PDF ({answers} answers{rows}, {findings} findings)"
    return [timed.measure(
        "reports", name, target=1.0, baseline="PDF floor", baseline_value=floor,
        note=(f"{_pages(content)} pages, {len(content) / 1e3:,.0f} kB; gathering the data "
              f"takes {gathered:.2g} s of it, reportlab's layout the rest."),
        extra={"vendor_id": vendor_id, "answers": answers, "values": values,
               "findings": findings, "pages": _pages(content), "bytes": len(content),
               "gather_s": gathered}),
        _memory("vendor report PDF", peak)]


def _pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def _portfolio_pdf() -> bytes:
    db.session.expunge_all()  # as a new request's session: nothing already loaded
    return portfolio_pdf(portfolio())


@dataclass(frozen=True)
class _Archived:
    working: int
    kept: int


def _archive_all_but(count: int) -> _Archived:
    """Archive every working vendor but ``count`` picked at random, in the open transaction."""
    working = list(db.session.scalars(select(Vendor.id).where(Vendor.archived_at.is_(None))))
    keep = sorted(random.Random(SEED).sample(working, min(count, len(working))))
    db.session.execute(update(Vendor).where(Vendor.archived_at.is_(None),
                                            Vendor.id.not_in(keep))
                       .values(archived_at=utcnow())
                       .execution_options(synchronize_session=False))
    return _Archived(len(working), len(keep))


def _portfolio_measures(app: Flask, runs: int, floor: float) -> list[Measure]:
    with app.app_context():
        try:
            archived = _archive_all_but(PORTFOLIO_VENDORS)
            timed = _times(_portfolio_pdf, runs)
            peak = _peak_mb(_portfolio_pdf)
        finally:
            db.session.rollback()
    kept = (f"{archived.kept:,} of the {archived.working:,} working vendors kept, the rest "
            "archived in a transaction rolled back after: their scores, assessments and "
            "deadlines stay in the tables the report's queries read. "
            if archived.kept < archived.working else "")
    content: bytes = timed.result
    return [timed.measure(
        "reports", f"portfolio report PDF ({archived.kept:,} vendors)", target=10.0,
        baseline="PDF floor", baseline_value=floor,
        note=f"{kept}{_pages(content)} pages, {len(content) / 1e3:,.0f} kB.",
        extra={"working_vendors": archived.working, "kept": archived.kept,
               "pages": _pages(content), "bytes": len(content)}),
        _memory("portfolio report PDF", peak)]


# --- scoring -------------------------------------------------------------------------------


@dataclass
class _Rescored:
    assessments: int = 0
    answers: int = 0
    completed: int = 0
    agreeing: int = 0  # completed assessments whose stored score the rescore reproduced
    scoring: float = 0.0  # seconds in the questionnaire engine, the rest reading and writing


def _scoring_measures(app: Flask, runs: int) -> list[Measure]:
    with app.app_context():
        # Just written by the generator and read by the pages: the file is in the page cache.
        read = _times(_read_answers, 1, warm_up=False)
        results: list[_Rescored] = []
        rescore = _times(lambda: results.append(_in_rollback(_rescore_assessments)), runs,
                         warm_up=False)
        vendors = _rate_vendors()
    done = results[-1]
    return [
        read.measure("scoring", "read every answer (one query, decoded)",
                     note=f"{done.answers:,} answers: the floor the rescore's ratio divides by."),
        rescore.measure(
            "scoring", f"rescore all {done.assessments:,} assessments", target=10.0,
            baseline="reading the answers", baseline_value=read.median,
            note=(f"{done.answers:,} answers streamed in one query, each definition parsed "
                  f"once, scored with the questionnaire engine; the {done.completed:,} "
                  f"completed written back (rolled back), {done.agreeing:,} of them equal to "
                  f"their stored score. {done.scoring:.3g} s of it in "
                  f"questionnaires.scoring.score()."),
            extra={"assessments": done.assessments, "answers": done.answers,
                   "completed": done.completed, "agreeing": done.agreeing,
                   "engine_s": done.scoring}),
        vendors,
    ]


def _in_rollback(work: Callable[[], Any]) -> Any:
    db.session.expunge_all()
    try:
        return work()
    finally:
        db.session.rollback()


def _answer_rows() -> Iterator[Any]:
    """Every answer, by assessment, streamed through Core in the session's transaction (the
    ORM's own streaming of these columns costs four times as much for nothing it adds)."""
    connection = db.session.connection().execution_options(yield_per=STREAM_ROWS)
    return iter(connection.execute(
        select(AnswerRecord.assessment_id, AnswerRecord.questionnaire_version_id,
               AnswerRecord.question_id, AnswerRecord.data)
        .order_by(AnswerRecord.assessment_id)))


def _read_answers() -> int:
    count = sum(1 for _ in _answer_rows())
    db.session.rollback()
    return count


def _rescore_assessments() -> _Rescored:
    """Score every assessment from its saved answers as completing it does (the mean over its
    questionnaires, the first floor, the highest intake risk), and write the completed
    ones' scores back."""
    definitions = {row.id: snapshot(row)
                   for row in db.session.scalars(select(QuestionnaireVersion))}
    entries: dict[int, list[int]] = {}
    for assessment_id, version_id in db.session.execute(
            select(AssessmentQuestionnaire.assessment_id,
                   AssessmentQuestionnaire.questionnaire_version_id)
            .order_by(AssessmentQuestionnaire.assessment_id, AssessmentQuestionnaire.position)):
        entries.setdefault(assessment_id, []).append(version_id)
    stored = dict(db.session.execute(select(Assessment.id, Assessment.score).where(
        Assessment.status == Status.COMPLETED.value)).all())
    done, updates = _Rescored(), []

    def rescore(assessment_id: int, given: dict[int, dict[str, Answer]]) -> None:
        started = time.perf_counter()
        versions = entries.pop(assessment_id, [])
        parts = [score(definitions[v], given.get(v, {})) for v in versions]
        floors = [p.floor for p in parts if p.floor]
        inherent = [p.inherent for p in parts if p.inherent is not None]
        done.scoring += time.perf_counter() - started
        done.assessments += 1
        if assessment_id in stored:
            updates.append({"id": assessment_id, "score": round(
                sum(p.score for p in parts) / len(parts), 2) if parts else None,
                "score_floor": floors[0] if floors else None,
                "inherent_risk": max(inherent) if inherent else None})

    answer = Answer.from_json
    for assessment_id, rows in itertools.groupby(_answer_rows(), key=operator.itemgetter(0)):
        given: dict[int, dict[str, Answer]] = {}
        for _, version_id, question_id, data in rows:
            given.setdefault(version_id, {})[question_id] = answer(data)
        done.answers += sum(map(len, given.values()))
        rescore(assessment_id, given)
    for assessment_id in list(entries):  # no answer saved yet: nothing answered, no risk
        rescore(assessment_id, {})
    done.completed = len(updates)
    done.agreeing = sum(1 for u in updates if stored[u["id"]] == u["score"])
    if updates:
        db.session.execute(update(Assessment), updates)
        db.session.flush()
    return done


def _rate_vendors() -> Measure:
    """Time what ``flask scores rescore`` does, on a random sample of the working vendors
    when there are more than :data:`VENDOR_SAMPLE`, and scale it up to all of them."""
    working = list(db.session.scalars(select(Vendor.id).where(Vendor.archived_at.is_(None))))
    sample = sorted(random.Random(SEED).sample(working, min(VENDOR_SAMPLE, len(working))))

    def rescore() -> int:
        vendors = db.session.scalars(select(Vendor).where(Vendor.id.in_(sample))
                                     .order_by(Vendor.id)).all()
        return len(scoring.rescore(vendors, actor=None, reason="rescored from the command line"))

    rated: list[int] = []
    timed = _times(lambda: rated.append(_in_rollback(rescore)), 1, warm_up=False)
    scale = len(working) / max(len(sample), 1)
    measured = timed.wall[0]
    estimated = Timed([seconds * scale for seconds in timed.wall],
                      [seconds * scale for seconds in timed.cpu])
    each = 1000 * measured / max(rated[-1], 1)
    how = (f"timed on {len(sample):,} working vendors picked at random ({measured:.3g} s), "
           f"times {scale:.3g}: " if len(sample) < len(working) else "")
    return estimated.measure(
        "scoring", f"rate all {len(working):,} working vendors (flask scores rescore)",
        note=(f"{how}scoring.rescore() as the command calls it, {each:.1f} ms a vendor, "
              f"flushed and rolled back, not committed. Not a target of the issue: about "
              f"2 ms of each vendor is writing its rating and audit event."),
        extra={"working_vendors": len(working), "sample": len(sample),
               "sample_seconds": measured, "ms_per_vendor": each})


# --- the command line ----------------------------------------------------------------------


def report_vendor() -> int:
    """The vendor of the completed assessment with the most answers."""
    answered = (select(AnswerRecord.assessment_id, func.count().label("answers"))
                .group_by(AnswerRecord.assessment_id).subquery())
    vendor_id = db.session.scalar(
        select(Assessment.vendor_id).join(answered, answered.c.assessment_id == Assessment.id)
        .where(Assessment.status == Status.COMPLETED.value)
        .order_by(answered.c.answers.desc()).limit(1))
    if vendor_id is None:
        raise SystemExit("no vendor has a completed assessment with answers")
    return vendor_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", type=Path, help="instance folder (default: a temporary one)")
    parser.add_argument("--vendor", type=int, help="the vendor report's vendor (default: "
                                                   "the one with the most answers)")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs of each report")
    parser.add_argument("--scoring-runs", type=int, default=SCORING_RUNS,
                        help="timed rescores of every assessment")
    args = parser.parse_args(argv)
    vendor_id = args.vendor
    if vendor_id is None:
        with tempfile.TemporaryDirectory(prefix="bench-reports-") as scratch:
            app = create_app({"DATABASE_URL": args.database_url, "INSTANCE_PATH": scratch,
                              "SECRET_KEY": "bench-reports-not-a-secret"})
            with app.app_context():
                vendor_id = report_vendor()
                db.engine.dispose()
    measures: list[Measure] = []
    run(measures, Database(args.database_url, vendor_id), instance=args.instance,
        runs=args.runs, scoring_runs=args.scoring_runs)
    print(markdown(measures, machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
