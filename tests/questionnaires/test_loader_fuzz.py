"""The loader never crashes: whatever a file holds, it gives a questionnaire or errors that name
the file, a line and a column.

Property tests feed it arbitrary text, YAML-shaped token soup and mutations of a valid
questionnaire; a few large inputs check that size alone breaks nothing (how fast it goes is
measured in bench/, not asserted here).
"""

from __future__ import annotations

import copy
import os
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.loader import load_file
from riskapp.questionnaires.question_types import QUESTION_TYPES
from riskapp.questionnaires.yaml_source import MAX_BYTES, MAX_DEPTH, SourceError

# No example database: a failure is reproduced from the example hypothesis prints, not from
# state kept between runs. For a longer hunt, run with RISKAPP_FUZZ_EXAMPLES=5000.
EXAMPLES = int(os.environ.get("RISKAPP_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

VALID: dict[str, Any] = {
    "id": "fuzz-vendor",
    "title": "Fuzz vendor questionnaire",
    "version": "1.0.0",
    "description": "For vendors that store PHI on our behalf.",
    "applies_to": ["email", "hosting"],
    "sections": [
        {"id": "profile", "title": "About the service", "intake": True, "questions": [
            {"id": "phi_volume", "type": "single_choice", "text": "How many records?",
             "choices": [{"id": "none", "label": "None", "points": 0},
                         {"id": "under_10k", "points": 4},
                         {"id": "over_10k", "points": 10}]},
        ]},
        {"id": "access", "title": "Access control", "weight": 2, "questions": [
            {"id": "mfa", "type": "yes_no", "text": "Multi-factor authentication?",
             "required": True, "citation": "45 CFR 164.312(d)",
             "choices": [
                 {"id": "yes", "points": 0},
                 {"id": "no", "points": 10,
                  "finding": {"severity": "high", "title": "No MFA",
                              "remediation": "Require MFA.", "ask": "When?"}}],
             "comment": {"required_when": ["no"]}},
            {"id": "mfa_methods", "type": "multiple_choice", "text": "Which factors?",
             "show_if": 'mfa == "yes"', "scoring": "worst",
             "choices": [{"id": "totp", "points": 0}, {"id": "sms", "points": 4}]},
            {"id": "session_timeout", "type": "number", "text": "Idle minutes?",
             "unit": "minutes", "min": 1, "max": 1440, "integer": True,
             "bands": [{"max": 30, "points": 0}, {"max": 240, "points": 5},
                       {"points": 10, "finding": {"severity": "medium", "title": "Long sessions",
                                                  "remediation": "Sign out after 30 min."}}],
             "not_applicable": {"scoring": "excluded"}},
            {"id": "last_review", "type": "date", "text": "Last access review?",
             "min": "2000-01-01", "show_if": 'phi_volume in ["under_10k", "over_10k"]',
             "age_bands": [{"max": 365, "points": 0}, {"points": 6}]},
        ]},
        {"id": "locations", "title": "Where the data lives", "questions": [
            {"id": "data_countries", "type": "countries", "text": "Which countries?",
             "required": True, "outside": {"countries": ["US"], "points": 6}},
            {"id": "subprocessors", "type": "group", "text": "Subprocessors", "max_rows": 50,
             "questions": [
                 {"id": "name", "type": "short_text", "text": "Company", "required": True},
                 {"id": "country", "type": "countries", "text": "Country"},
             ]},
            {"id": "soc2_report", "type": "file", "text": "SOC 2 Type II report",
             "kinds": ["soc2_type2"],
             "required_if": 'count(subprocessors, country != "US") > 0 and mfa != "no"'},
            {"id": "contact", "type": "email", "text": "Security contact"},
            {"id": "status_page", "type": "url", "text": "Status page",
             "validate": [{"rule": "answered(contact) or answered(status_page)",
                           "message": "Give a contact or a status page."}]},
            {"id": "notes", "type": "long_text", "text": "Anything else?", "max_length": 2000,
             "show_if": "not (count(subprocessors) == 0)"},
        ]},
    ],
    "attestation": {"statement": "I confirm these answers are accurate."},
}

VOCABULARY = sorted({
    "id", "title", "version", "description", "applies_to", "sections", "include", "bank",
    "attestation", "statement", "intro", "weight", "show_if", "intake", "questions", "type",
    "text", "help", "why", "reviewer_guidance", "citation", "required", "required_if",
    "not_applicable", "scoring", "comment", "required_when", "evidence", "kinds", "validate",
    "rule", "message", "choices", "label", "points", "finding", "severity", "remediation",
    "ask", "min_selected", "max_selected", "min_length", "max_length", "pattern", "unit",
    "min", "max", "integer", "bands", "age_bands", "outside", "countries", "max_files",
    "min_rows", "max_rows", *QUESTION_TYPES,
})
CONDITION_KEYS = ("show_if", "required_if", "rule")


# --- loading and judging one file --------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for a test's examples (hypothesis runs many examples per fixture)."""
    return tmp_path_factory.mktemp("questionnaires")


def load_text(folder: Path, text: str) -> tuple[Questionnaire | None, list[SourceError], Path]:
    path = folder / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    model, errors = load_file(path)
    return model, errors, path


def assert_model_or_located_errors(model: Questionnaire | None, errors: list[SourceError],
                                   *files: Path) -> None:
    """A questionnaire and no errors, or no questionnaire and errors that each name one of
    ``files``, a 1-based line and column, then what is wrong."""
    assert (model is None) == bool(errors), (model, errors)
    assert model is None or isinstance(model, Questionnaire)
    located = re.compile("(?:" + "|".join(re.escape(str(f)) for f in files)
                         + r"):([1-9][0-9]*):([1-9][0-9]*): \S", re.DOTALL)
    for error in errors:
        assert isinstance(error, SourceError)
        assert located.match(str(error)), str(error)


def as_yaml(data: Any, *, flow: bool = False) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=flow,
                          width=100)


# --- the clean original ------------------------------------------------------------------------


@pytest.mark.parametrize("flow", [False, True], ids=["block", "flow"])
def test_the_clean_definition_loads_without_errors(folder: Path, flow: bool) -> None:
    model, errors, _ = load_text(folder, as_yaml(VALID, flow=flow))

    assert errors == []
    assert model is not None
    assert [q.id for _, q in model.questions()][:3] == ["phi_volume", "mfa", "mfa_methods"]


def test_the_clean_definition_uses_every_question_type() -> None:
    def types(questions: list[dict[str, Any]]) -> set[str]:
        return {q["type"] for q in questions} | {t for q in questions
                                                 for t in types(q.get("questions", []))}

    used = {t for section in VALID["sections"] for t in types(section["questions"])}

    assert used == set(QUESTION_TYPES)


# --- arbitrary text ----------------------------------------------------------------------------

UTF8_TEXT = st.text(st.characters(codec="utf-8"), max_size=400)


@FUZZ
@given(text=UTF8_TEXT)
def test_any_text_gives_a_model_or_located_errors(folder: Path, text: str) -> None:
    model, errors, path = load_text(folder, text)

    assert_model_or_located_errors(model, errors, path)


@FUZZ
@given(content=st.binary(max_size=400))
def test_any_bytes_give_a_model_or_located_errors(folder: Path, content: bytes) -> None:
    path = folder / "fuzz.yaml"
    path.write_bytes(content)

    model, errors = load_file(path)

    assert_model_or_located_errors(model, errors, path)


YAML_TOKENS = [
    ":", ": ", "-", "- ", "[", "]", "{", "}", ",", ", ", "&a ", "*a", "&b", "*b", "'", '"',
    "\n", "\n", "\n", "  ", "    ", " ", "\t", "#", "# c", "---", "...", "!!python/object ",
    "!tag ", "!!str ", "!!map ", "!!seq ", "!!int ", "!!bool ", "<<", "? ", "|", ">",
    "%YAML 1.2", "\\", "~", "null",
    "yes", "no", "on", "off", "true", "false", "1", "-1", "1.5", ".inf", "1e400", "0x1f",
    "2024-01-31", "2024-13-45", "2024-02-30", "12:30", '"yes"', "'no'",
    'mfa == "yes"', "count(subprocessors) > 0", "answered(", ") and not", " in [", "x" * 80,
]
YAML_WORDS = st.sampled_from(YAML_TOKENS) | st.sampled_from(VOCABULARY) | st.text(
    string.ascii_lowercase + "_-", min_size=1, max_size=8)


@FUZZ
@given(tokens=st.lists(YAML_WORDS, max_size=80))
def test_yaml_token_soup_gives_a_model_or_located_errors(folder: Path, tokens: list[str]) -> None:
    model, errors, path = load_text(folder, "".join(tokens))

    assert_model_or_located_errors(model, errors, path)


STANDARD_TAGS = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary",
                 "!!map", "!!seq", "!!set", "!!omap", "!!pairs"]
