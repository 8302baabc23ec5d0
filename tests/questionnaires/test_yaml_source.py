"""Reading questionnaire YAML: positions for every value and key, and the refusals that keep
hand-written files honest (duplicate keys, YAML 1.1 booleans, anchors, tags, size, depth)."""

from __future__ import annotations

from textwrap import dedent

import pytest

from riskapp.questionnaires.yaml_source import (
    MAX_BYTES,
    MAX_DEPTH,
    Position,
    SourceError,
    load_yaml,
)

FILE = "questionnaires/example.yaml"

NESTED = dedent("""\
    id: example
    sections:
      - id: access
        questions:
          - id: mfa
            type: yes_no
    """)


def refusal(text: str) -> SourceError:
    """The error ``load_yaml`` raises for ``text`` (the test fails if it raises none)."""
    with pytest.raises(SourceError) as caught:
        load_yaml(text, FILE)
    return caught.value


def nested_mappings(depth: int) -> str:
    """``depth`` mappings, each the only value of the one around it, in block style."""
    lines = [f"{'  ' * level}k{level}:" for level in range(depth - 1)]
    lines.append(f"{'  ' * (depth - 1)}leaf: value")
    return "\n".join(lines) + "\n"


# --- positions ---------------------------------------------------------------------------------


def test_a_top_level_value_is_placed_at_its_first_character() -> None:
    document = load_yaml(NESTED, FILE)

    assert document.values[("id",)] == Position(1, 5)


def test_a_deeply_placed_value_has_its_own_line_and_column() -> None:
    document = load_yaml(NESTED, FILE)

    assert document.values[("sections", 0, "id")] == Position(3, 9)
    assert document.values[("sections", 0, "questions", 0, "type")] == Position(6, 15)


def test_a_key_is_placed_where_the_key_is_written_not_its_value() -> None:
    document = load_yaml(NESTED, FILE)

    assert document.keys[("sections",)] == Position(2, 1)
    assert document.keys[("sections", 0, "questions")] == Position(4, 5)
    assert document.keys[("sections", 0, "questions", 0, "type")] == Position(6, 9)


def test_a_list_item_is_placed_at_its_content() -> None:
    document = load_yaml(NESTED, FILE)

    assert document.values[("sections", 0)] == Position(3, 5)


def test_a_flow_list_item_has_its_own_column() -> None:
    document = load_yaml("applies_to: [email, hosting]\n", FILE)

    assert document.values[("applies_to", 1)] == Position(1, 21)


def test_position_asks_for_a_key_when_told_to() -> None:
    document = load_yaml(NESTED, FILE)

    assert document.position(("sections", 0, "id"), key=True) == Position(3, 5)
    assert document.position(("sections", 0, "id")) == Position(3, 9)


def test_a_missing_key_is_placed_at_the_mapping_that_lacks_it() -> None:
    document = load_yaml(NESTED, FILE)

    assert document.position(("sections", 0, "title")) == document.values[("sections", 0)]


def test_an_error_names_file_line_column_and_problem() -> None:
    document = load_yaml(NESTED, FILE)

    error = document.error(("sections", 0, "id"), "section id 'access' is already used")

    assert (error.file, error.position) == (FILE, Position(3, 9))
    assert error.message == "section id 'access' is already used"
    assert str(error) == f"{FILE}:3:9: section id 'access' is already used"


# --- duplicate keys ----------------------------------------------------------------------------


def test_a_key_given_twice_is_refused_at_its_second_place() -> None:
    error = refusal("id: example\ntitle: One\ntitle: Two\n")

    assert error.position == Position(3, 1)


def test_a_key_given_twice_names_the_line_of_the_first() -> None:
    error = refusal("id: example\ntitle: One\nversion: 1.0.0\ntitle: Two\n")

    assert error.message == "'title' is given twice (first on line 2)"


def test_a_key_given_twice_inside_a_list_item_is_refused() -> None:
    error = refusal(dedent("""\
        questions:
          - id: mfa
            text: First
            id: sso
        """))

    assert error.position == Position(4, 5)
    assert "'id' is given twice (first on line 2)" in error.message


def test_the_same_key_in_two_different_mappings_is_fine() -> None:
    document = load_yaml("a: {id: one}\nb: {id: two}\n", FILE)

    assert document.data == {"a": {"id": "one"}, "b": {"id": "two"}}


