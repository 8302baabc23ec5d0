"""Files the browser saves rather than shows."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date

from flask import Response


def csv_download(content: str | Iterator[str], name: str) -> Response:
    """Send ``content`` (text, or text chunks to stream) as ``<name>-<today>.csv``.

    The byte-order mark makes Excel read the file as UTF-8.
    """
    filename = f"{name}-{date.today().isoformat()}.csv"
    body = "\ufeff" + content if isinstance(content, str) else itertools.chain(["\ufeff"], content)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
