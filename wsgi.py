"""Entry point for WSGI servers: ``gunicorn wsgi:app``."""

from riskapp import create_app

app = create_app()
