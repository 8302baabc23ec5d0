"""Checks a questionnaire must pass beyond its shape: ids, conditions and choices that agree.

The models check each key on its own; :func:`check_questionnaire` checks how the parts fit
together once banks are included: no id given twice, conditions that name only questions
asked before them (so no condition can go round in a circle), choices that exist, and
conditions that can hold at all (a required question whose condition never holds is never
asked). Every problem comes back as a :class:`SourceError` pointing into the file, or the bank,
where the offending text was written.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from riskapp.questionnaires.conditions import (
    Call,
    ListOf,
    Literal,
    Name,
    Node,
    choice_tests,
    evaluate,
    names,
    parse,
    row_conditions,
)
from riskapp.questionnaires.definition import Questionnaire, Section
from riskapp.questionnaires.question_types import (
    COUNTRY_CODES,
    ChoiceQuestion,
    CommentRule,
    Countries,
    Group,
    Question,
)
from riskapp.questionnaires.yaml_source import Document, Path, SourceError


@dataclass(frozen=True)
class IncludeSource:
    """The ``include`` a bank's section came in by, and the condition written on it."""

    document: Document
    path: Path
    show_if: str | None


@dataclass(frozen=True)
class SectionSource:
    """Where a section was written: its document, its path in it, and its condition as
    written there (an include's condition is added to it when the bank is included)."""

    document: Document
    path: Path
    show_if: str | None = None
    include: IncludeSource | None = None


@dataclass(frozen=True)
class _Place:
    """A question (or section) and where it was written, for error messages."""

    document: Document
    path: Path

    def error(self, message: str, *keys: str | int) -> SourceError:
        return self.document.error((*self.path, *keys), message)


@dataclass
class _Scope:
    """The questions a condition may name: those asked before it, by id."""

    before: dict[str, Question]
    everything: dict[str, Question]


def check_questionnaire(
    questionnaire: Questionnaire, sources: Sequence[SectionSource]
) -> list[SourceError]:
    errors: list[SourceError] = []
    includes_checked: set[Path] = set()
    errors += _duplicate_sections(questionnaire.sections, sources)
    everything = _all_questions(questionnaire.sections)
    seen: dict[str, Question] = {}
    first_place: dict[str, _Place] = {}
    for section, source in zip(questionnaire.sections, sources, strict=True):
        scope = _Scope(dict(seen), everything)
        if source.include is not None and source.include.path not in includes_checked:
            includes_checked.add(source.include.path)  # once, not once per bank section
            included = _Place(source.include.document, source.include.path)
            errors += _condition_errors(source.include.show_if, included, ("show_if",), scope)
        errors += _condition_errors(source.show_if, _Place(source.document, source.path),
                                    ("show_if",), scope)
        for index, question in enumerate(section.questions):
            place = _Place(source.document, (*source.path, "questions", index))
            if question.id in first_place:
                first = first_place[question.id].document.position(first_place[question.id].path)
                errors.append(place.error(
                    f"question id '{question.id}' is already used (line {first.line} of "
                    f"{first_place[question.id].document.file})", "id"))
                continue
            first_place[question.id] = place
            errors += _question_errors(question, place, _Scope(dict(seen), everything))
            seen[question.id] = question
    return errors


def _all_questions(sections: Iterable[Section]) -> dict[str, Question]:
    return {q.id: q for section in sections for q in section.questions}


def _duplicate_sections(sections: Sequence[Section],
                        sources: Sequence[SectionSource]) -> Iterator[SourceError]:
    seen: set[str] = set()
    for section, source in zip(sections, sources, strict=True):
        if section.id in seen:
            yield source.document.error((*source.path, "id"),
                                        f"section id '{section.id}' is already used")
        seen.add(section.id)


def _question_errors(question: Question, place: _Place, scope: _Scope) -> list[SourceError]:
    errors = _choice_errors(question, place, scope)
    errors += _condition_errors(question.show_if, place, ("show_if",), scope,
                                required=question.required, own=question.id)
    errors += _condition_errors(question.required_if, place, ("required_if",), scope,
                                own=question.id)
    with_self = _Scope({**scope.before, question.id: question}, scope.everything)
    for index, rule in enumerate(question.rules):
        errors += _condition_errors(rule.rule, place, ("validate", index, "rule"), with_self)
    if isinstance(question, Group):
        errors += _group_errors(question, place, scope)
    return errors