# --- scalars -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "No", "ON", "OFF", "y", "n"])
def test_yaml_1_1_boolean_words_stay_text(word: str) -> None:
    document = load_yaml(f"id: {word}\n", FILE)

    assert document.data["id"] == word


@pytest.mark.parametrize(("word", "value"), [
    ("true", True), ("True", True), ("TRUE", True),
    ("false", False), ("False", False), ("FALSE", False),
])
def test_true_and_false_are_booleans(word: str, value: bool) -> None:
    document = load_yaml(f"required: {word}\n", FILE)

    assert document.data["required"] is value


def test_a_quoted_true_is_text() -> None:
    document = load_yaml('label: "true"\n', FILE)

    assert document.data["label"] == "true"


def test_numbers_and_null_keep_their_yaml_types() -> None:
    document = load_yaml("weight: 2\npoints: 2.5\nmax:\n", FILE)

    assert document.data == {"weight": 2, "points": 2.5, "max": None}
    assert isinstance(document.data["weight"], int)


def test_a_date_stays_iso_text() -> None:
    document = load_yaml("min: 2024-01-31\n", FILE)

    assert document.data["min"] == "2024-01-31"


def test_a_timestamp_stays_iso_text() -> None:
    document = load_yaml("at: 2024-01-31 10:30:00\n", FILE)

    assert document.data["at"] == "2024-01-31T10:30:00"


def test_a_value_that_looks_like_a_date_but_is_none_is_refused_where_written() -> None:
    error = refusal("id: example\nmin: 2024-02-30\n")

    assert error.position == Position(2, 6)
    assert "2024-02-30" in error.message


def test_a_key_that_looks_like_a_date_but_is_none_is_refused_where_written() -> None:
    error = refusal("id: example\n2024-13-01: x\n")

    assert error.position == Position(2, 1)


def test_a_key_that_is_a_valid_date_is_read_as_its_text() -> None:
    document = load_yaml("2024-01-31: x\n", FILE)

    assert document.data == {"2024-01-31": "x"}


def test_a_key_that_is_a_list_is_refused() -> None:
    error = refusal("? [a, b]\n: x\n")

    assert error.message == "a key must be plain text"
    assert error.position == Position(1, 3)


# --- anchors, aliases, merge keys, tags --------------------------------------------------------


def test_an_anchor_is_refused_where_written() -> None:
    error = refusal("id: example\nbase: &shared {weight: 2}\n")

    assert error.position == Position(2, 7)
    assert "anchors and aliases" in error.message


def test_an_alias_is_refused_even_without_its_anchor() -> None:
    error = refusal("id: example\ncopy: *shared\n")

    assert error.position == Position(2, 7)
    assert "anchors and aliases" in error.message


def test_a_billion_laughs_file_is_refused_before_it_is_built() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]

    error = refusal("\n".join(lines) + "\n")

    assert error.position == Position(1, 5)


def test_a_merge_key_is_refused_where_written() -> None:
    error = refusal("id: example\n<<: {title: Shared}\n")

    assert (error.position, error.message) == (Position(2, 1), "merge keys (<<) are not accepted")


def test_a_quoted_merge_key_is_refused_too() -> None:
    error = refusal('id: example\n"<<": {title: Shared}\n')

    assert error.message == "merge keys (<<) are not accepted"


@pytest.mark.parametrize("text", [
    "id: !!python/name:os.system\n",
    "id: !!python/object/new:os.system x\n",
    "? !!python/name:os.system\n: x\n",
    "id: !local thing\n",
])
def test_a_tag_the_safe_loader_cannot_build_is_refused(text: str) -> None:
    error = refusal(text)

    assert error.message.startswith("tags like !")
    assert error.message.endswith("are not accepted")


@pytest.mark.parametrize(("text", "tag"), [
    ('id: !!python/object/apply:os.system ["true"]\n', "!!python/object/apply:os.system"),
    ("id: !!python/object:os.PathLike {a: 1}\n", "!!python/object:os.PathLike"),
    ("id: !local [1]\n", "!local"),
])
def test_a_tag_on_a_list_or_mapping_is_refused_naming_the_tag(text: str, tag: str) -> None:
    error = refusal(text)

    assert error.position == Position(1, 5)
    assert error.message == f"tags like {tag} are not accepted"


