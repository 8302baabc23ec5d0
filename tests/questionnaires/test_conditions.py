"""The condition language of show_if, required_if and validate: its grammar, what a condition
means for a set of answers, the errors an officer sees, and what the checker and browser read."""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskapp.questionnaires import conditions
from riskapp.questionnaires.conditions import (
    MAX_DEPTH,
    MAX_LENGTH,
    ConditionError,
    Name,
    choice_tests,
    evaluate,
    holds,
    names,
    parse,
    row_conditions,
    to_json,
)


def shape(text: str) -> Any:
    """The parsed tree of ``text`` in the browser's notation, which is easy to write out."""
    return to_json(parse(text))


def check(text: str, **answers: Any) -> bool:
    return holds(parse(text), answers)


def error_for(text: str) -> ConditionError:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    return caught.value


A, B, C = ["name", "a"], ["name", "b"], ["name", "c"]


# --- grammar -----------------------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    assert shape("a or b and c") == ["or", A, ["and", B, C]]


def test_not_binds_tighter_than_and() -> None:
    assert shape("not a and b") == ["and", ["not", A], B]


def test_not_applies_to_a_whole_comparison() -> None:
    assert shape('not a == "x"') == ["not", ["==", A, ["lit", "x"]]]


def test_not_can_be_repeated() -> None:
    assert shape("not not a") == ["not", ["not", A]]


def test_parentheses_group_before_precedence() -> None:
    assert shape("(a or b) and c") == ["and", ["or", A, B], C]


def test_a_chain_of_the_same_operator_is_one_flat_node() -> None:
    assert shape("a or b or c") == ["or", A, B, C]
    assert shape("a and b and c") == ["and", A, B, C]


def test_redundant_parentheses_leave_no_trace() -> None:
    assert shape("((a))") == A


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_each_comparison_operator_parses(op: str) -> None:
    assert shape(f"a {op} 1") == [op, A, ["lit", 1]]


def test_comparisons_need_no_spaces() -> None:
    assert shape("a>=1") == [">=", A, ["lit", 1]]


def test_in_tests_membership_in_a_list() -> None:
    assert shape('a in ["x", "y"]') == ["in", A, ["list", ["lit", "x"], ["lit", "y"]]]


def test_not_in_is_one_operator() -> None:
    assert shape('a not in ["x"]') == ["not in", A, ["list", ["lit", "x"]]]


def test_a_text_can_be_tested_for_membership_in_a_question() -> None:
    assert shape('"soc2" in certifications') == ["in", ["lit", "soc2"], ["name", "certifications"]]


def test_a_list_may_be_empty_nested_or_mixed() -> None:
    assert shape("[]") == ["list"]
    assert shape('[1, "x", true, [b]]') == [
        "list", ["lit", 1], ["lit", "x"], ["lit", True], ["list", B]]


def test_strings_take_double_or_single_quotes() -> None:
    assert shape('a == "x"') == shape("a == 'x'")


def test_a_quote_of_the_other_kind_needs_no_escape() -> None:
    assert shape("""a == "it's" """) == ["==", A, ["lit", "it's"]]


@pytest.mark.parametrize(("written", "meant"), [
    (r'"say \"hi\""', 'say "hi"'),
    (r"'it\'s'", "it's"),
    (r'"back\\slash"', "back\\slash"),
])
def test_a_backslash_escapes_the_next_character(written: str, meant: str) -> None:
    assert shape(f"a == {written}") == ["==", A, ["lit", meant]]


def test_a_whole_number_is_an_int_and_a_decimal_a_float() -> None:
    whole, decimal = parse("1"), parse("1.5")

    assert (whole.value, type(whole.value)) == (1, int)
    assert (decimal.value, type(decimal.value)) == (1.5, float)


def test_a_number_may_be_negative() -> None:
    assert shape("a > -2.5") == [">", A, ["lit", -2.5]]


def test_true_and_false_are_booleans() -> None:
    assert shape("a == true or b == false") == [
        "or", ["==", A, ["lit", True]], ["==", B, ["lit", False]]]


def test_a_name_remembers_its_1_based_column() -> None:
    tree = parse("  mfa == 'yes' and sso")

    assert [(name.id, name.column) for name in names(tree)] == [("mfa", 3), ("sso", 20)]


def test_answered_takes_one_question() -> None:
    assert shape("answered(a)") == ["answered", A]


def test_count_takes_a_group_and_an_optional_row_condition() -> None:
    assert shape("count(a) > 0") == [">", ["count", A], ["lit", 0]]
    assert shape('count(a, b == "x")') == ["count", A, ["==", B, ["lit", "x"]]]


