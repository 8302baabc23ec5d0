"""A questionnaire made ready to evaluate many answer sets: built once per definition.

Visibility and scoring ask the same things of a definition for every answer set: does this
condition hold, is this question scored, how risky is this choice. Asked of the pydantic models
and the parsed trees each time, that cost a millisecond per questionnaire, and a rescore runs
tens of thousands of them. :func:`prepare` answers everything that does not depend on the
answers once: each condition is a compiled :data:`~riskapp.questionnaires.conditions.Predicate`,
each question's scoring policy is read off in advance, and each choice's risk is worked out
beforehand (other answers' risks are remembered as they are met). Risks still come from the
question types' own ``risk()``: this module only saves asking twice. :attr:`Questionnaire.prepared
<riskapp.questionnaires.definition.Questionnaire.prepared>` keeps the result with the definition,
so it is built once per definition object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from riskapp.questionnaires.conditions import Predicate, predicate
from riskapp.questionnaires.question_types import (
    ChoiceQuestion,
    Countries,
    Date,
    Group,
    MultipleChoice,
    Number,
    Question,
    Risk,
    SingleChoice,
)

if TYPE_CHECKING:
    from riskapp.questionnaires.definition import Questionnaire, Section

# An answer's risk and its ratio (0-1), or None when the answer carries none; given today.
RateOf = Callable[[Any, dt.date], tuple[Risk, float] | None]
REMEMBERED = 512  # answers remembered per question whose risk depends on the answer alone


@dataclass(frozen=True, eq=False, slots=True)
class PreparedQuestion:
    """One question with everything scoring needs that the answers do not change.

    :param shown: its ``show_if``, compiled; ``None`` when it is always shown.
    :param choices: each choice id with its compiled ``show_if``, for a choice question.
    :param offered: the choices offered whatever the answers, when none has a ``show_if``.
    :param policy: what a not-applicable answer counts as: ``excluded``, ``met`` or ``unmet``.
    :param rows: a group's sub-questions; ``labels`` the short-text ones that name a row.
    """

    id: str
    text: str
    shown: Predicate | None
    choices: tuple[tuple[str, Predicate | None], ...] | None
    offered: tuple[str, ...] | None
    scored: bool
    weight: float
    policy: str
    citation: tuple[str, ...]
    is_answered: Callable[[Any], bool]
    rate: RateOf
    is_group: bool = False
    rows: tuple[PreparedQuestion, ...] = ()
    labels: tuple[str, ...] = ()
    rows_need_env: bool = False  # a scored row question has a show_if: rows see the answers


@dataclass(frozen=True, eq=False, slots=True)
class PreparedSection:
    id: str
    title: str
    weight: float
    intake: bool
    shown: Predicate | None
    questions: tuple[PreparedQuestion, ...]


@dataclass(frozen=True, eq=False, slots=True)
class PreparedQuestionnaire:
    sections: tuple[PreparedSection, ...]
    by_id: dict[str, PreparedSection]  # as ``{s.id: s for s in sections}``: the last one wins


def prepare(questionnaire: Questionnaire) -> PreparedQuestionnaire:
    """The questionnaire's conditions compiled and its lookups made; see the module's doc."""
    sections = tuple(_prepare_section(section) for section in questionnaire.sections)
    return PreparedQuestionnaire(sections, {section.id: section for section in sections})


def _compiled(condition: str | None) -> Predicate | None:
    return None if condition is None else predicate(condition)


def _prepare_section(section: Section) -> PreparedSection:
    return PreparedSection(section.id, section.title, section.weight, section.intake,
                           _compiled(section.show_if),
                           tuple(_prepare_question(question) for question in section.questions))


def _prepare_question(question: Question) -> PreparedQuestion:
    choices = offered = None
    if isinstance(question, ChoiceQuestion):
        choices = tuple((choice.id, _compiled(choice.show_if)) for choice in question.choices)
        if all(shown is None for _, shown in choices):
            offered = tuple(choice_id for choice_id, _ in choices)
    rows: tuple[PreparedQuestion, ...] = ()
    labels: tuple[str, ...] = ()
    if isinstance(question, Group):
        rows = tuple(_prepare_question(sub) for sub in question.questions)
        labels = tuple(sub.id for sub in question.questions if sub.type == "short_text")
    return PreparedQuestion(
        id=question.id, text=question.text,
        shown=_compiled(question.show_if), choices=choices, offered=offered,
        scored=question.is_scored(), weight=question.weight,
        policy=question.not_applicable.scoring if question.not_applicable else "excluded",
        citation=tuple(question.citation), is_answered=question.is_answered,
        rate=_rate_of(question), is_group=isinstance(question, Group), rows=rows,
        labels=labels, rows_need_env=any(sub.scored and sub.shown is not None for sub in rows))


def _rate_of(question: Question) -> RateOf:
    """How to rate an answer: always with the question's own
    :meth:`~riskapp.questionnaires.question_types.Question.risk`, remembered where the risk
    depends on the answer alone (a handful of answers recur across thousands of vendors)."""
    if not question.is_scored():
        return _rates_nothing  # every type's risk() is None when it is not scored
    if isinstance(question, SingleChoice) and type(question).risk is SingleChoice.risk:
        return _choice_table(question)
    if type(question) is Date:
        return _remembered(lambda value, today: _with_ratio(question.risk(value, today=today)),
                           _date_key)

    def rate(value: Any, today: dt.date) -> tuple[Risk, float] | None:
        return _with_ratio(question.risk(value))

    if type(question) is Number:
        return _remembered(rate, _number_key)
    if type(question) in (MultipleChoice, Countries):
        return _remembered(rate, _texts_key)
    return rate


def _rates_nothing(value: Any, today: dt.date) -> None:
    return None


def _number_key(value: Any, today: dt.date) -> Hashable | None:
    # By type too: 1, 1.0 and True are equal keys but not the same answer.
    return (type(value), value) if type(value) in (int, float) else None


def _texts_key(value: Any, today: dt.date) -> Hashable | None:
    if type(value) is list and all(type(item) is str for item in value):
        return tuple(value)
    return None


def _date_key(value: Any, today: dt.date) -> Hashable | None:
    # Date.problems() refuses a date after the real today, whatever ``today`` says.
    return (value, today, dt.date.today()) if type(value) is str else None


def _remembered(rate: RateOf, key: Callable[[Any, dt.date], Hashable | None]) -> RateOf:
    """``rate``, remembering its result for up to :data:`REMEMBERED` answers that ``key``
    names, forgotten all at once when full (a date's key holds the day, so old ones go
    stale); an answer it names ``None`` is rated anew every time."""
    # Each result boxed in a 1-tuple, so one get() tells "not known" from a known None: an
    # ``in`` then a ``[]`` could fail if another thread cleared ``known`` in between.
    known: dict[Hashable, tuple[tuple[Risk, float] | None]] = {}

    def rated(value: Any, today: dt.date) -> tuple[Risk, float] | None:
        named = key(value, today)
        if named is None:
            return rate(value, today)
        found = known.get(named)
        if found is not None:
            return found[0]
        result = rate(value, today)
        if len(known) >= REMEMBERED:
            known.clear()
        known[named] = (result,)
        return result

    return rated


def _with_ratio(risk: Risk | None) -> tuple[Risk, float] | None:
    return None if risk is None else (risk, risk.ratio)


def _choice_table(question: SingleChoice) -> RateOf:
    """:meth:`SingleChoice.risk` of every choice, worked out once: it depends on nothing but
    the choice picked, and any other answer rates nothing."""
    table = {choice_id: rated for choice_id in question.choice_ids()
             if (rated := _with_ratio(question.risk(choice_id))) is not None}
    return lambda value, today: table.get(str(value))