SCALAR_TEXTS = ["", "_", "-", "0", "1_000", "0x1f", "0o17", "0b101", "1e3", ".nan", "yes",
                "maybe", "true", "2024-01-31", "2024-02-30", "soon", "aGVsbG8=", "%%%", "~"]


@FUZZ
@example(tag="!!int", text="", as_key=False)  # the first crash the token soup found
@given(tag=st.sampled_from(STANDARD_TAGS), text=st.sampled_from(SCALAR_TEXTS),
       as_key=st.booleans())
def test_an_explicit_standard_tag_gives_a_model_or_located_errors(
        folder: Path, tag: str, text: str, as_key: bool) -> None:
    line = f"? {tag} {text}\n: x\n" if as_key else f"weight: {tag} {text}\n"

    model, errors, path = load_text(folder, "id: fuzz\n" + line)

    assert_model_or_located_errors(model, errors, path)


@st.composite
def yaml_lines(draw: st.DrawFn) -> str:
    """Lines shaped like a questionnaire: indentation, maybe a dash, a key, maybe a value."""
    lines = []
    for _ in range(draw(st.integers(1, 40))):
        indent = " " * draw(st.sampled_from([0, 1, 2, 3, 4, 6, 8, 10]))
        dash = draw(st.sampled_from(["", "", "- "]))
        key = draw(st.sampled_from(VOCABULARY) | YAML_WORDS)
        value = draw(st.sampled_from(["", ""]) | YAML_WORDS | st.sampled_from(VOCABULARY))
        lines.append(f"{indent}{dash}{key}:{' ' + value if value else ''}")
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


