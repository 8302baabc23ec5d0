"""Every route of the vendor portal opens only for a browser holding a live link to that
assessment: no link, an expired or revoked one, or another assessment's link gets nothing.

The routes are read from the app, so a portal route added later is covered without listing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.assessments import services
from riskapp.assessments.models import EvidenceFile, ShareLink
from riskapp.database import db, utcnow
from tests.assessments.conftest import Started
from tests.assessments.test_evidence import PDF, _upload

Start = Callable[..., Started]
Open = Callable[[Started], FlaskClient]
SECRET = "Quarterly access review of the PHI mailboxes"


def portal_urls(app: Flask, file_id: int) -> list[tuple[str, str]]:
    """Every (method, URL) of the portal behind the link, aimed at ``file_id`` where it asks."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.") or rule.endpoint == "portal.enter":
            continue
        values = {"part": 0, "section_id": "access", "file_id": file_id}
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        urls.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    assert len(urls) >= 5, urls  # overview, section (GET and POST), file, review
    return urls


@pytest.fixture
def theirs(start: Start, vendor_browser: Open) -> tuple[Started, int]:
    """Another vendor's assessment with a comment and an uploaded file to steal."""
    started = start()
    client = vendor_browser(started)
    _upload(client, "their-soc2.pdf", PDF)
    client.post("/portal/0/access", data={"go": "stay", "revisions": "{}", "mfa": "yes",
                                          "mfa__comment": SECRET})
    file_id = db.session.scalars(select(EvidenceFile.id)).one()
    assert SECRET in client.get("/portal/0/access").text  # what the others must not see
    assert client.get(f"/portal/files/{file_id}").data == PDF
    return started, file_id


def assert_refused_everywhere(app: Flask, client: FlaskClient, file_id: int) -> None:
    for method, url in portal_urls(app, file_id):
        response = client.open(url, method=method, data={"go": "stay", "revisions": "{}"})
        assert response.status_code in {403, 404}, f"{method} {url}: {response.status_code}"
        assert SECRET not in response.text
        assert response.data != PDF


def test_a_browser_without_a_link_gets_nothing(app: Flask, theirs: tuple[Started, int]) -> None:
    _, file_id = theirs

    assert_refused_everywhere(app, app.test_client(), file_id)


def test_a_link_that_expired_while_open_gets_nothing(
    app: Flask, theirs: tuple[Started, int], vendor_browser: Open,
) -> None:
    started, file_id = theirs
    client = vendor_browser(started)
    link = db.session.scalars(select(ShareLink).where(
        ShareLink.assessment_id == started.assessment.id)).one()
    link.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()

    assert_refused_everywhere(app, client, file_id)


def test_a_revoked_link_gets_nothing(
    app: Flask, theirs: tuple[Started, int], vendor_browser: Open,
) -> None:
    started, file_id = theirs
    client = vendor_browser(started)
    services.revoke_links(started.assessment, actor=started.officer)
    db.session.commit()

    assert_refused_everywhere(app, client, file_id)


def test_another_assessments_link_reaches_only_its_own_answers(
    app: Flask, theirs: tuple[Started, int], start: Start, vendor_browser: Open,
) -> None:
    _, file_id = theirs
    client = vendor_browser(start())

    for method, url in portal_urls(app, file_id):
        response = client.open(url, method=method, data={"go": "stay", "revisions": "{}"})
        assert SECRET not in response.text, f"{method} {url}"
        assert response.data != PDF, f"{method} {url}"
    assert client.get(f"/portal/files/{file_id}").status_code == 404
