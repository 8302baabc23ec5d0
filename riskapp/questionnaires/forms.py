"""Web forms built from a questionnaire: one section, or all of them.

:func:`questions_form` builds a Flask-WTF form (CSRF included) whose fields come from each
question type's own :meth:`~riskapp.questionnaires.question_types.Question.form_field`, plus,
where the definition allows them, "not applicable" with its reason and a comment. A group
becomes a list of row sub-forms. The form converts what was typed into :class:`Answer`
records (:func:`answers_from_form`); the rules (required, conditions, validation) are the
engine's (:func:`riskapp.questionnaires.answers.problems`), shown beside the fields, so the
browser and the server cannot disagree: the page's script only shows and hides questions
early.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, TextAreaField
from wtforms.validators import Optional

from riskapp.questionnaires.answers import Answer, Answers
from riskapp.questionnaires.conditions import parse, to_json
from riskapp.questionnaires.definition import Section
from riskapp.questionnaires.question_types import ChoiceQuestion, File, Group, Question

NA_SUFFIX = "__na"
REASON_SUFFIX = "__reason"
COMMENT_SUFFIX = "__comment"
BLANK_ROWS = 1  # empty rows offered under a group's answered ones


def _field(question: Question) -> Any:
    return question.form_field(label=question.text, description=question.help,
                               validators=[Optional()])


def _row_form(group: Group) -> type[Form]:
    fields = {question.id: _field(question) for question in group.questions}
    return type(f"{group.id.title()}Row", (Form,), fields)


def questions_form(sections: Sequence[Section], answers: Answers,
                   formdata: Any = None) -> FlaskForm:
    """The form for the questions of ``sections`` (one section, or a whole questionnaire),
    filled with ``answers``, or with what was posted when there is ``formdata``."""
    fields: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for question in (q for section in sections for q in section.questions):
        answer = answers.get(question.id) or Answer()
        if isinstance(question, Group):
            rows = answer.value if isinstance(answer.value, list) else []
            fields[question.id] = FieldList(FormField(_row_form(question)), label=question.text,
                                            min_entries=len(rows) + BLANK_ROWS,
                                            max_entries=question.max_rows)
            data[question.id] = [_row_data(question, row) for row in rows]
        elif not isinstance(question, File):
            fields[question.id] = _field(question)
            data[question.id] = _form_value(question, answer.value)
        if question.not_applicable is not None:
            fields[question.id + NA_SUFFIX] = BooleanField("Does not apply to us")
            fields[question.id + REASON_SUFFIX] = TextAreaField("Why it does not apply")
            data[question.id + NA_SUFFIX] = answer.not_applicable
            data[question.id + REASON_SUFFIX] = answer.reason
        fields[question.id + COMMENT_SUFFIX] = TextAreaField("Comment")
        data[question.id + COMMENT_SUFFIX] = answer.comment
    form_class = type("QuestionsForm", (FlaskForm,), fields)
    return form_class(formdata=formdata, data=None if formdata else data)


def _row_data(group: Group, row: Any) -> dict[str, Any]:
    row = row if isinstance(row, dict) else {}
    return {q.id: _form_value(q, row.get(q.id)) for q in group.questions}


def _form_value(question: Question, value: Any) -> Any:
    """An answer as the field holds it (a date object for DateField, and so on)."""
    if value is None:
        return None
    if question.type == "date":
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            return None
    if question.type == "number":
        return decimal.Decimal(str(value))
    return value


def _text(data: str | None) -> str:
    """Typed text, trimmed, with line breaks written one way (browsers send CRLF)."""
    return (data or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _answer_value(question: Question, data: Any) -> Any:
    """What the field holds as an answer value (JSON: no Decimal, no date objects)."""
    if isinstance(data, str):
        return _text(data) or None
    if isinstance(data, decimal.Decimal):
        number = float(data)
        return int(number) if number.is_integer() else number
    if isinstance(data, dt.date):
        return data.isoformat()
    if isinstance(data, list):
        return [item for item in data if item] or None
    return data


def answers_from_form(sections: Sequence[Section], form: FlaskForm,
                      previous: Answers) -> dict[str, Answer]:
    """The answers as posted; files keep what ``previous`` held (uploads are stored by the
    vendor portal, not by this form)."""
    result: dict[str, Answer] = {}
    for question in (q for section in sections for q in section.questions):
        before = previous.get(question.id) or Answer()
        if isinstance(question, Group):
            value: Any = _rows(question, form[question.id].data)
        elif isinstance(question, File):
            value = before.value
        else:
            value = _answer_value(question, form[question.id].data)
        not_applicable = bool(form[question.id + NA_SUFFIX].data) \
            if question.not_applicable is not None else False
        reason = form[question.id + REASON_SUFFIX].data if not_applicable else ""
        result[question.id] = Answer(
            value=value, not_applicable=not_applicable, reason=_text(reason),
            comment=_text(form[question.id + COMMENT_SUFFIX].data), evidence=before.evidence)
    return result


def _rows(group: Group, entries: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    rows = []
    for entry in entries:
        row = {q.id: _answer_value(q, entry.get(q.id)) for q in group.questions}
        if any(value is not None for value in row.values()):
            rows.append({key: value for key, value in row.items() if value is not None})
    return rows or None


def condition_json(text: str | None) -> str:
    """A condition for the page's script, as an HTML-attribute-safe JSON string."""
    if text is None:
        return ""
    return json.dumps(to_json(parse(text)), separators=(",", ":"))


def choice_conditions(question: Question) -> dict[str, str]:
    if not isinstance(question, ChoiceQuestion):
        return {}
    return {c.id: str(condition_json(c.show_if)) for c in question.choices if c.show_if}