# --- evaluation --------------------------------------------------------------------------------


def test_an_equal_answer_holds() -> None:
    assert check('mfa == "yes"', mfa="yes")
    assert not check('mfa == "yes"', mfa="no")


def test_an_unanswered_question_equals_no_choice() -> None:
    assert not check('mfa == "yes"')


def test_an_unanswered_question_differs_from_every_choice() -> None:
    assert check('mfa != "yes"')


def test_an_unanswered_question_is_in_no_list() -> None:
    assert not check('plan in ["basic", "dedicated"]')
    assert check('plan not in ["basic", "dedicated"]')


def test_nothing_is_in_an_unanswered_question() -> None:
    assert not check('"soc2" in certifications')


@pytest.mark.parametrize("text", ["days < 5", "days <= 5", "days > 5", "days >= 5",
                                  "5 < days", "5 > days"])
def test_an_unanswered_question_is_neither_greater_nor_smaller(text: str) -> None:
    assert not check(text)


def test_numbers_compare_across_int_and_float() -> None:
    assert check("days >= 30", days=30.0)
    assert check("days < 30.5", days=30)


def test_texts_compare_so_iso_dates_compare_in_time_order() -> None:
    assert check('audited >= "2024-01-01"', audited="2024-06-30")
    assert not check('audited >= "2024-01-01"', audited="2023-12-31")


@pytest.mark.parametrize(("text", "answer"), [
    ("days > 5", "10"),        # a number written as text is not a number
    ('days < "5"', 1),
    ("days >= 5", ["10"]),
    ("days == 1", "1"),
])
def test_a_type_mismatch_is_false_not_an_error(text: str, answer: Any) -> None:
    assert not check(text, days=answer)


def test_in_needs_a_list_not_a_text() -> None:
    assert not check('"soc" in name', name="soc2 report")


def test_a_choice_is_found_among_several_picked() -> None:
    assert check('"soc2" in certifications', certifications=["iso27001", "soc2"])
    assert not check('"soc2" in certifications', certifications=["iso27001"])


def test_a_condition_holds_only_when_it_is_true_itself() -> None:
    assert not check("mfa", mfa="yes")
    assert check("mfa", mfa=True)


def test_not_of_a_false_comparison_holds() -> None:
    assert check('not mfa == "yes"')


def test_and_needs_both_and_or_needs_either() -> None:
    answers = {"a": 1, "b": 2}

    assert holds(parse("a == 1 and b == 2"), answers)
    assert not holds(parse("a == 1 and b == 3"), answers)
    assert holds(parse("a == 9 or b == 2"), answers)
    assert not holds(parse("a == 9 or b == 9"), answers)


@pytest.mark.parametrize("answer", [None, "", [], {}])
def test_answered_is_false_for_an_empty_answer(answer: Any) -> None:
    assert not check("answered(q)", q=answer)


def test_answered_is_false_for_a_question_never_answered() -> None:
    assert not check("answered(q)")


@pytest.mark.parametrize("answer", ["text", 0, False, ["a"], [{}]])
def test_answered_is_true_for_any_other_answer(answer: Any) -> None:
    assert check("answered(q)", q=answer)


def test_count_is_the_number_of_rows() -> None:
    rows = [{"name": "Mailer"}, {"name": "Backup"}, {"name": "Archive"}]

    assert evaluate(parse("count(subs)"), {"subs": rows}) == len(rows)


@pytest.mark.parametrize("answer", [None, "three", 3, {"name": "Mailer"}])
def test_count_of_an_answer_that_is_not_rows_is_zero(answer: Any) -> None:
    assert evaluate(parse("count(subs)"), {"subs": answer}) == 0


def test_count_with_a_condition_counts_the_matching_rows() -> None:
    rows = [{"country": "US"}, {"country": "DE"}, {"country": "FR"}, {}]

    assert evaluate(parse('count(subs, country != "US")'), {"subs": rows}) == 3


def test_a_row_field_shadows_an_outer_answer_of_the_same_name() -> None:
    answers = {"country": "DE", "subs": [{"country": "US"}]}

    assert evaluate(parse('count(subs, country == "DE")'), answers) == 0


def test_a_row_condition_may_use_outer_answers_the_row_lacks() -> None:
    answers = {"mfa": "yes", "subs": [{"country": "US"}, {"country": "DE"}]}

    assert evaluate(parse('count(subs, mfa == "yes")'), answers) == 2


