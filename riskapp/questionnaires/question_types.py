"""The question types: one class each, registered by the ``type`` a definition names.

Each class is the pydantic model of its definition (the keys a privacy officer may write for
that type) and knows the rest of the type's behaviour: what counts as an answer, what is wrong
with one (:meth:`Question.problems`), how risky it is (:meth:`Question.risk`) and which form
field asks it (:meth:`Question.form_field`). :data:`QUESTION_TYPES` is the registry; the
loader and the forms look types up there, never in an if-chain.

Answers are plain JSON values: a choice id (``"yes"``), a list of choice ids, text, a number,
an ISO date, a list of ISO 3166 alpha-2 codes, a list of file records, or for a group a list of
rows (each a mapping of sub-question id to answer).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic import BaseModel as _BaseModel
from wtforms import SelectChoice
from wtforms import fields as wtf
from wtforms.fields.core import UnboundField
from wtforms.widgets import CheckboxInput, ListWidget

from riskapp.questionnaires.conditions import ConditionError, parse

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
MAX_POINTS = 10.0
COUNTRY_CODES: dict[str, str] = {c.alpha_2: c.name for c in pycountry.countries}
_COUNTRY_CHOICES = [SelectChoice(code, name)
                    for code, name in sorted(COUNTRY_CODES.items(), key=lambda item: item[1])]


class Model(_BaseModel):
    """Strict about keys (a typo is an error, not a silently ignored line), lenient about
    numbers where text is expected (``id: 10`` means the text "10")."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True,
                              str_strip_whitespace=True)


def _condition(text: str) -> str:
    try:
        parse(text)
    except ConditionError as exc:
        raise ValueError(f"condition {text!r}: {exc} (at character {exc.column})") from None
    return text


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _iso_date(value: str) -> str:
    dt.date.fromisoformat(value)
    return value


ConditionText = Annotated[str, AfterValidator(_condition)]
QuestionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
ChoiceId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Points = Annotated[float, Field(ge=0, le=MAX_POINTS)]
IsoDate = Annotated[str, AfterValidator(_iso_date)]
# One text or a list of them (``citation: 45 CFR 164.312(d)`` or a list of citations).
TextList = Annotated[
    list[str], BeforeValidator(_listed),
    WithJsonSchema({"anyOf": [{"type": "string"},
                              {"type": "array", "items": {"type": "string"}}]}),
]


class Finding(Model):
    """What a risky answer raises: shown to the officer, and ``ask`` to the vendor."""

    severity: Severity
    title: str = Field(min_length=1)
    remediation: str = Field(min_length=1)
    ask: str = ""


class Choice(Model):
    id: ChoiceId
    label: str | None = None
    points: Points | None = None
    show_if: ConditionText | None = None
    finding: Finding | None = None

    @property
    def text(self) -> str:
        return self.label or self.id.replace("_", " ").capitalize()


class Band(Model):
    """Points for a number (or an age in days) up to ``max``; the last band has no max."""

    max: float | None = None
    points: Points
    finding: Finding | None = None


class NotApplicable(Model):
    scoring: Literal["excluded", "met", "unmet"] = "excluded"


class CommentRule(Model):
    required_when: list[ChoiceId]


class EvidenceRule(Model):
    required_when: list[ChoiceId] = []
    kinds: list[str] = []


class Rule(Model):
    rule: ConditionText
    message: str = Field(min_length=1)


@dataclass(frozen=True)
class Risk:
    """How risky one answer is: ``points`` from 0 (the answer hoped for) to 10 (the worst
    any answer can be), the answer in words, and the finding it raises, if any. Points are
    absolute, not relative to the question's own worst choice: a question whose worst answer
    is worth 5 can never count for more than half its weight."""

    points: float
    answer: str
    finding: Finding | None = None

    @property
    def ratio(self) -> float:
        return min(self.points, MAX_POINTS) / MAX_POINTS


# --- the types -----------------------------------------------------------------------------------


