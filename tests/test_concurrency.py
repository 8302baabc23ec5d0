"""Requests that read and then write, arriving together, all succeed."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from riskapp.access import Role
from riskapp.audit.services import verify_chain
from riskapp.database import db
from riskapp.vendors.models import Vendor

WRITERS = 6
VENDORS_EACH = 5


def new_vendor_form(writer: int, number: int) -> dict[str, str]:
    return {
        "name": f"Writer {writer} vendor {number}",
        "primary_domain": f"w{writer}-v{number}.example",
        "category": "hosting",
        "criticality": "high",
        "status": "active",
    }


def test_concurrent_form_posts_neither_fail_nor_lose_writes(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    clients = [login_as(Role.OFFICER) for _ in range(WRITERS)]
    db.session.commit()
    db.session.close()
    start = threading.Barrier(WRITERS)
    statuses: list[int] = []

    def write(writer: int, client: FlaskClient) -> None:
        start.wait()
        for number in range(VENDORS_EACH):
            # Each post reads (the session, the name check, the audit chain) then writes.
            response = client.post("/vendors/new", data=new_vendor_form(writer, number))
            statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=item) for item in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * (WRITERS * VENDORS_EACH)
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == WRITERS * VENDORS_EACH
    assert verify_chain().intact


def test_pages_still_load_while_another_transaction_is_writing(
    app: Flask, login_as: Callable[..., FlaskClient]
) -> None:
    client = login_as(Role.VIEWER)
    db.session.commit()
    db.session.close()
    with db.engine.connect() as writer:
        writer.execute(Vendor.__table__.insert().values(
            name="Uncommitted Vendor", name_key="uncommitted vendor", category="email",
            services="", stores_phi=False,
            processes_phi=False, transmits_phi=False, criticality="low", status="active",
            business_owner="", contact_name="", contact_email="", notes="",
            created_at=db.func.now(), updated_at=db.func.now(),
        ))
        response = client.get("/vendors/")
        writer.rollback()
    assert response.status_code == 200
    assert "Uncommitted Vendor" not in response.text