def test_a_row_that_is_not_a_mapping_is_not_counted() -> None:
    answers = {"subs": [{"country": "DE"}, "DE", ["DE"]]}

    assert evaluate(parse('count(subs, country == "DE")'), answers) == 1


def test_a_count_compares_as_a_number() -> None:
    assert check("count(subs) > 1", subs=[{}, {}])
    assert not check("count(subs) > 1", subs=[{}])


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message", "column"), [
    ("mfa and bogus(x)", "unknown function bogus(); known: answered(), count()", 9),
    ("__import__('os')", "unknown function __import__(); known: answered(), count()", 1),
    ("answered()", "use answered(question)", 1),
    ("a or answered(b, c)", "use answered(question)", 6),
    ('answered("b")', "use answered(question)", 1),
    ("count()", "use count(group) or count(group, condition)", 1),
    ("count(1) > 0", "use count(group) or count(group, condition)", 1),
    ("count(g, a, b)", "use count(group) or count(group, condition)", 1),
])
def test_a_call_that_is_not_allowed_is_refused_at_the_function_name(
        text: str, message: str, column: int) -> None:
    error = error_for(text)

    assert (str(error), error.column) == (message, column)


@pytest.mark.parametrize(("text", "message", "column"), [
    ("a == b c", "expected 'and', 'or' or the end, found 'c'", 8),
    ("a == b == c", "expected 'and', 'or' or the end, found '=='", 8),
    ("a not b", "expected 'and', 'or' or the end, found 'not'", 3),
    ("a == 1)", "expected 'and', 'or' or the end, found ')'", 7),
    ("a ! b", "unexpected '!'", 3),
    ("mfa = 'yes'", "unexpected '='", 5),
    ("1 + 1", "unexpected '+'", 3),
    ("a.b", "unexpected '.'", 2),
    ('a == "yes', "unexpected '\"'", 6),
])
def test_a_stray_token_is_refused_where_it_stands(text: str, message: str, column: int) -> None:
    error = error_for(text)

    assert (str(error), error.column) == (message, column)


@pytest.mark.parametrize(("text", "message", "column"), [
    ("a == ", "expected a value, a question id or '(', found the end", 6),
    ("a == and b", "expected a value, a question id or '(', found 'and'", 6),
    ("not in x", "expected a value, a question id or '(', found 'in'", 5),
    ("a or", "expected a value, a question id or '(', found the end", 5),
    ("[1,]", "expected a value, a question id or '(', found ']'", 4),
])
def test_a_missing_value_is_refused_where_it_was_wanted(
        text: str, message: str, column: int) -> None:
    error = error_for(text)

    assert (str(error), error.column) == (message, column)


@pytest.mark.parametrize(("text", "message", "column"), [
    ("(a == b", "expected ')', found the end", 8),
    ("(a or (b and c)", "expected ')', found the end", 16),
    ("[a, b", "expected ']', found the end", 6),
    ("count(g", "expected ')', found the end", 8),
    ("(a b)", "expected ')', found 'b'", 4),
])
def test_an_unclosed_bracket_is_refused_at_the_end(text: str, message: str, column: int) -> None:
    error = error_for(text)

    assert (str(error), error.column) == (message, column)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_condition_is_refused_at_column_1(text: str) -> None:
    error = error_for(text)

    assert (str(error), error.column) == ("the condition is empty", 1)


def test_an_over_long_condition_is_refused_at_the_length_limit() -> None:
    error = error_for("a" * (MAX_LENGTH + 1))

    assert (str(error), error.column) == (f"longer than {MAX_LENGTH} characters", MAX_LENGTH)


def test_a_condition_of_exactly_the_length_limit_is_accepted() -> None:
    text = "a == " + "1" * (MAX_LENGTH - len("a == "))

    assert shape(text)[0] == "=="


@pytest.mark.parametrize("opening", ["(", "[", "not "])
def test_an_over_deep_condition_is_refused_inside_its_nesting(opening: str) -> None:
    closing = {"(": ")", "[": "]", "not ": ""}[opening]
    text = opening * (2 * MAX_DEPTH) + "a" + closing * (2 * MAX_DEPTH)

    error = error_for(text)

    assert str(error) == f"nested more than {MAX_DEPTH} levels deep"
    assert 1 < error.column < text.index("a") + 1


