"""Made-up but valid answers to the shipped questionnaires, scored once and reused.

Scoring a million answers one assessment at a time would take longer than writing them, so
each questionnaire gets a pool of answer sets (:class:`AnswerSet`), each one complete and
accepted by :func:`riskapp.questionnaires.answers.problems` (it could be submitted as it is),
and scored once with the app's own :func:`riskapp.questionnaires.scoring.score`. Assessments
draw their answers from the pool: a completed assessment takes a whole set, one in progress a
first part of one.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from typing import Any

from bench.generation.store import RawJSON
from riskapp.questionnaires.answers import Answer, problems, visibility
from riskapp.questionnaires.conditions import holds, parse
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
from riskapp.questionnaires.sample_answers import least_risky_answers
from riskapp.questionnaires.scoring import Score, score

MAX_ROUNDS = 40
COMMENTS = (
    "Explained in our security policy, section 4.",
    "See the attached report for details.",
    "Applies to every region we operate in.",
    "Reviewed by our security team every quarter.",
    "We can walk you through this on a call.",
)
TEXTS = (
    "Our security team reviews this every quarter and reports to the board.",
    "We follow our documented information security policy for this.",
    "Handled by our operations team under a written procedure.",
)
ROW_NAMES = ("Amazon Web Services", "Microsoft Azure", "Google Cloud", "Cloudflare",
             "Zendesk", "Datadog", "Twilio SendGrid", "Snowflake", "Okta", "Salesforce")
FILES = ("soc2-type2-report.pdf", "iso27001-certificate.pdf", "pentest-summary-2025.pdf",
         "security-policy.pdf", "hipaa-risk-analysis.pdf")
ELSEWHERE = ("IE", "DE", "CA", "GB", "IN", "PH", "NL")
NOT_APPLICABLE_REASON = "We do not offer this as part of the service you would use."


@dataclass(frozen=True)
class AnswerSet:
    """One complete, valid set of answers to a questionnaire, and its score.

    :param rows: ``(question id, Answer.to_json())`` in the questionnaire's order, ready to
        be stored as answer records.
    :param values: answered values counting each group row's cells, not just the group.
    """

    answers: dict[str, Answer]
    rows: tuple[tuple[str, RawJSON], ...]
    result: Score
    values: int

    def __len__(self) -> int:
        return len(self.rows)


def answer_pool(questionnaire: Questionnaire, rng: random.Random, size: int) -> list[AnswerSet]:
    """``size`` answer sets from careful to careless vendors, each valid and scored."""
    return [answer_set(questionnaire, rng, risk=rng.choice((0.0, 0.05, 0.1, 0.2, 0.35, 0.6)))
            for _ in range(size)]


def richest_set(questionnaire: Questionnaire, rng: random.Random, *, tries: int = 40,
                rows: int = 10) -> AnswerSet:
    """A set answering (nearly) every question: careless answers bring up follow-up
    questions, and every group gets ``rows`` rows, as for a report meant to be long."""
    enough = len(questionnaire.by_id) - 4
    best = answer_set(questionnaire, rng, risk=0.7, group_rows=rows)
    for _ in range(tries - 1):
        if len(best) >= enough:
            break
        found = answer_set(questionnaire, rng, risk=0.7, group_rows=rows)
        if len(found) + found.values > len(best) + best.values:
            best = found
    return best


def answer_set(questionnaire: Questionnaire, rng: random.Random, *, risk: float,
               group_rows: int | None = None) -> AnswerSet:
    """Answer every shown question, ``risk`` the chance of each answer not being the best."""
    answers = _answer_all(questionnaire, _Answerer(rng, risk, group_rows))
    ordered = [(question.id, answers[question.id]) for _, question in questionnaire.questions()
               if question.id in answers]
    values = sum(_values(questionnaire.by_id[qid], answer) for qid, answer in ordered)
    return AnswerSet(dict(ordered),
                     tuple((qid, RawJSON(json.dumps(answer.to_json())))
                           for qid, answer in ordered),
                     score(questionnaire, dict(ordered)), values)


def _values(question: Question, answer: Answer) -> int:
    if isinstance(question, Group) and isinstance(answer.value, list):
        return sum(len(row) for row in answer.value)
    return 1


def _answer_all(questionnaire: Questionnaire, answerer: _Answerer) -> dict[str, Answer]:
    """Answer what is shown until nothing new appears and nothing is wrong. An answer the
    rules refuse is given again at random (a rule may refuse it for another answer's sake);
    one refused three times becomes the least risky one."""
    answers: dict[str, Answer] = {}
    strikes: dict[str, int] = {}
    for _ in range(MAX_ROUNDS):
        seen = visibility(questionnaire, answers)
        # An answer to a question hidden again is kept by the app, but a made-up vendor
        # need not have given it.
        answers = {qid: answer for qid, answer in answers.items() if qid in seen.questions}
        missing = [q for _, q in questionnaire.questions()
                   if seen.shows(q) and q.id not in answers]
        for question in missing:
            answers[question.id] = answerer.answer(question, seen.choices.get(question.id),
                                                   seen.env)
        if missing:
            continue
        wrong = problems(questionnaire, answers)
        if not wrong:
            return answers
        for qid in wrong:
            strikes[qid] = strikes.get(qid, 0) + 1
            question, shown = questionnaire.by_id[qid], seen.choices.get(qid)
            answers[qid] = (answerer.answer(question, shown, seen.env, careless=True)
                            if strikes[qid] < 3 else answerer.safe(question, shown, seen.env))
    return least_risky_answers(questionnaire)


@dataclass
class _Answerer:
    rng: random.Random
    risk: float
    group_rows: int | None

    def answer(self, question: Question, shown: tuple[str, ...] | None,
               env: dict[str, Any], *, careless: bool | None = None) -> Answer:
        rng = self.rng
        if question.not_applicable is not None and rng.random() < 0.05:
            return Answer(not_applicable=True, reason=NOT_APPLICABLE_REASON)
        careless = rng.random() < self.risk if careless is None else careless
        value = self.value(question, shown, env, careless=careless)
        comment = rng.choice(COMMENTS) if rng.random() < 0.2 else ""
        evidence = ({"name": rng.choice(FILES)},) if rng.random() < 0.1 else ()
        return Answer(value=value, comment=comment, evidence=evidence)

    def safe(self, question: Question, shown: tuple[str, ...] | None,
             env: dict[str, Any]) -> Answer:
        """The least risky answer, with the comment and evidence any rule may ask for."""
        return Answer(value=self.value(question, shown, env, careless=False),
                      comment=COMMENTS[0], evidence=({"name": FILES[0]},))

    def value(self, question: Question, shown: tuple[str, ...] | None, env: dict[str, Any],
              *, careless: bool) -> Any:
        rng = self.rng
        if isinstance(question, ChoiceQuestion):
            return self._choice(question, shown, careless=careless)
        if isinstance(question, Number):
            return self._number(question, careless=careless)
        if isinstance(question, Date):
            days = rng.randint(200, 900) if careless else rng.randint(10, 180)
            value = (dt.date.today() - dt.timedelta(days=days)).isoformat()
            if question.min and value < question.min:
                value = question.min
            if question.max and value > question.max:
                value = question.max
            return value
        if isinstance(question, Countries):
            return ["US", rng.choice(ELSEWHERE)] if careless else ["US"]
        if isinstance(question, File):
            return [{"name": name} for name in rng.sample(FILES, rng.randint(1, 2))]
        if isinstance(question, Group):
            return self._rows(question, env, careless=careless)
        if question.type == "email":
            return "security@vendor.example"
        if question.type == "url":
            return "https://vendor.example/trust"
        return rng.choice(TEXTS)

    def _choice(self, question: ChoiceQuestion, shown: tuple[str, ...] | None, *,
                careless: bool) -> Any:
        offered = [c for c in question.choices if shown is None or c.id in shown]
        best = min(offered, key=lambda c: c.points or 0)
        if not isinstance(question, MultipleChoice):
            return self.rng.choice(offered).id if careless else best.id
        if not careless:
            return [best.id][: max(1, question.min_selected)]
        most = min(len(offered), question.max_selected or 3)
        picked = self.rng.sample(offered, self.rng.randint(max(1, question.min_selected), most))
        return [c.id for c in offered if c in picked]

    def _number(self, question: Number, *, careless: bool) -> int | float:
        low = question.min if question.min is not None else 0
        if question.bands:
            pick = (self.rng.randrange(len(question.bands)) if careless else
                    min(range(len(question.bands)), key=lambda i: question.bands[i].points))
            band = question.bands[pick]
            below = question.bands[pick - 1].max if pick else None
            bottom = max(low, below + 1 if below is not None else low)
            top = band.max if band.max is not None else bottom + 100
            value = self.rng.randint(int(bottom), int(max(bottom, top)))
        else:
            value = self.rng.randint(int(low), int(question.max if question.max is not None
                                                   else low + 100))
        if question.max is not None:
            value = min(value, int(question.max))
        return max(value, int(low)) if question.min is not None else value

    def _rows(self, group: Group, env: dict[str, Any], *, careless: bool
              ) -> list[dict[str, Any]]:
        count = self.group_rows or self.rng.randint(1, 3)
        count = max(group.min_rows, min(count, group.max_rows))
        names = self.rng.sample(ROW_NAMES, min(count, len(ROW_NAMES)))
        rows = []
        for number in range(count):
            row: dict[str, Any] = {}
            for question in group.questions:
                if question.show_if and not holds(parse(question.show_if), {**env, **row}):
                    continue
                if question.type == "short_text":
                    row[question.id] = (names[number] if number < len(names)
                                        else f"{names[number % len(names)]} {number + 1}")
                else:
                    row[question.id] = self.value(
                        question, None, env, careless=careless and self.rng.random() < self.risk)
            rows.append(row)
        return rows
