"""Building frozen dataclass instances in bulk.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__``,
several times the cost of an ordinary assignment. Rescoring every assessment builds a million
answers and as many score contributions, and that alone took seconds; :func:`built` makes the
same instance for a fraction of it.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def built(cls: type[T], /, **fields: Any) -> T:
    """``cls(**fields)`` for a frozen dataclass without ``__post_init__`` or slots, given every
    field: the same fields, as immutable, equal to one built the usual way."""
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance
