"""The condition language of ``show_if``, ``required_if`` and ``validate`` rules.

One small language, parsed by this module and evaluated by closures built from the parsed tree:
nothing is ever handed to ``eval``. :func:`parse` turns text like ``mfa == "yes" and
count(subprocessors) > 0`` into a tree of frozen dataclasses; :func:`predicate` turns a text,
once, into a function of the answers (:func:`holds` evaluates a tree the same way);
:func:`to_json` gives the same tree to the browser's script, which shows and hides questions
live (the server evaluates again on every save, so the script is a convenience, never the
rule). The checker reads :func:`names` and :func:`choice_tests` to refuse unknown questions,
later questions and choices that do not exist.

Grammar, loosest binding first::

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") operand)?
    operand := NUMBER | STRING | "true" | "false" | NAME | NAME "(" args ")" | "[" items "]"
             | "(" expr ")"

An unanswered question is ``None``: it equals nothing but ``None`` (so ``q != "no"`` holds
until ``q`` is answered "no": a question or bank behind it is shown until the answer rules it
out), is in nothing, and is neither greater nor smaller than anything.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 1000
MAX_DEPTH = 30
FUNCTIONS = ("answered", "count")


class ConditionError(ValueError):
    """The text is not a condition; ``column`` (1-based) says where it went wrong."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


# --- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool


@dataclass(frozen=True)
class Name:
    id: str
    column: int


@dataclass(frozen=True)
class ListOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" or "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]
    column: int


Node = Literal | Name | ListOf | Compare | Not | BoolOp | Call


# --- parsing -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
""", re.VERBOSE)
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, name, op, keyword, end
    text: str
    column: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ConditionError(f"unexpected {text[position]!r}", position + 1)
        kind = match.lastgroup or ""
        if kind != "space":
            word = match.group()
            if kind == "name" and word in _KEYWORDS:
                kind = "keyword"
            tokens.append(_Token(kind, word, position + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        if self.current.kind in ("op", "keyword") and self.current.text == text:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise self.unexpected(f"expected '{text}'")

    def unexpected(self, wanted: str = "") -> ConditionError:
        token = self.current
        seen = "the end" if token.kind == "end" else repr(token.text)
        return ConditionError(f"{wanted + ', found ' if wanted else 'unexpected '}{seen}",
                              token.column)

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"nested more than {MAX_DEPTH} levels deep", self.current.column)

    def expression(self) -> Node:
        self.nested()
        operands = [self.conjunction()]
        while self.accept("or"):
            operands.append(self.conjunction())
        self.depth -= 1
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def conjunction(self) -> Node:
        operands = [self.negation()]
        while self.accept("and"):
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def negation(self) -> Node:
        if self.accept("not"):
            self.nested()
            operand = self.negation()
            self.depth -= 1
            return Not(operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.current
        op = token.text if token.kind in ("op", "keyword") else ""
        if op == "not" and self.tokens[self.index + 1].text == "in":
            self.index += 2
            return Compare("not in", left, self.operand())
        if op in _COMPARISONS:
            self.index += 1
            return Compare(op, left, self.operand())
        return left

    def operand(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind == "string":
            return Literal(_unquote(token.text))
        if token.kind == "keyword" and token.text in ("true", "false"):
            return Literal(token.text == "true")
        if token.kind == "name":
            if self.accept("("):
                return self.call(token)
            return Name(token.text, token.column)
        if token.kind == "op" and token.text == "[":
            return ListOf(tuple(self.items("]")))
        if token.kind == "op" and token.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        self.index -= 1
        raise self.unexpected("expected a value, a question id or '('")

    def items(self, closing: str) -> Iterator[Node]:
        if self.accept(closing):
            return
        yield self.expression()
        while self.accept(","):
            yield self.expression()
        self.expect(closing)

    def call(self, name: _Token) -> Node:
        if name.text not in FUNCTIONS:
            raise ConditionError(f"unknown function {name.text}(); known: "
                                 f"{', '.join(f + '()' for f in FUNCTIONS)}", name.column)
        args = tuple(self.items(")"))
        wanted = {"answered": (1,), "count": (1, 2)}[name.text]
        if len(args) not in wanted or not isinstance(args[0], Name):
            usage = {"answered": "answered(question)",
                     "count": "count(group) or count(group, condition)"}[name.text]
            raise ConditionError(f"use {usage}", name.column)
        return Call(name.text, args, name.column)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse a condition; :class:`ConditionError` says what is wrong and where.

    Trees are immutable, so a condition met again (every page load evaluates them all) is
    parsed once.
    """
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise ConditionError("the condition is empty", 1)
    parser = _Parser(text)
    tree = parser.expression()
    if parser.current.kind != "end":
        raise parser.unexpected("expected 'and', 'or' or the end")
    return tree


