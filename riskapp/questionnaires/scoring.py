"""Score a set of answers: risk from 0 (every answer the one hoped for) to 100, explained.

Each shown, scored question gives a risk between 0 and 1: the chosen answer's points over 10
(risk points: 0 is the answer hoped for, 10 the worst any answer can be). A section's
risk is the weighted mean of its questions' risks, and the questionnaire's is the weighted
mean of its sections', times 100. Not-applicable answers follow the question's policy
(excluded, met or unmet); questions left unanswered are left out and listed. Every question's
share of the total is kept as a :class:`Contribution`, so the score can be explained point by
point, largest first; the shares add up to the score.

Intake sections describe the vendor rather than test it: their answers make the
``inherent`` risk (0-100) and never the score. Findings come from the chosen answers; a
critical finding sets ``floor`` to critical, whatever the score says: the scoring engine
above this one rates such a vendor critical until an officer accepts the risk.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass

from riskapp.questionnaires.answers import Answer, Answers, visibility
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.frozen import built
from riskapp.questionnaires.prepared import PreparedQuestion, PreparedQuestionnaire
from riskapp.questionnaires.question_types import SEVERITY_RANK, Finding, Risk


@dataclass(frozen=True)
class RaisedFinding:
    """A finding an answer raised; ``row`` names the group row it came from, if any."""

    question_id: str
    question: str
    answer: str
    finding: Finding
    citation: tuple[str, ...] = ()
    row: str = ""


@dataclass(frozen=True)
class Contribution:
    """One question's part in the score.

    :param risk: the answer's risk, 0 to 1 (its points over 10).
    :param share: the points of the 0-100 score this answer accounts for.
    """

    section_id: str
    question_id: str
    question: str
    answer: str
    risk: float
    share: float
    weight: float
    citation: tuple[str, ...] = ()
    not_applicable: str = ""  # the N/A policy applied ("met", "unmet"), if the answer was N/A


@dataclass(frozen=True)
class SectionScore:
    section_id: str
    title: str
    risk: float  # 0-100
    weight: float


@dataclass(frozen=True)
class Score:
    """The result; ``score`` and ``inherent`` are 0-100, higher is riskier."""

    score: float
    sections: tuple[SectionScore, ...]
    contributions: tuple[Contribution, ...]
    findings: tuple[RaisedFinding, ...]
    inherent: float | None
    unanswered: tuple[str, ...] = ()
    floor: str | None = None  # "critical" when a critical answer gates the rating

    @property
    def explained(self) -> tuple[Contribution, ...]:
        """The contributions that add risk, largest first."""
        return tuple(c for c in self.contributions if c.share > 0)


# One scored answer: the question, its risk (0-1), its weight, the answer in words and the
# not-applicable policy applied, if any. A section's tally is the list of them, in order.
_Scored = tuple[PreparedQuestion, float, float, str, str]
_Tally = list[_Scored]
_share = operator.attrgetter("share")


def _weight(tally: _Tally) -> float:
    return sum([weight for _, _, weight, _, _ in tally])


def _mean(tally: _Tally, weight: float) -> float:
    """The weighted mean risk, given the tally's :func:`_weight`."""
    return sum([r * w for _, r, w, _, _ in tally]) / weight if weight else 0.0


def score(questionnaire: Questionnaire, answers: Answers, *,
          today: dt.date | None = None) -> Score:
    """Score ``answers``; see the module's doc."""
    today = today or dt.date.today()
    seen = visibility(questionnaire, answers)
    prepared = questionnaire.prepared
    tallies: dict[str, _Tally] = {}
    intake: _Tally = []
    findings: list[RaisedFinding] = []
    unanswered: list[str] = []
    shown, env = seen.questions, seen.env
    for section in prepared.sections:
        if section.id not in seen.sections:
            continue
        tally = intake if section.intake else tallies.setdefault(section.id, [])
        for question in section.questions:
            if question.id in shown:
                _score_answer(question, answers.get(question.id), env, today, tally, findings,
                              unanswered)
    return _total(prepared, tallies, intake, findings, unanswered)


