"""A vendor's answers to a questionnaire: what is shown, what is required, what is wrong.

Answers are kept by question id as :class:`Answer` records. Conditions refer to earlier
answers, so :func:`visibility` walks the questionnaire in order, evaluating each section's,
question's and choice's condition against the answers of the questions shown before it: a
hidden question's answer is kept (the vendor may change their mind) but is neither seen by
later conditions, nor required, nor scored. :func:`problems` says, per question, what stops
the answers from being submitted; :func:`progress` counts the required questions answered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from riskapp.questionnaires.conditions import predicate
from riskapp.questionnaires.definition import Questionnaire, Section
from riskapp.questionnaires.frozen import built
from riskapp.questionnaires.prepared import PreparedQuestion
from riskapp.questionnaires.question_types import ChoiceQuestion, CommentRule, Group, Question


@dataclass(frozen=True)
class Answer:
    """One question's answer.

    :param value: the answer itself (see :mod:`~riskapp.questionnaires.question_types`).
    :param not_applicable: the vendor says the question does not apply; ``reason`` says why.
    :param comment: the vendor's free comment.
    :param evidence: files attached to support the answer (each a mapping with a ``name``).
    """

    value: Any = None
    not_applicable: bool = False
    reason: str = ""
    comment: str = ""
    evidence: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "not_applicable": self.not_applicable,
                "reason": self.reason, "comment": self.comment,
                "evidence": [dict(item) for item in self.evidence]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Answer:
        # built(): a rescore reads a million answers, and the frozen __init__ was a third of it
        return built(cls, value=data.get("value"),
                     not_applicable=bool(data.get("not_applicable")),
                     reason=str(data.get("reason") or ""), comment=str(data.get("comment") or ""),
                     evidence=tuple(data.get("evidence") or ()))


Answers = Mapping[str, Answer]


def _given(question: Question, answer: Answer | None) -> bool:
    return answer is not None and (answer.not_applicable or question.is_answered(answer.value))


@dataclass(frozen=True)
class Visibility:
    """What the vendor is shown given the answers so far.

    :param env: the values later conditions see: answers to shown questions, not N/A.
    """

    sections: frozenset[str]
    questions: frozenset[str]
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)

    def shows(self, question: Question) -> bool:
        return question.id in self.questions


def _applies(condition: str | None, env: Mapping[str, Any]) -> bool:
    return condition is None or predicate(condition)(env)


def visibility(questionnaire: Questionnaire, answers: Answers) -> Visibility:
    """Evaluate every condition in order (compiled once per definition); see the module's
    doc."""
    env: dict[str, Any] = {}
    sections: set[str] = set()
    questions: set[str] = set()
    choices: dict[str, tuple[str, ...]] = {}
    for section in questionnaire.prepared.sections:
        if section.shown is not None and not section.shown(env):
            continue
        sections.add(section.id)
        for question in section.questions:
            if question.shown is not None and not question.shown(env):
                continue
            questions.add(question.id)
            if question.offered is not None:
                choices[question.id] = question.offered
            elif question.choices is not None:
                choices[question.id] = _offered(question, env)
            answer = answers.get(question.id)
            if answer is not None and not answer.not_applicable \
                    and question.is_answered(answer.value):
                env[question.id] = answer.value
    return Visibility(frozenset(sections), frozenset(questions), choices, env)


def _offered(question: PreparedQuestion, env: Mapping[str, Any]) -> tuple[str, ...]:
    """The choices whose own condition holds."""
    return tuple(choice_id for choice_id, shown in question.choices or ()
                 if shown is None or shown(env))


def shown_questions(questionnaire: Questionnaire, seen: Visibility,
                    section: Section | None = None) -> Iterator[tuple[Section, Question]]:
    for each, question in questionnaire.questions():
        if (section is None or each.id == section.id) and seen.shows(question):
            yield each, question


def is_required(question: Question, env: Mapping[str, Any]) -> bool:
    if question.required_if is not None:
        return question.required or _applies(question.required_if, env)
    return question.required


# --- what is wrong -------------------------------------------------------------------------------


def _comment_required(question: Question, value: Any) -> bool:
    if question.comment == "required":
        return True
    if isinstance(question.comment, CommentRule):
        picked = value if isinstance(value, list) else [value]
        return any(choice in question.comment.required_when for choice in picked)
    return False


def _evidence_required(question: Question, value: Any) -> bool:
    if question.evidence is None:
        return False
    picked = value if isinstance(value, list) else [value]
    return any(choice in question.evidence.required_when for choice in picked)


def _row_problems(group: Group, rows: Any, env: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for number, row in enumerate(rows if isinstance(rows, list) else [], start=1):
        row_env = {**env, **(row if isinstance(row, dict) else {})}
        for question in group.questions:
            value = row.get(question.id) if isinstance(row, dict) else None
            if not _applies(question.show_if, row_env):
                continue
            if not question.is_answered(value):
                if is_required(question, row_env):
                    found.append(f"row {number}: {question.text}: answer this")
                continue
            found += [f"row {number}: {question.text}: {p}" for p in question.problems(value)]
    return found


def answer_problems(question: Question, answer: Answer | None, seen: Visibility) -> list[str]:
    """What is wrong with one shown question's answer (or its absence)."""
    env = seen.env
    if answer is not None and answer.not_applicable:
        if question.not_applicable is None:
            return ["this question cannot be answered with N/A"]
        return [] if answer.reason.strip() else ["say why it does not apply"]
    if answer is None or not question.is_answered(answer.value):
        return ["answer this question"] if is_required(question, env) else []
    value = answer.value
    found = list(question.problems(value))
    if found:
        return found
    if isinstance(question, ChoiceQuestion):
        offered = seen.choices.get(question.id, ())
        picked = value if isinstance(value, list) else [value]
        found += [f"{question.describe(choice)!r} is not available with your earlier answers"
                  for choice in picked if choice not in offered]
    if isinstance(question, Group):
        found += _row_problems(question, value, env)
    if _comment_required(question, value) and not answer.comment.strip():
        found.append("add a comment explaining this answer")
    if _evidence_required(question, value) and not answer.evidence:
        kinds = ", ".join(question.evidence.kinds) if question.evidence else ""
        found.append(f"attach evidence{f' ({kinds})' if kinds else ''}")
    rule_env = {**env, question.id: value}
    found += [rule.message for rule in question.rules if not _applies(rule.rule, rule_env)]
    return found


def problems(questionnaire: Questionnaire, answers: Answers,
             section: Section | None = None) -> dict[str, list[str]]:
    """Per shown question (of ``section``, or all), what must change before submitting."""
    seen = visibility(questionnaire, answers)
    found: dict[str, list[str]] = {}
    for _, question in shown_questions(questionnaire, seen, section):
        issues = answer_problems(question, answers.get(question.id), seen)
        if issues:
            found[question.id] = issues
    return found


@dataclass(frozen=True)
class Progress:
    answered: int
    required: int

    @property
    def percent(self) -> int:
        return 100 if not self.required else round(100 * self.answered / self.required)


def progress(questionnaire: Questionnaire, answers: Answers) -> Progress:
    """How many of the shown required questions have an answer (N/A with a reason counts)."""
    seen = visibility(questionnaire, answers)
    required = [q for _, q in shown_questions(questionnaire, seen) if is_required(q, seen.env)]
    answered = [q for q in required if _given(q, answers.get(q.id))]
    return Progress(len(answered), len(required))
