"""Questions a test asks about a client's sign-in state."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def sent_to_sign_in(response: TestResponse) -> bool:
    """Say whether ``response`` redirects to the login page."""
    return response.status_code == 302 and response.location.startswith("/login")


def is_signed_in(client: FlaskClient) -> bool:
    """Say whether ``client`` can open the dashboard, which every signed-in user may see."""
    response = client.get("/")
    assert response.status_code == 200 or sent_to_sign_in(response), response.status_code
    return response.status_code == 200
