"""Requests whose text holds a NUL character are refused before any view sees them.

No one types a NUL; it comes from a fuzzer, a broken export or an attack. PostgreSQL refuses
to store one (a server error), SQLite stores it and every later reader may cut the text there.
Refusing it at the door keeps every form, search and import from meeting it one by one.
"""

from __future__ import annotations

from flask import Flask, abort, request

MESSAGE = ("What was sent holds a NUL character (\\0), which no text in riskapp may contain. "
           "Go back, remove it (it often comes from pasting out of another program) and send "
           "again.")


def init_nul_character_check(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    for values in (request.args, request.form):
        if any("\x00" in name or "\x00" in value for name, value in values.items(multi=True)):
            abort(400, description=MESSAGE)
