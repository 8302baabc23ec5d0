"""A NUL character in what someone types or links is refused with a clear message.

No text riskapp keeps may hold one: PostgreSQL refuses it outright, and where a database takes
it (SQLite), it cuts names short in mail, PDFs and other programs.
"""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.access import Role
from riskapp.database import db
from riskapp.vendors.models import Vendor


def test_a_vendor_name_with_a_nul_character_is_refused_and_nothing_is_stored(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    response = client.post("/vendors/new", data={"name": "Acme\x00 Hosting",
                                                 "category": "hosting", "tier": "high"})

    assert response.status_code == 400
    assert "NUL character" in response.text
    assert db.session.scalars(select(Vendor)).all() == []


def test_a_search_with_a_nul_character_is_refused_not_a_server_error(
    login_as: Callable[..., FlaskClient],
) -> None:
    client = login_as(Role.OFFICER)

    response = client.get("/vendors/?q=acme%00")

    assert response.status_code == 400
    assert "NUL character" in response.text


def test_a_share_link_with_a_nul_character_is_just_a_link_that_does_not_work(
    client: FlaskClient,
) -> None:
    response = client.get("/r/abc%00def")

    assert response.status_code in {400, 404}