@pytest.mark.parametrize("opening", ["(", "[", "not "])
def test_moderate_nesting_is_accepted(opening: str) -> None:
    closing = {"(": ")", "[": "]", "not ": ""}[opening]

    parse(opening * (MAX_DEPTH // 2) + "a" + closing * (MAX_DEPTH // 2))


def test_a_condition_error_is_a_value_error() -> None:
    assert isinstance(error_for(""), ValueError)


# --- what the checker and the browser read -----------------------------------------------------


def ids(found: list[Name]) -> list[str]:
    return [name.id for name in found]


def test_names_lists_every_question_in_order() -> None:
    tree = parse('mfa == "yes" and (plan in [tier, "x"] or not answered(report))')

    assert ids(names(tree)) == ["mfa", "plan", "tier", "report"]


def test_names_lists_a_question_named_twice_twice() -> None:
    assert ids(names(parse("a == 1 or a == 2"))) == ["a", "a"]


def test_names_leaves_out_the_fields_of_a_row_condition() -> None:
    tree = parse('count(subs, country != "US") > 0 and mfa == "yes"')

    assert ids(names(tree)) == ["subs", "mfa"]


def test_names_of_a_condition_without_questions_is_empty() -> None:
    assert names(parse('1 < 2 and "a" in ["a"]')) == []


def test_row_conditions_pairs_each_group_with_its_condition() -> None:
    tree = parse('count(subs, country != "US") > 0 or not count(sites, tier == 1) == 0')

    pairs = [(group.id, to_json(condition)) for group, condition in row_conditions(tree)]

    assert pairs == [
        ("subs", ["!=", ["name", "country"], ["lit", "US"]]),
        ("sites", ["==", ["name", "tier"], ["lit", 1]]),
    ]


def test_row_conditions_is_found_inside_a_list() -> None:
    tree = parse("1 in [count(subs, a == 1)]")

    assert [group.id for group, _ in row_conditions(tree)] == ["subs"]


def test_a_count_without_a_condition_has_no_row_condition() -> None:
    assert row_conditions(parse("count(subs) > 0 and answered(subs)")) == []


@pytest.mark.parametrize(("text", "tests"), [
    ('mfa == "yes"', [("mfa", "yes")]),
    ('mfa != "no"', [("mfa", "no")]),
    ('"yes" == mfa', [("mfa", "yes")]),
    ('"soc2" in certs', [("certs", "soc2")]),
    ('"soc2" not in certs', [("certs", "soc2")]),
    ('plan in ["basic", 3, "private"]', [("plan", "basic"), ("plan", "private")]),
    ('plan not in ["basic"]', [("plan", "basic")]),
    ('not (a == "x" or b == "y") and c != "z"', [("a", "x"), ("b", "y"), ("c", "z")]),
])
def test_choice_tests_finds_each_comparison_with_a_text(
        text: str, tests: list[tuple[str, str]]) -> None:
    assert [(name.id, value) for name, value in choice_tests(parse(text))] == tests


@pytest.mark.parametrize("text", [
    "mfa == 1",                          # a number is not a choice
    "mfa == other",                      # nor is another question
    'mfa < "yes"',                       # ordering is not a choice test
    'count(subs, country == "US") > 0',  # a row's fields are checked against the group
    'answered(mfa)',
])
def test_choice_tests_ignores_what_is_not_a_choice(text: str) -> None:
    assert choice_tests(parse(text)) == []


@pytest.mark.parametrize(("text", "tree"), [
    ("42", ["lit", 42]),
    ("'x'", ["lit", "x"]),
    ("false", ["lit", False]),
    ("mfa", ["name", "mfa"]),
    ("[1, a]", ["list", ["lit", 1], ["name", "a"]]),
    ('mfa == "yes"', ["==", ["name", "mfa"], ["lit", "yes"]]),
    ("not a", ["not", ["name", "a"]]),
    ("a and b or c", ["or", ["and", A, B], C]),
    ("answered(report)", ["answered", ["name", "report"]]),
    ("count(g, a > 1)", ["count", ["name", "g"], [">", A, ["lit", 1]]]),
])
def test_to_json_gives_nested_lists_headed_by_the_node_kind(text: str, tree: Any) -> None:
    assert to_json(parse(text)) == tree


def test_to_json_survives_a_json_round_trip() -> None:
    tree = to_json(parse('not (count(g, c in ["a", 1.5]) >= 2 or answered(x)) and y != true'))

    assert json.loads(json.dumps(tree)) == tree


# --- any text, any answers --------------------------------------------------------------------

PIECES = st.sampled_from([
    "(", ")", "[", "]", ",", " ", "and", "or", "not", "in", "==", "!=", "<", "<=", ">", ">=",
    '"', "'", "\\", "a", "b", "g", "answered", "count", "true", "false", "1", "-2.5", '"x"',
    "'y'", "=", "!", ".", "\n",
])
CONDITION_TEXT = st.lists(PIECES, max_size=30).map("".join) | st.text(max_size=40)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["a", "b", "x"]), inner, max_size=3),
    max_leaves=10,
)
ANSWERS = st.dictionaries(st.sampled_from(["a", "b", "g"]), JSON, max_size=3)
PROPERTIES = settings(max_examples=200, deadline=None, database=None)