class Question(Model):
    """What every question type has; see questionnaires/README.md for the meaning of each."""

    id: QuestionId
    type: str
    text: str = Field(min_length=1)
    help: str = ""
    why: str = ""
    reviewer_guidance: str = ""
    citation: TextList = []
    required: bool = False
    required_if: ConditionText | None = None
    show_if: ConditionText | None = None
    weight: float = Field(1.0, ge=0, le=100)
    not_applicable: NotApplicable | None = None
    comment: Literal["optional", "required"] | CommentRule = "optional"
    evidence: EvidenceRule | None = None
    rules: list[Rule] = Field([], alias="validate")

    def is_scored(self) -> bool:
        """Whether answers to it carry points (a weight of 0 still leaves it unscored)."""
        return False

    def choice_ids(self) -> list[str]:
        return []

    def is_answered(self, value: Any) -> bool:
        return value not in (None, "", [], {})

    def problems(self, value: Any) -> list[str]:
        """What is wrong with an answer that was given (not whether one was needed)."""
        return []

    def risk(self, value: Any) -> Risk | None:
        """The answer's risk; ``None`` when this type or this question is not scored."""
        return None

    def describe(self, value: Any) -> str:
        """The answer in words, for reviewers and reports."""
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return "" if value is None else str(value)

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.StringField(**kwargs)


class ChoiceQuestion(Question):
    choices: list[Choice] = Field(min_length=1)

    @model_validator(mode="after")
    def _points_on_all_or_none(self) -> ChoiceQuestion:
        with_points = [choice.id for choice in self.choices if choice.points is not None]
        if with_points and len(with_points) != len(self.choices):
            missing = [c.id for c in self.choices if c.points is None]
            raise ValueError(f"choices {', '.join(missing)} have no points, but "
                             f"{', '.join(with_points)} do: give every choice points")
        return self

    def is_scored(self) -> bool:
        return any(choice.points is not None for choice in self.choices)

    def choice_ids(self) -> list[str]:
        return [choice.id for choice in self.choices]

    def choice(self, choice_id: str) -> Choice | None:
        return next((choice for choice in self.choices if choice.id == choice_id), None)

    def describe(self, value: Any) -> str:
        ids = value if isinstance(value, list) else [value]
        return ", ".join(c.text if (c := self.choice(str(i))) else str(i) for i in ids)


class SingleChoice(ChoiceQuestion):
    type: Literal["single_choice"]

    def problems(self, value: Any) -> list[str]:
        if value not in self.choice_ids():
            return [f"{value!r} is not one of the choices"]
        return []

    def risk(self, value: Any) -> Risk | None:
        choice = self.choice(str(value))
        if not self.is_scored() or choice is None:
            return None
        return Risk(choice.points or 0.0, choice.text, choice.finding)

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.RadioField(choices=[SelectChoice(c.id, c.text) for c in self.choices],
                              validate_choice=False, **kwargs)


class YesNo(SingleChoice):
    type: Literal["yes_no"]  # type: ignore[assignment]
    choices: list[Choice] = [Choice(id="yes", label="Yes"), Choice(id="no", label="No")]

    @model_validator(mode="after")
    def _yes_and_no(self) -> YesNo:
        if sorted(self.choice_ids()) != ["no", "yes"]:
            raise ValueError('a yes_no question has exactly the choices "yes" and "no" '
                             f"(found {', '.join(self.choice_ids())}); quote them: id: \"no\"")
        return self


class MultipleChoice(ChoiceQuestion):
    type: Literal["multiple_choice"]
    scoring: Literal["worst", "best", "sum"] = "worst"
    min_selected: int = Field(0, ge=0)
    max_selected: int | None = Field(None, ge=1)

    def problems(self, value: Any) -> list[str]:
        if not isinstance(value, list):
            return ["pick from the list"]
        unknown = [v for v in value if v not in self.choice_ids()]
        if unknown:
            return [f"{', '.join(map(repr, unknown))} not among the choices"]
        if len(value) < self.min_selected:
            return [f"pick at least {self.min_selected}"]
        if self.max_selected is not None and len(value) > self.max_selected:
            return [f"pick at most {self.max_selected}"]
        return []

    def risk(self, value: Any) -> Risk | None:
        picked = [c for c in self.choices if isinstance(value, list) and c.id in value]
        if not self.is_scored() or not picked:
            return None
        points = [c.points or 0.0 for c in picked]
        combine = {"sum": sum, "worst": max, "best": min}[self.scoring]
        findings = [c.finding for c in picked if c.finding is not None]
        finding = max(findings, key=lambda f: SEVERITY_RANK[f.severity], default=None)
        return Risk(min(combine(points), MAX_POINTS), self.describe(value), finding)

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.SelectMultipleField(choices=[SelectChoice(c.id, c.text) for c in self.choices],
                                       validate_choice=False, widget=ListWidget(),
                                       option_widget=CheckboxInput(), **kwargs)


