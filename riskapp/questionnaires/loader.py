"""Load questionnaire files into definitions, or into errors a privacy officer can act on.

:func:`load_directory` reads ``questionnaires/`` (questionnaires at the top, banks in
``banks/``), includes the banks, runs the checks of :mod:`riskapp.questionnaires.checks` and
returns every definition that is sound, with every error found: each names the file, line and
column and says what is wrong in plain words. Nothing here raises for a bad file.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from riskapp.questionnaires.checks import IncludeSource, SectionSource, check_questionnaire
from riskapp.questionnaires.definition import (
    BankFile,
    Include,
    Questionnaire,
    QuestionnaireFile,
    Section,
)
from riskapp.questionnaires.question_types import QUESTION_TYPES
from riskapp.questionnaires.yaml_source import Document, Position, SourceError, load_yaml
from riskapp.questionnaires.yaml_source import Path as DataPath

BANK_FOLDER = "banks"
_UNION_TAGS: dict[str, type[BaseModel]] = {
    **QUESTION_TYPES, "section": Section, "include": Include,
}


@dataclass(frozen=True)
class Library:
    """Every questionnaire that loaded, by id, and every error met on the way."""

    questionnaires: dict[str, Questionnaire] = field(default_factory=dict)
    errors: list[SourceError] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # questionnaire id -> its file


@dataclass(frozen=True)
class _Bank:
    model: BankFile
    document: Document


def load_directory(directory: Path) -> Library:
    """Load every ``*.yaml`` questionnaire in ``directory`` and the banks they include."""
    errors: list[SourceError] = []
    banks = _load_banks(directory / BANK_FOLDER, errors)
    library = Library(errors=errors)
    for path in sorted(directory.glob("*.yaml")):
        questionnaire = _load_questionnaire(path, banks, errors)
        if questionnaire is None:
            continue
        if questionnaire.id in library.questionnaires:
            errors.append(SourceError(str(path), _first_line(),
                                      f"id '{questionnaire.id}' is already used by "
                                      f"{library.files[questionnaire.id]}"))
            continue
        library.questionnaires[questionnaire.id] = questionnaire
        library.files[questionnaire.id] = str(path)
    return library


def load_file(path: Path) -> tuple[Questionnaire | None, list[SourceError]]:
    """Load one questionnaire file, with the banks of the folder it sits in."""
    errors: list[SourceError] = []
    if path.parent.name == BANK_FOLDER:
        return _check_bank(path, errors), errors
    banks = _load_banks(path.parent / BANK_FOLDER, errors)
    return _load_questionnaire(path, banks, errors), errors


def _check_bank(path: Path, errors: list[SourceError]) -> Questionnaire | None:
    """A bank checked on its own, as a questionnaire of just its sections, so its ids and
    conditions are checked as they will be wherever it is included."""
    document = _read(path, errors)
    model = _validate(BankFile, document, errors) if document else None
    if model is None or document is None:
        return None
    as_questionnaire = Questionnaire(id=model.bank, title=model.title, version="0.0.0",
                                     sections=model.sections)
    sources = [SectionSource(document, ("sections", index), section.show_if)
               for index, section in enumerate(model.sections)]
    problems = check_questionnaire(as_questionnaire, sources)
    errors.extend(problems)
    return None if problems else as_questionnaire


M = TypeVar("M", bound=BaseModel)


def _first_line() -> Position:
    return Position(1, 1)


def read_document(path: Path, errors: list[SourceError]) -> Document | None:
    """Read a YAML file into a :class:`Document`, or add why it cannot be read to ``errors``."""
    return _read(path, errors)


def validate_document(model: type[M], document: Document, errors: list[SourceError]) -> M | None:
    """Validate ``document`` as ``model``; each pydantic error becomes a file:line:column one."""
    return _validate(model, document, errors)


def _read(path: Path, errors: list[SourceError]) -> Document | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        errors.append(SourceError(str(path), _first_line(),
                                  f"not UTF-8 text (byte {exc.start}); save it as UTF-8"))
        return None
    except OSError as exc:
        errors.append(SourceError(str(path), _first_line(), f"cannot read: {exc.strerror}"))
        return None
    try:
        return load_yaml(text, str(path))
    except SourceError as exc:
        errors.append(exc)
        return None


def _validate(model: type[M], document: Document, errors: list[SourceError]) -> M | None:
    if not isinstance(document.data, dict):
        errors.append(document.error((), "expected keys and values (id: ..., title: ...) "
                                         "at the top of the file"))
        return None
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        errors.extend(_explain(model, document, error) for error in _dedupe(exc.errors()))
        return None


def _load_banks(folder: Path, errors: list[SourceError]) -> dict[str, _Bank]:
    banks: dict[str, _Bank] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        document = _read(path, errors)
        model = _validate(BankFile, document, errors) if document else None
        if model is None or document is None:
            continue
        if model.bank in banks:
            errors.append(document.error(("bank",), f"bank '{model.bank}' is also defined in "
                                                    f"{banks[model.bank].document.file}"))
            continue
        banks[model.bank] = _Bank(model, document)
    return banks


def _load_questionnaire(path: Path, banks: dict[str, _Bank],
                        errors: list[SourceError]) -> Questionnaire | None:
    document = _read(path, errors)
    model = _validate(QuestionnaireFile, document, errors) if document else None
    if model is None or document is None:
        return None
    sections: list[Section] = []
    sources: list[SectionSource] = []
    for index, entry in enumerate(model.sections):
        if isinstance(entry, Section):
            sections.append(entry)
            sources.append(SectionSource(document, ("sections", index), entry.show_if))
            continue
        bank = banks.get(entry.include)
        if bank is None:
            errors.append(document.error(("sections", index, "include"),
                                         f"no bank '{entry.include}' in {BANK_FOLDER}/"
                                         f"{_suggest(entry.include, banks)}"))
            return None
        included = IncludeSource(document, ("sections", index), entry.show_if)
        for bank_index, section in enumerate(bank.model.sections):
            sections.append(_under(section, entry.show_if))
            sources.append(SectionSource(bank.document, ("sections", bank_index),
                                         section.show_if, included))
    questionnaire = Questionnaire(
        id=model.id, title=model.title, version=model.version, description=model.description,
        applies_to=model.applies_to, sections=sections, attestation=model.attestation)
    problems = check_questionnaire(questionnaire, sources)
    errors.extend(problems)
    return None if problems else questionnaire


def _under(section: Section, condition: str | None) -> Section:
    """A bank's section as included: shown only when the include's condition holds too."""
    if condition is None:
        return section
    combined = condition if section.show_if is None else f"({condition}) and ({section.show_if})"
    return section.model_copy(update={"show_if": combined})


# --- pydantic's errors in a privacy officer's words --------------------------------------------


def _dedupe(errors: Iterable[Any]) -> list[Any]:
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for error in errors:
        key = (tuple(error["loc"]), error["type"])
        if key not in seen:
            seen.add(key)
            unique.append(error)
    return unique


def _data_path(data: Any, loc: Sequence[str | int]) -> tuple[DataPath, list[str | int]]:
    """The part of ``loc`` that exists in the data, and the model path (union tags kept)."""
    path: list[str | int] = []
    current = data
    previous: str | int | None = None
    for part in loc:
        tag = isinstance(previous, int) and isinstance(part, str) and part in _UNION_TAGS
        previous = part
        if tag:
            continue  # pydantic names the union member after the list index; not a key
        in_mapping = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_mapping or in_list:
            current = current[part]
            path.append(part)
        elif isinstance(part, str) and part in _UNION_TAGS:
            continue  # a union tag pydantic adds to the location, not a key in the file
        else:
            path.append(part)
            break
    return tuple(path), list(loc)


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation can hold (through Annotated, lists and unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (list, typing.Union) or str(origin) == "<class 'types.UnionType'>":
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _keys_allowed(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys the model at ``loc`` (the mapping holding the last part) accepts."""
    candidates: list[type[BaseModel]] = [root]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if part in _UNION_TAGS:
            candidates = [_UNION_TAGS[part]]
            continue
        found = [m for model in candidates for name, field in model.model_fields.items()
                 if part in (name, field.alias) for m in _unwrap(field.annotation)]
        candidates = found or candidates
    keys = {field.alias or name for model in candidates for name, field in
            model.model_fields.items()}
    return sorted(keys)


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _explain(root: type[BaseModel], document: Document, error: Any) -> SourceError:
    path, loc = _data_path(document.data, error["loc"])
    kind, message = error["type"], str(error["msg"])
    name = next((str(part) for part in reversed(path) if isinstance(part, str)), "value")
    if kind == "extra_forbidden":
        allowed = _keys_allowed(root, loc)
        return document.error(path, f"unknown key '{path[-1]}'{_suggest(str(path[-1]), allowed)}"
                                    f"; allowed here: {', '.join(allowed)}", key=True)
    if kind == "missing":
        return document.error(path[:-1], f"'{path[-1]}' is missing")
    if kind == "union_tag_invalid":
        tag = error["ctx"]["tag"]
        return document.error((*path, "type"), f"'{tag}' is not a question type"
                              f"{_suggest(str(tag), QUESTION_TYPES)}; the types are: "
                              f"{', '.join(QUESTION_TYPES)}")
    if kind == "union_tag_not_found":
        return document.error(path, "'type' is missing: say which kind of question this is")
    if kind == "string_pattern_mismatch" and name in ("id", "bank", "include", "version"):
        return document.error(path, _pattern_words(name, error["input"]))
    if kind == "value_error":
        return document.error(path, message.removeprefix("Value error, "))
    message = message.replace("Input should be", "should be")
    return document.error(path, f"{name}: {message} (found {error['input']!r})"
                          if not isinstance(error["input"], dict | list) else f"{name}: {message}")


def _pattern_words(name: str, value: Any) -> str:
    if name == "version":
        return f"version {value!r} should be MAJOR.MINOR.PATCH, like 1.0.0"
    if name in ("bank", "include"):
        return f"{value!r} is not a valid name: use lower-case letters, digits and -"
    return (f"id {value!r} is not valid: use lower-case letters, digits and _ (questions, "
            "sections) or - (questionnaires), starting with a letter")
