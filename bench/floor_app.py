"""The floor of the pages benchmark: the smallest Flask app, served the way riskapp is.

``gunicorn bench.floor_app:app`` answers ``GET /`` with a short text and does nothing else: no
database, no session, no template. What it costs is what Flask, gunicorn and the load driver
cost, so a page's time divided by this one's is what riskapp itself adds.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "ok"
