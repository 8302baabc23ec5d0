"""The vendor portal: the share link is the only key, answers save as they go, and two people
editing at once are told rather than overwritten."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.assessments import services
from riskapp.assessments.models import AnswerRecord, ShareLink, Status
from riskapp.database import db, utcnow
from tests.assessments.conftest import GOOD_ANSWERS, Started

Start = Callable[..., Started]
Open = Callable[[Started], FlaskClient]
ACCESS = "/portal/0/access"


def _revisions(html: str) -> str:
    match = re.search(r'name="revisions" value="([^"]*)"', html)
    assert match
    return match.group(1).replace("&#34;", '"')


def _post(client: FlaskClient, url: str, **fields: Any) -> Any:
    return client.post(url, data=fields)


def test_the_token_is_long_random_and_stored_only_as_a_hash(start: Start) -> None:
    started = start()
    assert len(started.token) >= 43  # 32 random bytes, URL-safe base64
    link = db.session.scalars(select(ShareLink)).one()
    assert started.token not in link.token_hash
    assert len(link.token_hash) == 64


def test_opening_the_link_trades_it_for_a_session_and_drops_it_from_the_url(
    start: Start, app: Flask
) -> None:
    started = start()
    client = app.test_client()
    response = client.get(started.url)
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/portal/")
    assert "Security and privacy questionnaire" in page.text
    assert started.token not in page.text


def test_a_wrong_expired_or_revoked_link_gets_the_same_plain_page(
    start: Start, app: Flask
) -> None:
    expired, revoked = start(), start()
    link = db.session.scalars(select(ShareLink).where(
        ShareLink.assessment_id == expired.assessment.id)).one()
    link.expires_at = utcnow() - dt.timedelta(minutes=1)
    services.revoke_links(revoked.assessment, actor=revoked.officer)
    db.session.commit()
    client = app.test_client()
    pages = [client.get(url) for url in ("/r/not-a-real-token", expired.url, revoked.url)]
    assert [p.status_code for p in pages] == [404, 404, 404]
    assert len({p.text for p in pages}) == 1
    assert "Please contact the privacy office" in pages[0].text


def test_revoking_ends_a_portal_session_already_open(start: Start, vendor_browser: Open) -> None:
    started = start()
    client = vendor_browser(started)
    services.revoke_links(started.assessment, actor=started.officer)
    db.session.commit()
    response = client.get("/portal/")
    assert response.status_code == 403
    assert "This link does not open a questionnaire" in response.text


def test_a_session_opens_only_its_own_assessment(start: Start, vendor_browser: Open) -> None:
    mine, theirs = start(), start()
    client = vendor_browser(mine)
    _post(client, ACCESS, mfa="yes", go="next", revisions="{}")
    assert db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.assessment_id == theirs.assessment.id)).all() == []


def test_too_many_wrong_links_from_one_address_are_slowed_down(app: Flask) -> None:
    app.config["PORTAL_MAX_REFUSALS"] = 3
    client = app.test_client()
    codes = [client.get(f"/r/wrong-{n}").status_code for n in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_an_autosave_keeps_answers_across_a_closed_tab(start: Start, vendor_browser: Open,
                                                      app: Flask) -> None:
    started = start()
    client = vendor_browser(started)
    saved = _post(client, ACCESS, autosave="1", mfa="no", mfa__comment="Rolling out in March",
                  session_timeout="20", revisions="{}")
    assert saved.status_code == 200
    assert sorted(saved.json["saved"]) == ["mfa", "session_timeout"]
    # The tab is closed; later, the same link in a fresh browser finds the answers.
    again = app.test_client()
    again.get(started.url)
    page = again.get(ACCESS).text
    assert re.search(r'value="no"[^>]*checked|checked[^>]*value="no"', page)
    assert "Rolling out in March" in page
    assert re.search(r'name="session_timeout"[^>]*value="20"', page)
    assessment = services.get_assessment(started.assessment.id)
    assert assessment is not None
    assert assessment.status_enum is Status.IN_PROGRESS


def test_two_people_editing_at_once_are_told_not_overwritten(
    start: Start, vendor_browser: Open
) -> None:
    started = start()
    alice, bob = vendor_browser(started), vendor_browser(started)
    alice_page, bob_page = alice.get(ACCESS).text, bob.get(ACCESS).text
    _post(alice, ACCESS, mfa="yes", revisions=_revisions(alice_page), go="stay")
    response = _post(bob, ACCESS, mfa="no", mfa__comment="x", revisions=_revisions(bob_page),
                     go="next")
    assert response.status_code == 200  # the page comes back instead of moving on
    assert "Someone else changed 1 answer(s) on this page" in response.text
    record = db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.question_id == "mfa")).one()
    assert record.data["value"] == "yes"  # Alice's answer stands
    autosave = _post(bob, ACCESS, autosave="1", mfa="no", revisions=_revisions(bob_page))
    assert autosave.json["conflicts"] == ["mfa"]


def _answer_everything(client: FlaskClient) -> None:
    for section, fields in (("baa", {"baa_offered": "yes"}), ("profile", {"phi_volume": "none"}),
                            ("access", {k: GOOD_ANSWERS[k] for k in
                                        ("mfa", "mfa_methods", "session_timeout")}),
                            ("locations", {"data_countries": "US"})):
        page = client.get(f"/portal/0/{section}").text
        _post(client, f"/portal/0/{section}", revisions=_revisions(page), go="next", **fields)


def _submit(client: FlaskClient) -> Any:
    return _post(client, "/portal/review", name="Vera Vendor", title="CISO", confirm="yes")


def test_submitting_needs_every_required_answer_and_a_confirmation(
    start: Start, vendor_browser: Open
) -> None:
    started = start()
    client = vendor_browser(started)
    early = _submit(client)
    assert "Some questions still need an answer" in early.text
    assert "Will you sign our BAA?" in early.text
    _answer_everything(client)
    unconfirmed = _post(client, "/portal/review", name="Vera Vendor", title="CISO")
    assert "Tick the box" in unconfirmed.text
    assert _submit(client).status_code == 303
    assessment = services.get_assessment(started.assessment.id)
    assert assessment is not None
    assert assessment.status_enum is Status.SUBMITTED
    assert assessment.attestation == {"name": "Vera Vendor", "title": "CISO",
                                      "date": dt.date.today().isoformat()}


def test_submitted_answers_are_read_only(start: Start, vendor_browser: Open) -> None:
    started = start()
    client = vendor_browser(started)
    _answer_everything(client)
    _submit(client)
    response = _post(client, ACCESS, autosave="1", mfa="no", revisions="{}")
    assert response.status_code == 409
    record = db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.question_id == "mfa")).one()
    assert record.data["value"] == "yes"
    assert "Your answers were submitted" in client.get("/portal/").text


def test_the_clarification_loop(start: Start, vendor_browser: Open, login_as: Any) -> None:
    started = start()
    client = vendor_browser(started)
    _answer_everything(client)
    _submit(client)
    officer = login_as("officer")
    version_id = started.assessment.questionnaires[0].questionnaire_version_id
    asked = officer.post(f"/assessments/{started.assessment.id}/clarify", data={
        f"clarify__{version_id}__session_timeout": "Is 15 minutes enforced for admins too?"})
    assert asked.status_code == 302
    # The vendor sees the question through the same link, and only that answer opens up.
    page = client.get(ACCESS).text
    assert "The privacy office asks: Is 15 minutes enforced for admins too?" in page
    changed = _post(client, ACCESS, autosave="1", mfa="no", session_timeout="10",
                    revisions=_revisions(page))
    assert changed.json["saved"] == ["session_timeout"]
    assert _submit(client).status_code == 303
    officer.post(f"/assessments/{started.assessment.id}/complete")
    assessment = services.get_assessment(started.assessment.id)
    assert assessment is not None
    assert assessment.status_enum is Status.COMPLETED
    assert assessment.score == 0
    # Completing locks the answers: the link no longer works.
    assert client.get("/portal/").status_code == 403


def test_reopening_makes_a_new_revision_and_keeps_the_old(
    start: Start, vendor_browser: Open, login_as: Any
) -> None:
    started = start()
    client = vendor_browser(started)
    _answer_everything(client)
    _submit(client)
    officer = login_as("officer")
    officer.post(f"/assessments/{started.assessment.id}/complete")
    page = officer.post(f"/assessments/{started.assessment.id}/reopen",
                        data={"due_date": (dt.date.today() + dt.timedelta(days=7)).isoformat()})
    link = re.search(r'value="(http://localhost/r/[^"]+)"', page.text)
    assert link
    revision = services.get_assessment(started.assessment.id + 1)
    assert revision is not None
    assert (revision.revision, revision.previous_id) == (2, started.assessment.id)
    fresh = officer.application.test_client()
    fresh.get(link.group(1).removeprefix("http://localhost"))
    _post(fresh, ACCESS, autosave="1", mfa="no", mfa__comment="Changed",
          revisions=_revisions(fresh.get(ACCESS).text))
    old = db.session.scalars(select(AnswerRecord).where(
        AnswerRecord.assessment_id == started.assessment.id,
        AnswerRecord.question_id == "mfa")).one()
    assert old.data["value"] == "yes"  # the completed revision stays as it was
    assert json.dumps(old.data)
