"""The questionnaire format as typed models: what a file may say, and the resolved definition.

:class:`QuestionnaireFile` and :class:`BankFile` are the two kinds of file as written;
:class:`Questionnaire` is a questionnaire with its banks included, the thing assessments
snapshot, forms render and scoring reads. Question types live in
:mod:`riskapp.questionnaires.question_types`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from riskapp.questionnaires.prepared import PreparedQuestionnaire, prepare
from riskapp.questionnaires.question_types import (
    AnyQuestion,
    ConditionText,
    Group,
    Model,
    Question,
)

# The vendor categories of riskapp.vendors.models.Category (a test keeps the two in step; the
# engine does not import the app's models).
Category = Literal["email", "hosting", "marketing", "other"]
SectionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
FileId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
Version = Annotated[str, Field(pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")]


class Section(Model):
    id: SectionId
    title: str = Field(min_length=1)
    intro: str = ""
    weight: float = Field(1.0, ge=0, le=100)
    show_if: ConditionText | None = None
    intake: bool = False
    questions: list[AnyQuestion] = Field(min_length=1)


class Include(Model):
    """``- include: baa-and-contract``: every section of that bank, in its order; with
    ``show_if``, only when the condition holds (a vendor that never touches PHI is not asked
    about its BAA)."""

    include: FileId
    show_if: ConditionText | None = None


def _section_or_include(value: Any) -> str:
    return "include" if isinstance(value, dict) and "include" in value else "section"


SectionEntry = Annotated[
    Annotated[Section, Tag("section")] | Annotated[Include, Tag("include")],
    Discriminator(_section_or_include),
]


class Attestation(Model):
    statement: str = Field(min_length=1)


class QuestionnaireFile(Model):
    """A questionnaire as written in ``questionnaires/NAME.yaml``."""

    id: FileId
    title: str = Field(min_length=1)
    version: Version
    description: str = ""
    applies_to: list[Category] = []
    sections: list[SectionEntry] = Field(min_length=1)
    attestation: Attestation | None = None


class BankFile(Model):
    """Sections shared by several questionnaires, in ``questionnaires/banks/NAME.yaml``."""

    bank: FileId
    title: str = Field(min_length=1)
    sections: list[Section] = Field(min_length=1)


class Questionnaire(Model):
    """A questionnaire with its banks included: what an assessment is sent with."""

    id: FileId
    title: str
    version: Version
    description: str = ""
    applies_to: list[Category] = []
    sections: list[Section]
    attestation: Attestation | None = None

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the definition's canonical JSON: any change of substance changes it."""
        canonical = json.dumps(self.snapshot(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def snapshot(self) -> dict[str, Any]:
        """The definition as JSON data; :meth:`model_validate` reads it back unchanged."""
        return self.model_dump(mode="json", by_alias=True)

    def questions(self) -> Iterator[tuple[Section, Question]]:
        """Every top-level question with its section, in order (group rows not unpacked)."""
        for section in self.sections:
            for question in section.questions:
                yield section, question

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {question.id: question for _, question in self.questions()}

    @cached_property
    def prepared(self) -> PreparedQuestionnaire:
        """The definition ready to evaluate answer sets (conditions compiled, lookups made),
        built on first use and kept: a rescore evaluates the same definition thousands of
        times."""
        return prepare(self)

    def groups(self) -> list[Group]:
        return [q for _, q in self.questions() if isinstance(q, Group)]