class _Text(Question):
    min_length: int = Field(0, ge=0)
    max_length: int = Field(5000, ge=1, le=100_000)
    pattern: str | None = None
    message: str = ""

    @model_validator(mode="after")
    def _pattern_compiles(self) -> _Text:
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern {self.pattern!r} is not a regular expression: "
                                 f"{exc}") from None
        return self

    def problems(self, value: Any) -> list[str]:
        text = str(value)
        if len(text) < self.min_length:
            return [self.message or f"write at least {self.min_length} characters"]
        if len(text) > self.max_length:
            return [self.message or f"write at most {self.max_length} characters"]
        if self.pattern and not re.fullmatch(self.pattern, text):
            return [self.message or "not in the expected form"]
        return []


class ShortText(_Text):
    type: Literal["short_text"]
    max_length: int = Field(300, ge=1, le=1000)


class LongText(_Text):
    type: Literal["long_text"]

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.TextAreaField(**kwargs)


def _band_risk(bands: Sequence[Band], measure: float, answer: str) -> Risk | None:
    if not bands:
        return None
    band = next((b for b in bands if b.max is None or measure <= b.max), bands[-1])
    return Risk(band.points, answer, band.finding)


def _bands_in_order(bands: Sequence[Band]) -> None:
    if not bands:
        return
    limits = [band.max for band in bands]
    if limits[-1] is not None:
        raise ValueError("the last band must have no max, so every answer falls in a band")
    finite = [limit for limit in limits[:-1] if limit is not None]
    if len(finite) != len(limits) - 1 or finite != sorted(set(finite)):
        raise ValueError("band max values must rise from one band to the next")


class Number(Question):
    type: Literal["number"]
    unit: str = ""
    min: float | None = None
    max: float | None = None
    integer: bool = False
    bands: list[Band] = []

    @model_validator(mode="after")
    def _check_bands(self) -> Number:
        _bands_in_order(self.bands)
        return self

    def is_scored(self) -> bool:
        return bool(self.bands)

    def problems(self, value: Any) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ["enter a number"]
        if self.integer and value != int(value):
            return ["enter a whole number"]
        if self.min is not None and value < self.min:
            return [f"enter at least {self.min:g}"]
        if self.max is not None and value > self.max:
            return [f"enter at most {self.max:g}"]
        return []

    def risk(self, value: Any) -> Risk | None:
        if self.problems(value):
            return None
        return _band_risk(self.bands, float(value), self.describe(value))

    def describe(self, value: Any) -> str:
        return f"{value:g} {self.unit}".strip() if isinstance(value, int | float) else ""

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.DecimalField(places=None, **kwargs)  # "20", not "20.00"


class Date(Question):
    type: Literal["date"]
    min: IsoDate | None = None
    max: IsoDate | None = None
    age_bands: list[Band] = []

    @model_validator(mode="after")
    def _check_bands(self) -> Date:
        _bands_in_order(self.age_bands)
        return self

    def is_scored(self) -> bool:
        return bool(self.age_bands)

    def problems(self, value: Any) -> list[str]:
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return ["enter a date as YYYY-MM-DD"]
        if self.min and str(value) < self.min:
            return [f"enter {self.min} or later"]
        if self.max and str(value) > self.max:
            return [f"enter {self.max} or earlier"]
        if self.age_bands and dt.date.fromisoformat(str(value)) > dt.date.today():
            return ["enter a date that has passed"]  # an age cannot be negative
        return []

    def risk(self, value: Any, today: dt.date | None = None) -> Risk | None:
        if self.problems(value):
            return None
        age = ((today or dt.date.today()) - dt.date.fromisoformat(str(value))).days
        return _band_risk(self.age_bands, float(age), f"{value} ({age} days ago)")

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.DateField(**kwargs)


