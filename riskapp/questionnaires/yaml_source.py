"""Read a questionnaire's YAML safely, remembering where every value stood in the file.

Privacy officers write these files by hand, so every error must point at a line and column.
:func:`load_yaml` returns the plain data (dicts, lists, strings, numbers) and, for every value
and every mapping key, its position, so later checks can say ``file:line:column`` too.

It is stricter than YAML itself in the ways that bite hand-written files: a key given twice is
an error (YAML keeps the last silently); ``yes``, ``no``, ``on`` and ``off`` stay text (YAML 1.1
turns them into booleans, so a choice ``id: no`` would become ``False``); anchors and aliases
are refused (they are how "billion laughs" files blow up, and banks do the sharing); files
over :data:`MAX_BYTES` or nested deeper than :data:`MAX_DEPTH` are refused before they are
built. The parsing itself is PyYAML's safe loader: no tags that build Python objects.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_DEPTH = 40

Path = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and column, as editors count them."""

    line: int
    column: int

    @classmethod
    def of(cls, mark: yaml.Mark | None) -> Position:
        return cls(mark.line + 1, mark.column + 1) if mark else cls(1, 1)


class SourceError(Exception):
    """One problem in one file, at one place."""

    def __init__(self, file: str, position: Position, message: str) -> None:
        super().__init__(f"{file}:{position.line}:{position.column}: {message}")
        self.file = file
        self.position = position
        self.message = message


@dataclass(frozen=True)
class Document:
    """A YAML file's data and where each part of it was written.

    :param values: the position of each value, by its path from the root
        (``("sections", 2, "questions", 0, "type")``).
    :param keys: the position of each mapping key, by the path of its value.
    """

    file: str
    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def position(self, path: Path, *, key: bool = False) -> Position:
        """Where ``path`` was written; the nearest enclosing value when it was not (a missing
        key is reported where its mapping starts)."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return Position(1, 1)

    def error(self, path: Path, message: str, *, key: bool = False) -> SourceError:
        return SourceError(self.file, self.position(path, key=key), message)


class _Loader(yaml.SafeLoader):
    """The safe loader, with YAML 1.2's booleans: only true and false."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(text: str, file: str) -> Document:
    """Parse ``text`` (the content of ``file``) into a :class:`Document`.

    :raises SourceError: for anything that is not one well-formed, modest YAML document.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise SourceError(file, Position(1, 1), f"file is larger than {MAX_BYTES:,} bytes")
    try:
        _check_events(text, file)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise SourceError(file, Position.of(exc.problem_mark), _yaml_problem(exc)) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a bell
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise SourceError(file, _offset_position(text, exc.position),
                          f"character U+{code:04X} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise SourceError(file, Position(1, 1), f"not valid YAML: {exc}") from None
    if node is None:
        raise SourceError(file, Position(1, 1), "the file is empty")
    document = Document(file, None)
    try:
        data = _build(node, (), document, _Loader(""))
    except yaml.MarkedYAMLError as exc:  # a tag the safe loader does not build
        raise SourceError(file, Position.of(exc.problem_mark), _yaml_problem(exc)) from None
    return Document(file, data, document.values, document.keys)


_TAG_WORDS = {"timestamp": "a date", "int": "a whole number", "float": "a number",
              "bool": "true or false"}


def _tag_name(tag: str) -> str:
    name = tag.replace("tag:yaml.org,2002:", "")
    return _TAG_WORDS.get(name, name or "a value")


def _offset_position(text: str, offset: int) -> Position:
    before = text[:offset]
    return Position(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "not valid YAML"
    if exc.context:
        return f"{problem} ({exc.context})"
    return problem


def _check_events(text: str, file: str) -> None:
    """Refuse aliases, anchors, several documents and deep nesting, before building anything
    (the event stream is flat, so a hostile file cannot exhaust the stack here)."""
    depth = documents = 0
    for event in yaml.parse(text, Loader=_Loader):
        where = Position.of(event.start_mark)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise SourceError(file, where, "anchors and aliases (& and *) are not accepted; "
                                           "share sections with a bank and include")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise SourceError(file, where, "one document per file: remove the second '---'")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise SourceError(file, where, f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


def _build(node: yaml.Node, path: Path, document: Document, loader: _Loader) -> Any:
    document.values[path] = Position.of(node.start_mark)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        raise SourceError(document.file, Position.of(node.start_mark),
                          f"tags like {node.tag.replace('tag:yaml.org,2002:', '!!')} are not "
                          "accepted")
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, path, document, loader)
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), document, loader)
                for index, item in enumerate(node.value)]
    return _scalar(node, document, loader)


_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in
                        ("str", "int", "float", "bool", "null", "timestamp"))


def _scalar(node: yaml.Node, document: Document, loader: _Loader) -> Any:
    if node.tag not in _SCALAR_TAGS:
        raise SourceError(document.file, Position.of(node.start_mark),
                          f"tags like {node.tag.replace('tag:yaml.org,2002:', '!!')} are not "
                          "accepted")
    try:
        value = loader.construct_object(node)
    except (ValueError, IndexError, KeyError, AttributeError, TypeError) as exc:
        # A scalar that looks like a date or a number but is not one, or an explicit tag
        # (!!int, !!bool, !!timestamp) over text it cannot read: PyYAML raises all of these.
        raise SourceError(document.file, Position.of(node.start_mark),
                          f"cannot read {str(node.value)[:80]!r} as {_tag_name(node.tag)}"
                          ) from exc
    if isinstance(value, dt.date):  # dates stay text, as written: the models parse them
        return value.isoformat()
    return value


def _build_mapping(node: yaml.MappingNode, path: Path, document: Document,
                   loader: _Loader) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        where = Position.of(key_node.start_mark)
        if not isinstance(key_node, yaml.ScalarNode):
            raise SourceError(document.file, where, "a key must be plain text")
        if key_node.tag == "tag:yaml.org,2002:merge" or key_node.value == "<<":
            raise SourceError(document.file, where, "merge keys (<<) are not accepted")
        raw_key = _scalar(key_node, document, loader)
        if raw_key is None or isinstance(raw_key, bool):
            raise SourceError(document.file, where, f"'{key_node.value}' cannot be a key: "
                                                    "quote it if it is meant as text")
        key = str(raw_key)
        if key in result:
            first = document.keys[(*path, key)]
            raise SourceError(document.file, where,
                              f"'{key}' is given twice (first on line {first.line})")
        document.keys[(*path, key)] = where
        result[key] = _build(value_node, (*path, key), document, loader)
    return result
