"""Fixtures and page readers shared by the vendor tests."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.access import Role
from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.vendors.models import Vendor, VendorDomain

_VENDOR_LINK = re.compile(r'<a href="/vendors/\d+">([^<]*)</a>')
_PAGER = re.compile(r'<nav class="pager".*?</nav>', re.DOTALL)
_HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def officer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.OFFICER)


@pytest.fixture
def viewer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.VIEWER)


@pytest.fixture
def add_vendors(app: Flask) -> Callable[..., list[Vendor]]:
    """Insert vendors straight into the database, for tests that need many of them.

    ``rows`` are dicts of Vendor columns plus an optional ``domain``; anything left out gets a
    plain default. ``updated_at`` defaults to one minute apart, in row order.
    """
    start = datetime(2024, 1, 1, tzinfo=UTC)

    def add(*rows: dict[str, Any]) -> list[Vendor]:
        vendors = []
        for number, row in enumerate(rows):
            values = dict(row)
            domain = values.pop("domain", f"bulk{number}.example")
            vendor = Vendor(**({
                "name": f"Bulk vendor {number:03d}",
                "category": "email",
                "criticality": "medium",
                "status": "active",
                "updated_at": start + timedelta(minutes=number),
            } | values))
            vendor.domains = [VendorDomain(domain=domain, is_primary=True)]
            vendors.append(vendor)
        db.session.add_all(vendors)
        db.session.commit()
        return vendors

    return add


def vendor_form(**overrides: str | None) -> dict[str, str]:
    """Return a complete, valid vendor form submission; ``None`` leaves a field out."""
    data: dict[str, str | None] = {
        "name": "Acme Mail",
        "primary_domain": "mail.acme.example",
        "extra_domains": "",
        "category": "email",
        "services": "Appointment reminder emails",
        "stores_phi": "y",
        "criticality": "high",
        "status": "active",
        "business_owner": "Patient Services",
        "contact_name": "Dana Smith",
        "contact_email": "dana@acme.example",
        "notes": "Signed BAA in 2023",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def only_vendor() -> Vendor:
    db.session.expire_all()
    return db.session.scalars(select(Vendor)).one()


def vendor_named(name: str) -> Vendor:
    db.session.expire_all()
    return db.session.scalars(select(Vendor).where(Vendor.name == name)).one()


def vendor_names() -> list[str]:
    """Return the names of every vendor in the database, archived or not, sorted."""
    db.session.expire_all()
    return sorted(db.session.scalars(select(Vendor.name)))


def vendor_events(action: str | None = None) -> list[AuditEvent]:
    """Return the audit events about vendors (all, or one ``action``), oldest first."""
    db.session.expire_all()
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action is None:
        statement = statement.where(AuditEvent.action.startswith("vendor."))
    else:
        statement = statement.where(AuditEvent.action == action)
    return list(db.session.scalars(statement))


def listed_names(page_html: str) -> list[str]:
    """Return the vendor names in the order the list page shows them."""
    return [html.unescape(name) for name in _VENDOR_LINK.findall(page_html)]


def pager_links(page_html: str) -> dict[str, dict[str, list[str]]]:
    """Return the pager's links as {link text: query parameters}."""
    match = _PAGER.search(page_html)
    assert match, "page has no pager"
    links = {}
    for anchor in re.findall(r"<a [^>]*>[^<]*</a>", match.group(0)):
        href = html.unescape(_HREF.search(anchor).group(1))
        text = html.unescape(re.sub(r"<[^>]+>", "", anchor)).strip()
        links[text] = parse_qs(urlsplit(href).query)
    return links


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if name == "csrf_token":
            return
        if tag == "input" and name:
            if attributes.get("type") in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.values[name] = attributes.get("value") or "on"
            else:
                self.values[name] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea:
            # Browsers drop one newline right after <textarea>; so do we.
            text = self.values[self._textarea]
            self.values[self._textarea] = re.sub(r"^\r?\n", "", text)
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(page_html: str) -> dict[str, str]:
    """Return what each named field of the page's forms holds, as a browser would submit it."""
    reader = _FormReader()
    reader.feed(page_html)
    return reader.values