@pytest.mark.parametrize(("text", "where"), [
    ("id: example\nweight: !!int\n", Position(2, 9)),
    ("id: example\nweight: !!float _\n", Position(2, 9)),
    ("id: example\nrequired: !!bool maybe\n", Position(2, 11)),
    ("id: example\nmin: !!timestamp soon\n", Position(2, 6)),
    ("id: example\n? !!int\n: x\n", Position(2, 3)),
])
def test_an_explicit_standard_tag_on_unreadable_text_is_refused_where_written(
        text: str, where: Position) -> None:
    error = refusal(text)

    assert error.position == where
    assert error.message.startswith("cannot read")


def test_a_standard_tag_on_a_list_or_mapping_is_accepted() -> None:
    document = load_yaml("a: !!seq [1]\nb: !!map {c: d}\n", FILE)

    assert document.data == {"a": [1], "b": {"c": "d"}}


# --- documents, depth, size --------------------------------------------------------------------


def test_a_second_document_is_refused_at_its_separator() -> None:
    error = refusal("id: one\n---\nid: two\n")

    assert error.position == Position(2, 1)
    assert "one document per file" in error.message


def test_one_document_with_explicit_markers_is_fine() -> None:
    document = load_yaml("---\nid: example\n...\n", FILE)

    assert document.data == {"id": "example"}


def test_nesting_right_at_the_limit_is_accepted() -> None:
    document = load_yaml(nested_mappings(MAX_DEPTH), FILE)

    innermost = document.data
    for level in range(MAX_DEPTH - 1):
        innermost = innermost[f"k{level}"]
    assert innermost == {"leaf": "value"}


def test_nesting_one_level_past_the_limit_is_refused() -> None:
    error = refusal(nested_mappings(MAX_DEPTH + 1))

    assert error.message == f"nested more than {MAX_DEPTH} levels deep"
    assert error.position.line == MAX_DEPTH + 1


def test_very_deep_flow_nesting_is_refused_without_exhausting_the_stack() -> None:
    depth = 50_000

    error = refusal("[" * depth + "]" * depth)

    assert error.position == Position(1, MAX_DEPTH + 1)


def test_a_file_over_the_byte_limit_is_refused_at_its_start() -> None:
    error = refusal("title: " + "x" * MAX_BYTES + "\n")

    assert error.position == Position(1, 1)
    assert f"{MAX_BYTES:,} bytes" in error.message


def test_the_byte_limit_counts_bytes_not_characters() -> None:
    text = "title: " + "é" * (MAX_BYTES // 2)
    assert len(text) < MAX_BYTES

    error = refusal(text)

    assert "larger than" in error.message


def test_a_file_of_exactly_the_byte_limit_is_accepted() -> None:
    text = "title: " + "x" * (MAX_BYTES - len("title: \n")) + "\n"
    assert len(text.encode()) == MAX_BYTES

    document = load_yaml(text, FILE)

    assert len(document.data["title"]) == MAX_BYTES - len("title: \n")


# --- syntax errors and empty files -------------------------------------------------------------


def test_a_tab_used_for_indentation_gives_its_line_and_column() -> None:
    error = refusal("id: example\nsections:\n\t- id: access\n")

    assert error.position == Position(3, 1)
    assert "'\\t'" in error.message


def test_an_unclosed_bracket_gives_a_line_and_column_past_the_bracket() -> None:
    error = refusal("id: example\napplies_to: [email, hosting\ntitle: Example\n")

    assert error.position == Position(3, 6)
    assert "flow sequence" in error.message


def test_an_unclosed_quote_gives_a_line_and_column() -> None:
    error = refusal('id: example\ntitle: "Example\n')

    assert error.position == Position(3, 1)
    assert "quoted scalar" in error.message


def test_a_colon_in_unquoted_text_gives_its_line_and_column() -> None:
    error = refusal("id: example\ntitle: Access: who has it\n")

    assert error.position == Position(2, 14)


def test_a_control_character_gives_its_line_and_column() -> None:
    error = refusal("id: example\ntitle: \x07bell\n")

    assert error.position == Position(2, 8)
    assert "U+0007" in error.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_refused_as_empty(text: str) -> None:
    error = refusal(text)

    assert (error.position, error.message) == (Position(1, 1), "the file is empty")