def _score_answer(question: PreparedQuestion, answer: Answer | None, env: Mapping[str, object],
                  today: dt.date, tally: _Tally, findings: list[RaisedFinding],
                  unanswered: list[str]) -> None:
    """Add one shown question's risk to ``tally``, its findings to ``findings``, or its id to
    ``unanswered``."""
    if answer is not None and answer.not_applicable:
        policy = question.policy
        if policy != "excluded" and question.scored and question.weight:
            tally.append((question, 1.0 if policy == "unmet" else 0.0, question.weight,
                          "not applicable", policy))
        return
    if answer is None or not question.is_answered(answer.value):
        if question.scored or question.is_group:
            unanswered.append(question.id)
        return
    if question.is_group:
        _score_rows(question, answer.value, env, today, tally, findings)
        return
    rated = question.rate(answer.value, today)
    if rated is None:
        return
    risk, ratio = rated
    if question.weight:
        tally.append((question, ratio, question.weight, risk.answer, ""))
    if risk.finding is not None:
        findings.append(_raised(question, risk))


def _score_rows(group: PreparedQuestion, rows: object, env: Mapping[str, object],
                today: dt.date, tally: _Tally, findings: list[RaisedFinding]) -> None:
    """Each scored row question counts with its worst risk over the rows (named by the row
    that gave it); every row's findings are raised."""
    worst: dict[str, tuple[PreparedQuestion, Risk, float, str]] = {}
    scored = [question for question in group.rows if question.scored]
    for number, row in enumerate(rows if isinstance(rows, list) else [], start=1):
        if not isinstance(row, dict):
            continue
        label = next((str(row[qid]) for qid in group.labels if row.get(qid)), f"row {number}")
        row_env = {**env, **row} if group.rows_need_env else row
        for question in scored:
            value = row.get(question.id)
            if question.shown is not None and not question.shown(row_env):
                continue
            rated = question.rate(value, today) if question.is_answered(value) else None
            if rated is None:
                continue
            risk, ratio = rated
            held = worst.get(question.id)
            if held is None or ratio > held[2]:
                worst[question.id] = (question, risk, ratio, label)
            if risk.finding is not None:
                findings.append(_raised(question, risk, label))
    for sub, risk, ratio, label in worst.values():
        if sub.weight and group.weight:
            tally.append((sub, ratio, group.weight * sub.weight, f"{risk.answer} ({label})", ""))


def _raised(question: PreparedQuestion, risk: Risk, row: str = "") -> RaisedFinding:
    return built(RaisedFinding, question_id=question.id, question=question.text,
                 answer=risk.answer, finding=risk.finding, citation=question.citation, row=row)


def _total(prepared: PreparedQuestionnaire, tallies: dict[str, _Tally], intake: _Tally,
           findings: list[RaisedFinding], unanswered: list[str]) -> Score:
    sections = prepared.by_id
    weights = {sid: _weight(tally) for sid, tally in tallies.items()}
    counted = [sid for sid in tallies if weights[sid] and sections[sid].weight]
    total_weight = sum(sections[sid].weight for sid in counted)
    contributions: list[Contribution] = []
    section_scores: list[SectionScore] = []
    for sid in counted:
        section, tally, weight = sections[sid], tallies[sid], weights[sid]
        section_scores.append(built(SectionScore, section_id=sid, title=section.title,
                                    risk=100 * _mean(tally, weight), weight=section.weight))
        for question, risk, question_weight, answer, policy in tally:
            share = 100 * risk * (section.weight / total_weight) * (question_weight / weight)
            contributions.append(built(
                Contribution, section_id=sid, question_id=question.id, question=question.text,
                answer=answer, risk=risk, share=share, weight=question_weight,
                citation=question.citation, not_applicable=policy))
    contributions.sort(key=_share, reverse=True)  # a stable sort: ties keep their order
    findings.sort(key=lambda f: -SEVERITY_RANK[f.finding.severity])
    critical = any(f.finding.severity == "critical" for f in findings)
    intake_weight = _weight(intake)
    return built(
        Score, score=round(sum(c.share for c in contributions), 2),
        sections=tuple(section_scores), contributions=tuple(contributions),
        findings=tuple(findings),
        inherent=round(100 * _mean(intake, intake_weight), 2) if intake_weight else None,
        unanswered=tuple(unanswered), floor="critical" if critical else None)