class Url(Question):
    type: Literal["url"]

    def problems(self, value: Any) -> list[str]:
        if not re.fullmatch(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", str(value)):
            return ["enter a web address starting with https://"]
        return []

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.URLField(**kwargs)


class Email(Question):
    type: Literal["email"]

    def problems(self, value: Any) -> list[str]:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(value)):
            return ["enter an email address"]
        return []

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.EmailField(**kwargs)


class Outside(Model):
    """Points when any country answered is not in ``countries``."""

    countries: list[str] = Field(min_length=1)
    points: Points
    finding: Finding | None = None

    @model_validator(mode="after")
    def _known_codes(self) -> Outside:
        unknown = [code for code in self.countries if code not in COUNTRY_CODES]
        if unknown:
            raise ValueError(f"not ISO 3166 alpha-2 codes: {', '.join(unknown)} (e.g. US, DE)")
        return self


class Countries(Question):
    type: Literal["countries"]
    outside: Outside | None = None

    def is_scored(self) -> bool:
        return self.outside is not None

    def problems(self, value: Any) -> list[str]:
        if not isinstance(value, list):
            return ["pick countries from the list"]
        unknown = [code for code in value if code not in COUNTRY_CODES]
        return [f"not a country code: {', '.join(map(str, unknown))}"] if unknown else []

    def risk(self, value: Any) -> Risk | None:
        if self.outside is None or not isinstance(value, list) or not value:
            return None
        elsewhere = [code for code in value if code not in self.outside.countries]
        finding = self.outside.finding if elsewhere else None
        return Risk(self.outside.points if elsewhere else 0.0, self.describe(value), finding)

    def describe(self, value: Any) -> str:
        codes = value if isinstance(value, list) else []
        return ", ".join(COUNTRY_CODES.get(code, code) for code in codes)

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.SelectMultipleField(choices=_COUNTRY_CHOICES, validate_choice=False, **kwargs)


class File(Question):
    type: Literal["file"]
    kinds: list[str] = []
    max_files: int = Field(5, ge=1, le=50)

    def problems(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(f, dict) for f in value):
            return ["attach a file"]
        if len(value) > self.max_files:
            return [f"attach at most {self.max_files} files"]
        return []

    def describe(self, value: Any) -> str:
        files = value if isinstance(value, list) else []
        return ", ".join(str(f.get("name", "file")) for f in files if isinstance(f, dict))

    def form_field(self, **kwargs: Any) -> UnboundField:
        return wtf.MultipleFileField(**kwargs)


class Group(Question):
    """Rows of sub-questions: one per subprocessor, data centre, ..."""

    type: Literal["group"]
    questions: list[AnyQuestion] = Field(min_length=1)
    min_rows: int = Field(0, ge=0)
    max_rows: int = Field(50, ge=1, le=500)

    @model_validator(mode="after")
    def _flat_rows(self) -> Group:
        nested = [q.id for q in self.questions if isinstance(q, Group)]
        if nested:
            raise ValueError(f"a group cannot hold another group ({', '.join(nested)})")
        return self

    def problems(self, value: Any) -> list[str]:
        rows = value if isinstance(value, list) else None
        if rows is None:
            return ["add rows"]
        if len(rows) < self.min_rows:
            return [f"add at least {self.min_rows} row(s)"]
        if len(rows) > self.max_rows:
            return [f"add at most {self.max_rows} rows"]
        return []

    def describe(self, value: Any) -> str:
        return f"{len(value)} row(s)" if isinstance(value, list) else ""


QUESTION_TYPES: dict[str, type[Question]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in (YesNo, SingleChoice, MultipleChoice, ShortText, LongText, Number, Date, Url,
                Email, Countries, File, Group)
}

AnyQuestion = Annotated[
    YesNo | SingleChoice | MultipleChoice | ShortText | LongText | Number | Date | Url | Email
    | Countries | File | Group,
    Field(discriminator="type"),
]
Group.model_rebuild()