def _choice_errors(question: Question, place: _Place, scope: _Scope) -> list[SourceError]:
    errors: list[SourceError] = []
    ids = question.choice_ids()
    seen: set[str] = set()
    for index, choice_id in enumerate(ids):
        if choice_id in seen:
            errors.append(place.error(f"choice id '{choice_id}' is given twice",
                                      "choices", index, "id"))
        seen.add(choice_id)
    if isinstance(question, ChoiceQuestion):
        for index, choice in enumerate(question.choices):
            errors += _condition_errors(choice.show_if, place,
                                        ("choices", index, "show_if"), scope, own=question.id)
    comment_when = question.comment.required_when \
        if isinstance(question.comment, CommentRule) else []
    evidence_when = question.evidence.required_when if question.evidence else []
    for key, wanted in (("comment", comment_when), ("evidence", evidence_when)):
        for index, choice_id in enumerate(wanted):
            if choice_id not in ids:
                errors.append(place.error(
                    f"{key}: '{question.id}' has no choice '{choice_id}'"
                    f"{_suggest(choice_id, ids)}", key, "required_when", index))
    return errors


def _group_errors(group: Group, place: _Place, scope: _Scope) -> list[SourceError]:
    """A row's questions may use earlier questions of the row, and answers before the group."""
    errors: list[SourceError] = []
    everything = {**scope.everything, **{q.id: q for q in group.questions}}
    before = dict(scope.before)
    for index, question in enumerate(group.questions):
        sub_place = _Place(place.document, (*place.path, "questions", index))
        if question.id in before and question.id not in scope.before:
            errors.append(sub_place.error(f"'{question.id}' is used twice in this group", "id"))
        errors += _question_errors(question, sub_place, _Scope(dict(before), everything))
        before[question.id] = question
    return errors


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _condition_errors(
    text: str | None, place: _Place, keys: tuple[str | int, ...], scope: _Scope, *,
    required: bool = False, own: str | None = None,
) -> list[SourceError]:
    if text is None:
        return []
    tree = parse(text)  # the model already refused conditions that do not parse
    if (not_a_test := _not_a_test(tree, text)) is not None:
        return [place.error(f"{keys[0]}: {not_a_test}", *keys)]
    errors = [place.error(f"{keys[0]}: {message}", *keys)
              for message in _name_problems(tree, scope, own)]
    errors += [place.error(f"{keys[0]}: {message}", *keys)
               for message in _choice_problems(tree, scope)]
    if not errors and not names(tree) and evaluate(tree, {}) is not True:
        never = "so this required question is never asked" if required else "so it never applies"
        errors.append(place.error(f"{keys[0]}: '{text}' can never hold, {never}", *keys))
    return errors


def _not_a_test(tree: Node, text: str) -> str | None:
    """Why a condition that is a bare value (``mfa``, ``count(rows)``, ``"yes"``) can never be
    true or false the way its writer meant, or ``None`` when it is a real test."""
    if isinstance(tree, Name):
        return f"'{text}' is a question, not a condition; compare it, e.g. {text} == \"yes\""
    if isinstance(tree, Call) and tree.function == "count":
        return f"'{text}' is a number, not a condition; compare it, e.g. {text} > 0"
    if isinstance(tree, ListOf) or (isinstance(tree, Literal)
                                    and not isinstance(tree.value, bool)):
        return f"'{text}' is a value, not a condition"
    return None


def _name_problems(tree: Node, scope: _Scope, own: str | None) -> Iterator[str]:
    for name in names(tree):
        if name.id == own:
            yield f"'{name.id}' is this question itself: a condition cannot depend on its own " \
                  "answer (circular)"
        elif name.id in scope.everything and name.id not in scope.before:
            yield (f"'{name.id}' is asked later; a condition can only use answers given "
                   "before it")
        elif name.id not in scope.before:
            yield f"no question '{name.id}'{_suggest(name.id, scope.before)}"
    for group_name, condition in row_conditions(tree):
        group = scope.before.get(group_name.id)
        if not isinstance(group, Group):
            if group_name.id in scope.before:
                yield f"count({group_name.id}, ...) needs a group question"
            continue
        row_ids = {q.id for q in group.questions}
        for name in names(condition):
            if name.id not in row_ids and name.id not in scope.before:
                yield f"the rows of '{group.id}' have no '{name.id}'{_suggest(name.id, row_ids)}"


def _choice_problems(tree: Node, scope: _Scope) -> Iterator[str]:
    for name, text in choice_tests(tree):
        question = scope.before.get(name.id)
        if isinstance(question, Countries):
            if text not in COUNTRY_CODES:
                yield f"'{text}' is not an ISO 3166 country code (e.g. US, DE)"
        elif isinstance(question, ChoiceQuestion):
            ids = question.choice_ids()
            if text not in ids:
                yield (f"'{name.id}' has no choice '{text}'{_suggest(text, ids)}; its choices "
                       f"are {', '.join(ids)}")