# --- evaluation --------------------------------------------------------------------------------


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(left: Any, right: Any) -> bool:
        numbers = (int, float)
        both_numbers = isinstance(left, numbers) and isinstance(right, numbers)
        both_text = isinstance(left, str) and isinstance(right, str)  # ISO dates compare too
        return (both_numbers or both_text) and compare(left, right)
    return check


def _contains(left: Any, right: Any) -> bool:
    return isinstance(right, list | tuple) and left is not None and left in right


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne,
    "<": _ordered(operator.lt), "<=": _ordered(operator.le),
    ">": _ordered(operator.gt), ">=": _ordered(operator.ge),
    "in": _contains, "not in": lambda left, right: not _contains(left, right),
}


Evaluator = Callable[[Mapping[str, Any]], Any]
Predicate = Callable[[Mapping[str, Any]], bool]


def evaluator(node: Node) -> Evaluator:
    """``node`` turned once into nested closures: walking the tree anew for every answer set
    cost most of a questionnaire's scoring time."""
    match node:
        case Literal(value):
            return lambda answers: value
        case Name(name):
            return lambda answers: answers.get(name)
        case ListOf(items):
            parts = [evaluator(item) for item in items]
            return lambda answers: [part(answers) for part in parts]
        case Compare(op, left, right):
            return _compare(op, left, right)
        case Not(operand):
            inner = predicate_of(operand)
            return lambda answers: not inner(answers)
        case BoolOp(op, operands):
            return _bool_op(op, tuple(predicate_of(operand) for operand in operands))
        case Call(function, args):
            return _call(function, args)
    raise TypeError(f"not a condition node: {node!r}")


def _compare(op: str, left: Node, right: Node) -> Evaluator:
    check = _OPERATORS[op]
    if op in ("in", "not in") and isinstance(right, ListOf) \
            and all(isinstance(item, Literal) for item in right.items):
        # A list of literals is the same list every time; membership in a tuple of it
        # answers exactly as in the list.
        listed = tuple(item.value for item in right.items)  # type: ignore[union-attr]
        value = evaluator(left)
        return lambda answers: check(value(answers), listed)
    if isinstance(left, Name) and isinstance(right, Literal):
        name, constant = left.id, right.value
        return lambda answers: check(answers.get(name), constant)
    first, second = evaluator(left), evaluator(right)
    return lambda answers: check(first(answers), second(answers))


def _bool_op(op: str, operands: tuple[Predicate, ...]) -> Evaluator:
    """``a and b and c`` as ``a and (b and c)``: pairs of plain closures, which short-circuit
    in the same order and cost less than all() or any() over a generator."""
    combined = operands[-1]
    for operand in reversed(operands[:-1]):
        combined = _pair(op, operand, combined)
    return combined


def _pair(op: str, first: Predicate, second: Predicate) -> Predicate:
    if op == "and":
        return lambda answers: first(answers) and second(answers)
    return lambda answers: first(answers) or second(answers)


def _call(function: str, args: Sequence[Node]) -> Evaluator:
    subject = args[0].id if isinstance(args[0], Name) else None
    if function == "answered":
        if subject is None:
            return lambda answers: False
        return lambda answers: answers.get(subject) not in (None, "", [], {})
    if len(args) == 1:
        return lambda answers: len(_rows(answers, subject))
    on_row = predicate_of(args[1])
    return lambda answers: sum(1 for row in _rows(answers, subject)
                               if isinstance(row, Mapping) and on_row({**answers, **row}))


