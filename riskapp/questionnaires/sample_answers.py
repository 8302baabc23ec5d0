"""Sample answers: the least risky answer to every question a questionnaire shows.

Answering every shown question with its least risky answer (the choice with the fewest points,
a number in the band with the fewest points, a recent date, the US only, one good row per
group), again and again until no new question appears. The demo data fills its example
assessment this way, and the tests use it as "the ideal vendor".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from riskapp.questionnaires.answers import Answer, visibility
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.question_types import (
    ChoiceQuestion,
    Countries,
    Date,
    File,
    Group,
    MultipleChoice,
    Number,
    Question,
)

EVIDENCE: tuple[dict[str, Any], ...] = ({"name": "evidence.pdf"},)


def _best_value(question: Question, shown_choices: tuple[str, ...] | None,
                evidence: tuple[dict[str, Any], ...]) -> Any:
    if isinstance(question, ChoiceQuestion):
        offered = [c for c in question.choices if shown_choices is None or c.id in shown_choices]
        best = min(offered, key=lambda c: c.points or 0)
        if isinstance(question, MultipleChoice):
            return [best.id][: max(1, question.min_selected)]
        return best.id
    if isinstance(question, Number):
        value = question.min if question.min is not None else 1
        if question.bands:
            index, band = min(enumerate(question.bands), key=lambda pair: pair[1].points)
            below = question.bands[index - 1].max if index else None
            value = band.max if band.max is not None else (below or 0) + 1
        if question.min is not None:
            value = max(value, question.min)
        return int(value) if question.integer or float(value).is_integer() else value
    if isinstance(question, Date):
        return (dt.date.today() - dt.timedelta(days=30)).isoformat()
    if isinstance(question, Countries):
        return ["US"]
    if isinstance(question, File):
        return [dict(ref) for ref in evidence]
    if isinstance(question, Group):
        row = {sub.id: _best_value(sub, None, evidence) for sub in question.questions}
        return [row for _ in range(max(1, question.min_rows))]
    if question.type == "email":
        return "security@vendor.example"
    if question.type == "url":
        return "https://vendor.example/security"
    return "We describe this in our security policy."


def least_risky_answers(
    questionnaire: Questionnaire, given: dict[str, Answer] | None = None, *,
    evidence: tuple[dict[str, Any], ...] = EVIDENCE,
) -> dict[str, Answer]:
    """``given``, and the least risky answer to every other question it leads to; file
    questions and evidence get the ``evidence`` file references."""
    answers = dict(given or {})
    for _ in range(20):
        seen = visibility(questionnaire, answers)
        missing = [q for _, q in questionnaire.questions()
                   if seen.shows(q) and q.id not in answers]
        if not missing:
            return answers
        for question in missing:
            value = _best_value(question, seen.choices.get(question.id), evidence)
            answers[question.id] = Answer(value=value, comment="Explained in our policy.",
                                          evidence=evidence)
    raise ValueError("answering kept revealing new questions")