def parsed(text: str) -> Any:
    """The tree, or the error that refused the text."""
    try:
        return parse(text)
    except ConditionError as error:
        return error


@PROPERTIES
@given(text=CONDITION_TEXT)
def test_any_text_parses_or_is_refused_at_a_column_of_the_text(text: str) -> None:
    result = parsed(text)

    if isinstance(result, ConditionError):
        assert 1 <= result.column <= len(text) + 1


OPERAND = st.sampled_from(["a", "b", "g", "1", "-2.5", '"x"', "'y'", "true", "false",
                           "answered(a)", "count(g)", '[1, "x", b]', "[]"])
COMPARISON = OPERAND | st.tuples(
    OPERAND, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]), OPERAND,
).map(" ".join)
VALID_CONDITION = st.recursive(COMPARISON, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
    inner.map("not {}".format),
    inner.map("({})".format),
    inner.map("count(g, {}) > 0".format),
), max_leaves=6)


@PROPERTIES
@given(text=VALID_CONDITION, answers=ANSWERS)
def test_a_well_formed_condition_evaluates_against_any_answers(
        text: str, answers: dict[str, Any]) -> None:
    tree = parse(text)

    assert holds(tree, answers) in (True, False)
    assert json.loads(json.dumps(to_json(tree))) == to_json(tree)


# --- never eval --------------------------------------------------------------------------------

_FORBIDDEN = {"eval", "exec", "compile", "__import__"}


def test_the_module_never_calls_eval_exec_or_compile() -> None:
    tree = ast.parse(inspect.getsource(conditions))
    called = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id in _FORBIDDEN | {"getattr"}:
            called.append(function.id)
        elif isinstance(function, ast.Attribute) and function.attr in {"eval", "exec"}:
            called.append(function.attr)
        elif (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
              and function.value.id == "builtins"):
            called.append(f"builtins.{function.attr}")

    assert called == []


def test_the_module_does_not_import_builtins_or_code_runners() -> None:
    tree = ast.parse(inspect.getsource(conditions))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}

    assert imported.isdisjoint({"builtins", "code", "codeop", "importlib", "subprocess", "os"})


# --- compiled once, evaluated many times -------------------------------------------------------


def test_true_and_one_stay_different_conditions() -> None:
    # Literal(1) == Literal(True) as dataclasses: a cache keyed by the tree would mix them up.
    assert check("count(g) == 1", g=[{}])
    assert not holds(parse("1"), {})
    assert holds(parse("true"), {})
    assert conditions.predicate("true")({}) is True
    assert conditions.predicate("1")({}) is False


@pytest.mark.parametrize(("text", "answers", "expected"), [
    ('q in ["a", "b"]', {"q": "a"}, True),
    ('q in ["a", "b"]', {"q": ["a"]}, False),          # a list answer is not in a list of texts
    ('q == ["a"]', {"q": ["a"]}, True),                # a list literal is still a list
    ("q in [1, 2]", {"q": 1.0}, True),
    ('a == "x" or b == "y" or not answered(c)', {"a": "z", "b": "z", "c": "set"}, False),
    ('a == "x" or b == "y" or not answered(c)', {"a": "z", "b": "z"}, True),
    ('a and b == "y"', {"a": "yes", "b": "y"}, False),  # "yes" is truthy, not true
    ('not a', {"a": "yes"}, True),
    ('count(g, x == "1" and y != "2") >= 2',
     {"g": [{"x": "1"}, {"x": "1", "y": "2"}, {"x": "1", "y": "3"}]}, True),
])
def test_a_prepared_condition_answers_as_the_language_says(
        text: str, answers: dict[str, Any], expected: bool) -> None:
    predicate = conditions.predicate(text)

    assert predicate(answers) is expected
    assert predicate(answers) is expected  # the same closure, asked again
    assert holds(parse(text), answers) is expected


@PROPERTIES
@given(text=VALID_CONDITION, answers=ANSWERS)
def test_a_prepared_condition_always_gives_true_or_false(
        text: str, answers: dict[str, Any]) -> None:
    assert conditions.predicate(text)(answers) is holds(parse(text), answers)
