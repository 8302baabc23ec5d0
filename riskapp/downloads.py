"""Files the browser saves rather than shows."""

from __future__ import annotations

from datetime import date

from flask import Response


def csv_download(text: str, name: str) -> Response:
    """Return ``text`` as ``<name>-<today>.csv``, readable by Excel as UTF-8 (hence the BOM)."""
    filename = f"{name}-{date.today().isoformat()}.csv"
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