@FUZZ
@given(text=yaml_lines())
def test_questionnaire_shaped_lines_give_a_model_or_located_errors(
        folder: Path, text: str) -> None:
    model, errors, path = load_text(folder, "id: fuzz\ntitle: Fuzz\nversion: 1.0.0\n" + text)

    assert_model_or_located_errors(model, errors, path)


# --- mutations of a valid definition -----------------------------------------------------------

Place = tuple[Any, Any]  # a container and a key or index in it


def places(tree: Any) -> Iterator[Place]:
    """Every (container, key) in the tree, depth first."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) \
        if isinstance(tree, list) else ()
    for key, value in list(items):
        yield tree, key
        yield from places(value)


def containers(tree: Any, kind: type) -> Iterator[Any]:
    if isinstance(tree, kind):
        yield tree
    children = tree.values() if isinstance(tree, dict) else tree \
        if isinstance(tree, list) else ()
    for child in children:
        yield from containers(child, kind)


ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.sampled_from(VOCABULARY)
    | st.binary(max_size=8) | st.sets(st.text(max_size=3), max_size=2),  # !!binary, !!set
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(VOCABULARY) | st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
CONDITION_PIECES = st.sampled_from([
    "(", ")", "[", "]", ",", " and ", " or ", "not ", " in ", " not in ", "==", "!=", "<", ">=",
    '"', "'", "\\", "mfa", "phi_volume", "subprocessors", "country", "unknown_q", "count(",
    "answered(", "true", "false", "1", "-2.5", '"yes"', '"maybe"', "?", "=", "!", " ",
])


def pick(draw: st.DrawFn, options: list[Any]) -> Any:
    """One of ``options``, or ``None`` when earlier mutations left none."""
    return draw(st.sampled_from(options)) if options else None


def drop_key(draw: st.DrawFn, tree: Any) -> None:
    mapping = pick(draw, [m for m in containers(tree, dict) if m])
    if mapping is not None:
        del mapping[draw(st.sampled_from(list(mapping)))]


def rename_key(draw: st.DrawFn, tree: Any) -> None:
    mapping = pick(draw, [m for m in containers(tree, dict) if m])
    if mapping is None:
        return
    old = draw(st.sampled_from(list(mapping)))
    typo = old[:-1] if len(old) > 1 else old + "x"
    new = draw(st.sampled_from([typo, old.upper(), old + "s"]) | st.sampled_from(VOCABULARY))
    mapping[new] = mapping.pop(old)


def change_type(draw: st.DrawFn, tree: Any) -> None:
    place = pick(draw, list(places(tree)))
    if place is not None:
        container, key = place
        container[key] = draw(ANY_VALUE)


def duplicate_id(draw: st.DrawFn, tree: Any) -> None:
    with_ids = [m for m in containers(tree, dict) if isinstance(m.get("id"), str)]
    target, source = pick(draw, with_ids), pick(draw, with_ids)
    if target is not None:
        target["id"] = source["id"]


def duplicate_item(draw: st.DrawFn, tree: Any) -> None:
    sequence = pick(draw, [s for s in containers(tree, list) if s])
    if sequence is not None:
        sequence.insert(draw(st.integers(0, len(sequence))),
                        copy.deepcopy(draw(st.sampled_from(sequence))))


def break_condition(draw: st.DrawFn, tree: Any) -> None:
    found = [(m, k) for m in containers(tree, dict) for k in CONDITION_KEYS if k in m]
    place = pick(draw, found)
    if place is None:
        return
    mapping, key = place
    text = str(mapping[key])
    cut = draw(st.integers(0, len(text)))
    inserted = "".join(draw(st.lists(CONDITION_PIECES, max_size=6)))
    mapping[key] = text[:cut] + inserted + text[cut + draw(st.integers(0, 5)):]


def huge_string(draw: st.DrawFn, tree: Any) -> None:
    place = pick(draw, list(places(tree)))
    if place is not None:
        container, key = place
        container[key] = draw(st.sampled_from("x(é\"' ")) * draw(st.integers(1_000, 150_000))


def nest_deeply(draw: st.DrawFn, tree: Any) -> None:
    place = pick(draw, list(places(tree)))
    if place is None:
        return
    value: Any = draw(st.sampled_from(["leaf", "yes", 1]))
    for _ in range(draw(st.integers(MAX_DEPTH - 10, MAX_DEPTH + 5))):
        value = draw(st.sampled_from([[value], {"questions": value}]))
    container, key = place
    container[key] = value


def swap_items(draw: st.DrawFn, tree: Any) -> None:
    sequence = pick(draw, [s for s in containers(tree, list) if len(s) >= 2])
    if sequence is not None:
        first, second = draw(st.lists(st.integers(0, len(sequence) - 1), min_size=2,
                                      max_size=2, unique=True))
        sequence[first], sequence[second] = sequence[second], sequence[first]


MUTATIONS: list[Callable[[st.DrawFn, Any], None]] = [
    drop_key, rename_key, change_type, duplicate_id, duplicate_item, break_condition,
    huge_string, nest_deeply, swap_items,
]


@st.composite
def mutated_definitions(draw: st.DrawFn) -> Any:
    tree = copy.deepcopy(VALID)
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4)):
        mutation(draw, tree)
    return tree


@FUZZ
@given(definition=mutated_definitions(), flow=st.booleans())
def test_a_mutated_definition_gives_a_model_or_located_errors(
        folder: Path, definition: Any, flow: bool) -> None:
    model, errors, path = load_text(folder, as_yaml(definition, flow=flow))

    assert_model_or_located_errors(model, errors, path)


@FUZZ
@given(mutation=st.sampled_from(MUTATIONS), data=st.data())
def test_each_kind_of_mutation_alone_gives_a_model_or_located_errors(
        folder: Path, mutation: Callable[[st.DrawFn, Any], None], data: st.DataObject) -> None:
    tree = copy.deepcopy(VALID)
    mutation(data.draw, tree)

    model, errors, path = load_text(folder, as_yaml(tree))

    assert_model_or_located_errors(model, errors, path)


@FUZZ
@given(condition=st.lists(CONDITION_PIECES, max_size=12).map("".join))
def test_any_condition_text_gives_a_model_or_located_errors(
        folder: Path, condition: str) -> None:
    tree = copy.deepcopy(VALID)
    tree["sections"][2]["questions"][2]["required_if"] = condition

    model, errors, path = load_text(folder, as_yaml(tree))

    assert_model_or_located_errors(model, errors, path)


# --- every key of the valid definition misspelt, one at a time --------------------------------

UNKNOWN = "zz_unknown"


def mapping_paths(tree: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(tree, dict):
        yield path
    children = tree.items() if isinstance(tree, dict) else enumerate(tree) \
        if isinstance(tree, list) else ()
    for key, child in children:
        yield from mapping_paths(child, (*path, key))


def at(tree: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def misspellings() -> Iterator[Any]:
    """(mapping path, key) for every key beside another, but ``type``: without it a question
    is not told apart, so it has no keys to list."""
    for path in mapping_paths(VALID):
        mapping = at(VALID, path)
        for key in mapping:
            if key == "type" or len(mapping) < 2:
                continue
            yield pytest.param(path, key, id=".".join(map(str, (*path, key))) or key)


@pytest.mark.parametrize(("path", "key"), list(misspellings()))
def test_an_unknown_key_is_placed_at_itself_and_lists_the_keys_beside_it(
        folder: Path, path: tuple[Any, ...], key: str) -> None:
    tree = copy.deepcopy(VALID)
    mapping = at(tree, path)
    mapping[UNKNOWN] = mapping.pop(key)
    text = as_yaml(tree)

    _, errors, _ = load_text(folder, text)

    [error] = [e for e in errors if e.message.startswith(f"unknown key '{UNKNOWN}'")]
    line = text.splitlines()[error.position.line - 1]
    assert line[error.position.column - 1:].startswith(UNKNOWN)
    allowed = error.message.partition("allowed here: ")[2].split(", ")
    assert set(mapping) - {UNKNOWN} <= set(allowed)


def test_a_stray_key_named_like_the_question_type_does_not_move_other_errors(
        folder: Path) -> None:
    tree = copy.deepcopy(VALID)
    question = tree["sections"][2]["questions"][1]["questions"][0]
    question.update({"min_length": -1, "short_text": 5})
    text = as_yaml(tree)

    _, errors, _ = load_text(folder, text)

    [error] = [e for e in errors if e.message.startswith("min_length:")]
    line = text.splitlines()[error.position.line - 1]
    assert line[error.position.column - 1:] == "-1"


@st.composite
def mutated_banks(draw: st.DrawFn) -> str:
    """A bank holding the valid definition's sections, then mutated."""
    bank = {"bank": "shared", "title": "Shared", "sections": copy.deepcopy(VALID["sections"])}
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        mutation(draw, bank)
    return as_yaml(bank)