def _rows(answers: Mapping[str, Any], group: str | None) -> list[Any]:
    rows = answers.get(group) if group is not None else None
    return rows if isinstance(rows, list) else []


def predicate_of(node: Node) -> Predicate:
    """Whether ``node`` is true (``True`` itself, not merely truthy) for some answers."""
    value = evaluator(node)
    if _gives_a_bool(node):
        return value
    return lambda answers: value(answers) is True


def _gives_a_bool(node: Node) -> bool:
    """Whether the node's evaluator returns True or False by construction, so needs no
    ``is True`` (``==`` and ``!=`` are left to the values compared)."""
    match node:
        case Not() | BoolOp() | Call("answered"):
            return True
        case Compare(op) if op not in ("==", "!="):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def predicate(text: str) -> Predicate:
    """The condition ``text`` parsed and turned into a :data:`Predicate`, once per text."""
    return predicate_of(parse(text))


def evaluate(node: Node, answers: Mapping[str, Any]) -> Any:
    """The value of ``node`` given ``answers`` (question id -> answer, absent if unanswered);
    a condition met again and again is better turned into a :func:`predicate` once."""
    return evaluator(node)(answers)


def holds(node: Node, answers: Mapping[str, Any]) -> bool:
    """Whether the condition is true for these answers."""
    return evaluate(node, answers) is True


# --- what the checker and the browser need ----------------------------------------------------


def names(node: Node) -> list[Name]:
    """Every question the condition names, in order; inside ``count(group, ...)`` the row
    condition names the group's own sub-questions, which are not listed here."""
    match node:
        case Name():
            return [node]
        case ListOf(items):
            return [n for item in items for n in names(item)]
        case Compare(_, left, right):
            return names(left) + names(right)
        case Not(operand):
            return names(operand)
        case BoolOp(_, operands):
            return [n for operand in operands for n in names(operand)]
        case Call(_, args):
            return names(args[0])
    return []


def row_conditions(node: Node) -> list[tuple[Name, Node]]:
    """Each ``count(group, condition)`` as (the group, the condition on its rows)."""
    match node:
        case Call("count", (Name() as group, condition)):
            return [(group, condition)]
        case ListOf(items) | BoolOp(_, items):
            return [pair for item in items for pair in row_conditions(item)]
        case Compare(_, left, right):
            return row_conditions(left) + row_conditions(right)
        case Not(operand):
            return row_conditions(operand)
    return []


def choice_tests(node: Node) -> list[tuple[Name, str]]:
    """Each place the condition compares a question with a text: ``q == "x"``, ``"x" in q``,
    ``q in ["x", "y"]``; the checker makes sure such a choice exists."""
    match node:
        case Compare(op, Name() as name, Literal(str() as text)) if op in ("==", "!="):
            return [(name, text)]
        case Compare(op, Literal(str() as text), Name() as name) if op in ("in", "not in", "==",
                                                                           "!="):
            return [(name, text)]
        case Compare(op, Name() as name, ListOf(items)) if op in ("in", "not in"):
            return [(name, item.value) for item in items
                    if isinstance(item, Literal) and isinstance(item.value, str)]
        case BoolOp(_, operands):
            return [test for operand in operands for test in choice_tests(operand)]
        case Not(operand):
            return choice_tests(operand)
    return []


def to_json(node: Node) -> Any:
    """The tree as nested lists for the browser: ``["==", ["name", "mfa"], "yes"]``."""
    match node:
        case Literal(value):
            return ["lit", value]
        case Name(name):
            return ["name", name]
        case ListOf(items):
            return ["list", *(to_json(item) for item in items)]
        case Compare(op, left, right):
            return [op, to_json(left), to_json(right)]
        case Not(operand):
            return ["not", to_json(operand)]
        case BoolOp(op, operands):
            return [op, *(to_json(operand) for operand in operands)]
        case Call(function, args):
            return [function, *(to_json(arg) for arg in args)]
    raise TypeError(f"not a condition node: {node!r}")
