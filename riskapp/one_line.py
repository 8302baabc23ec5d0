"""Text that must stay on one line: mail subjects and headers, calendar and digest lines."""

from __future__ import annotations

import unicodedata

_LINE_BREAKING = {"Cc", "Zl", "Zp"}  # control characters, line and paragraph separators


def one_line(text: str) -> str:
    """Turn control characters and line breaks into spaces, and runs of spaces into one."""
    cleaned = "".join(" " if unicodedata.category(char) in _LINE_BREAKING else char
                      for char in text)
    return " ".join(cleaned.split())