@pytest.fixture(scope="module")
def folder_with_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("with-bank")
    (folder / "banks").mkdir()
    return folder


@FUZZ
@given(bank=st.one_of(yaml_lines(), mutated_banks()))
def test_a_broken_bank_gives_located_errors_in_the_bank_or_the_questionnaire(
        folder_with_bank: Path, bank: str) -> None:
    bank_path = folder_with_bank / "banks" / "shared.yaml"
    bank_path.write_text(bank, encoding="utf-8")
    questionnaire = {**VALID, "sections": [{"include": "shared"}]}

    model, errors, path = load_text(folder_with_bank, as_yaml(questionnaire))

    assert_model_or_located_errors(model, errors, path, bank_path)


# --- size --------------------------------------------------------------------------------------


def many_questions(count: int, *, chained: bool) -> dict[str, Any]:
    """A questionnaire of ``count`` yes/no questions, each shown only after a yes to the one
    before it when ``chained``."""
    questions = [{"id": f"q{n}", "type": "yes_no", "text": f"Question {n}?"}
                 | ({"show_if": f'q{n - 1} == "yes"'} if chained and n else {})
                 for n in range(count)]
    sections = [{"id": f"s{n}", "title": f"Part {n}", "questions": questions[n:n + 100]}
                for n in range(0, count, 100)]
    return {"id": "big", "title": "Big", "version": "1.0.0", "sections": sections}


def test_ten_thousand_questions_load(folder: Path) -> None:
    text = as_yaml(many_questions(10_000, chained=False), flow=True)
    assert len(text.encode()) < MAX_BYTES

    model, errors, _ = load_text(folder, text)

    assert errors == []
    assert model is not None
    assert len(model.by_id) == 10_000


def test_two_thousand_chained_conditions_load(folder: Path) -> None:
    model, errors, _ = load_text(folder, as_yaml(many_questions(2_000, chained=True)))

    assert errors == []
    assert model is not None
    assert model.by_id["q1999"].show_if == 'q1998 == "yes"'


def test_a_file_just_under_the_size_limit_loads(folder: Path) -> None:
    tree = copy.deepcopy(VALID)
    questions = [q for section in tree["sections"] for q in section["questions"]]
    sentence = "Describe the control in full. "
    for question in questions:
        question["help"] = sentence * (930_000 // len(sentence) // len(questions))
    text = as_yaml(tree)
    assert 900_000 < len(text.encode()) < MAX_BYTES

    model, errors, _ = load_text(folder, text)

    assert errors == []
    assert model is not None


def test_a_file_just_over_the_size_limit_is_one_error(folder: Path) -> None:
    tree = copy.deepcopy(VALID)
    tree["description"] = "x" * MAX_BYTES

    model, errors, path = load_text(folder, as_yaml(tree))

    assert model is None
    assert [str(error) for error in errors] == [
        f"{path}:1:1: file is larger than {MAX_BYTES:,} bytes"]


def nested_description(depth: int) -> dict[str, Any]:
    """The valid definition with a description nested ``depth`` levels deep in all (the file's
    own top mapping included)."""
    value: Any = "deep"
    for _ in range(depth - 1):
        value = [value]
    return {**VALID, "description": value}


def test_nesting_right_at_the_limit_is_read_and_judged_as_data(folder: Path) -> None:
    model, errors, path = load_text(folder, as_yaml(nested_description(MAX_DEPTH)))

    assert model is None
    assert errors, "a list is not a description"
    assert all("nested more than" not in error.message for error in errors)
    assert_model_or_located_errors(model, errors, path)


def test_nesting_past_the_limit_is_one_error(folder: Path) -> None:
    model, errors, _ = load_text(folder, as_yaml(nested_description(MAX_DEPTH + 1)))

    assert model is None
    assert [error.message for error in errors] == [f"nested more than {MAX_DEPTH} levels deep"]


def test_deep_flow_nesting_within_the_size_limit_is_one_error(folder: Path) -> None:
    depth = MAX_BYTES // 2 - 10

    model, errors, _ = load_text(folder, "[" * depth + "]" * depth)

    assert model is None
    assert [error.message for error in errors] == [f"nested more than {MAX_DEPTH} levels deep"]
