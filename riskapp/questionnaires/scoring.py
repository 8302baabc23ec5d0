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
from collections.abc import Mapping
from dataclasses import dataclass, field

from riskapp.questionnaires.answers import Answer, Answers, Visibility, visibility
from riskapp.questionnaires.conditions import holds, parse
from riskapp.questionnaires.definition import Questionnaire, Section
from riskapp.questionnaires.question_types import (
    SEVERITY_RANK,
    Date,
    Finding,
    Group,
    Question,
    Risk,
)


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


@dataclass
class _Tally:
    """Weighted risks of one section, before they are normalised."""

    risks: list[tuple[Question, float, float, str, str]] = field(default_factory=list)

    def add(self, question: Question, risk: float, weight: float, answer: str,
            not_applicable: str = "") -> None:
        self.risks.append((question, risk, weight, answer, not_applicable))

    @property
    def weight(self) -> float:
        return sum(weight for _, _, weight, _, _ in self.risks)

    @property
    def mean(self) -> float:
        return sum(r * w for _, r, w, _, _ in self.risks) / self.weight if self.weight else 0.0


def _risk_of(question: Question, value: object, today: dt.date) -> Risk | None:
    if isinstance(question, Date):
        return question.risk(value, today=today)
    return question.risk(value)


def _group_risks(group: Group, rows: object, env: Mapping[str, object], today: dt.date
                 ) -> tuple[list[tuple[Question, Risk, str]], list[RaisedFinding]]:
    """Each scored row question's worst risk over the rows (with the row that gave it), and
    the findings of every row."""
    worst: dict[str, tuple[Question, Risk, str]] = {}
    raised: list[RaisedFinding] = []
    for number, row in enumerate(rows if isinstance(rows, list) else [], start=1):
        if not isinstance(row, dict):
            continue
        label = next((str(row[q.id]) for q in group.questions
                      if q.type == "short_text" and row.get(q.id)), f"row {number}")
        row_env = {**env, **row}
        for question in group.questions:
            shown = question.show_if is None or holds(parse(question.show_if), row_env)
            value = row.get(question.id)
            if not shown or not question.is_scored() or not question.is_answered(value):
                continue
            risk = _risk_of(question, value, today)
            if risk is None:
                continue
            held = worst.get(question.id)
            if held is None or risk.ratio > held[1].ratio:
                worst[question.id] = (question, risk, label)
            raised += _findings_of(question, risk, label)
    return list(worst.values()), raised


def _findings_of(question: Question, risk: Risk, row: str = "") -> list[RaisedFinding]:
    if risk.finding is None:
        return []
    return [RaisedFinding(question.id, question.text, risk.answer, risk.finding,
                          tuple(question.citation), row)]


def score(questionnaire: Questionnaire, answers: Answers, *,
          today: dt.date | None = None) -> Score:
    """Score ``answers``; see the module's doc for the rules."""
    today = today or dt.date.today()
    seen = visibility(questionnaire, answers)
    tallies: dict[str, _Tally] = {}
    intake = _Tally()
    findings: list[RaisedFinding] = []
    unanswered: list[str] = []
    for section in questionnaire.sections:
        if section.id not in seen.sections:
            continue
        tally = intake if section.intake else tallies.setdefault(section.id, _Tally())
        for question in section.questions:
            if seen.shows(question):
                findings += _score_question(question, answers.get(question.id), seen, tally,
                                            unanswered, today)
    return _total(questionnaire, tallies, intake, findings, unanswered)


def _score_question(question: Question, answer: Answer | None, seen: Visibility,
                    tally: _Tally, unanswered: list[str], today: dt.date) -> list[RaisedFinding]:
    if answer is not None and answer.not_applicable:
        policy = question.not_applicable.scoring if question.not_applicable else "excluded"
        if policy != "excluded" and question.is_scored() and question.weight:
            tally.add(question, 1.0 if policy == "unmet" else 0.0, question.weight,
                      "not applicable", policy)
        return []
    if answer is None or not question.is_answered(answer.value):
        if question.is_scored() or isinstance(question, Group):
            unanswered.append(question.id)
        return []
    if isinstance(question, Group):
        worst, raised = _group_risks(question, answer.value, seen.env, today)
        for sub, risk, row in worst:
            if sub.weight and question.weight:
                tally.add(sub, risk.ratio, question.weight * sub.weight,
                          f"{risk.answer} ({row})")
        return raised
    risk = _risk_of(question, answer.value, today)
    if risk is None:
        return []
    if question.weight:
        tally.add(question, risk.ratio, question.weight, risk.answer)
    return _findings_of(question, risk)


def _total(questionnaire: Questionnaire, tallies: dict[str, _Tally], intake: _Tally,
           findings: list[RaisedFinding], unanswered: list[str]) -> Score:
    sections = {section.id: section for section in questionnaire.sections}
    counted = {sid: t for sid, t in tallies.items() if t.weight and sections[sid].weight}
    total_weight = sum(sections[sid].weight for sid in counted)
    contributions: list[Contribution] = []
    section_scores: list[SectionScore] = []
    for sid, tally in counted.items():
        section: Section = sections[sid]
        section_scores.append(SectionScore(sid, section.title, 100 * tally.mean, section.weight))
        for question, risk, weight, answer, policy in tally.risks:
            share = 100 * risk * (section.weight / total_weight) * (weight / tally.weight)
            contributions.append(Contribution(sid, question.id, question.text, answer, risk,
                                              share, weight, tuple(question.citation), policy))
    contributions.sort(key=lambda c: -c.share)
    findings.sort(key=lambda f: -SEVERITY_RANK[f.finding.severity])
    critical = any(f.finding.severity == "critical" for f in findings)
    return Score(
        score=round(sum(c.share for c in contributions), 2),
        sections=tuple(section_scores), contributions=tuple(contributions),
        findings=tuple(findings),
        inherent=round(100 * intake.mean, 2) if intake.weight else None,
        unanswered=tuple(unanswered), floor="critical" if critical else None)
