"""The audit trail is a hash chain: each event records who did what and links to the one before."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.audit.models import AuditChainHead, AuditEvent
from riskapp.database import db


class Colour(enum.Enum):
    BLUE = "blue"


def stored_event(event_id: int) -> AuditEvent:
    """Read an event back from the database, not from the session's identity map."""
    db.session.expire_all()
    event = db.session.get(AuditEvent, event_id)
    assert event is not None
    return event


def test_first_event_links_to_the_genesis_hash(record_event: Callable[..., int]) -> None:
    first = record_event("First")

    assert stored_event(first).previous_hash == "0" * 64


def test_each_event_links_to_the_hash_of_the_event_before_it(
    record_event: Callable[..., int],
) -> None:
    ids = [record_event(f"Event {number}") for number in range(3)]

    events = [stored_event(event_id) for event_id in ids]
    assert events[1].previous_hash == events[0].entry_hash
    assert events[2].previous_hash == events[1].entry_hash


def test_entry_hash_covers_the_stored_content(record_event: Callable[..., int]) -> None:
    event = stored_event(record_event("Hashed"))

    assert event.entry_hash == audit.hash_event(event)
    event.summary = "Something else"
    assert audit.hash_event(event) != event.entry_hash
    db.session.rollback()


def test_chain_head_names_the_newest_event(record_event: Callable[..., int]) -> None:
    record_event("Older")
    newest = record_event("Newest")

    head = db.session.get(AuditChainHead, audit.CHAIN_HEAD_ID)
    assert head is not None
    assert head.last_event_id == newest
    assert head.last_hash == stored_event(newest).entry_hash


def test_event_records_actor_target_and_changes(
    record_event: Callable[..., int], make_user: Callable[..., User],
) -> None:
    officer = make_user("officer", email="dana@hospital.example")
    event_id = record_event(
        "Changed criticality",
        action="vendor.updated",
        actor=officer,
        target=audit.AuditTarget("vendor", "42", "Summit Cloud Hosting"),
        changes=audit.diff({"criticality": "low", "name": "Summit"},
                           {"criticality": "high", "name": "Summit"}),
    )

    event = stored_event(event_id)
    assert event.action == "vendor.updated"
    assert event.actor_id == officer.id
    assert event.actor_label == "dana@hospital.example"
    assert (event.object_type, event.object_id, event.object_label) == (
        "vendor", "42", "Summit Cloud Hosting"
    )
    assert event.summary == "Changed criticality"
    assert event.changes == {"criticality": {"before": "low", "after": "high"}}


def test_event_records_the_ip_address_of_the_request(app: Flask) -> None:
    with app.test_request_context(
        "/vendors/new", method="POST", environ_base={"REMOTE_ADDR": "198.51.100.23"}
    ):
        event = audit.record("vendor.created", actor=None, summary="Added a vendor")
        event_id = event.id
        db.session.commit()

    assert stored_event(event_id).ip_address == "198.51.100.23"


def test_event_outside_a_request_has_no_ip_and_a_system_actor(
    record_event: Callable[..., int],
) -> None:
    event = stored_event(record_event("Nightly job"))

    assert event.ip_address is None
    assert event.actor_id is None
    assert event.actor_label == "system"


def test_actor_label_names_an_actor_without_an_account(app: Flask) -> None:
    event = audit.record("auth.login_failed", actor=None, actor_label="nobody@hospital.example")
    event_id = event.id
    db.session.commit()

    assert stored_event(event_id).actor_label == "nobody@hospital.example"


def test_changes_with_dates_and_enums_are_stored_as_json_that_still_verifies(
    record_event: Callable[..., int],
) -> None:
    event_id = record_event(changes={"due": date(2027, 1, 31), "colour": Colour.BLUE,
                                     "tags": {"b", "a"}})

    assert stored_event(event_id).changes == {"due": "2027-01-31", "colour": "blue",
                                              "tags": ["a", "b"]}
    assert audit.verify_chain().intact


def test_verify_reports_an_intact_trail_with_its_event_count(
    record_event: Callable[..., int], runner: FlaskCliRunner,
) -> None:
    for number in range(3):
        record_event(f"Event {number}")

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert "Audit trail intact: 3 events" in result.output


def test_verify_calls_an_empty_trail_intact(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert "Audit trail intact: 0 events" in result.output



def test_non_ascii_text_keeps_its_hash(record_event: Callable[..., int]) -> None:
    record_event("Zugang geändert für Ärztenetz Zürich 🩺",
                 target=audit.AuditTarget("vendor", "1", "Ärztenetz Zürich"),
                 changes={"notes": {"before": "", "after": "naïve — «quoted»"}})

    assert audit.verify_chain().intact


def test_verify_walks_a_log_longer_than_one_batch(
    record_event: Callable[..., int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit, "VERIFY_BATCH", 2)
    for number in range(5):
        record_event(f"Event {number}")

    report = audit.verify_chain()

    assert report.intact, report.first_break
    assert report.events_checked == 5


def test_diff_lists_only_the_fields_that_changed() -> None:
    changes = audit.diff({"name": "Summit", "criticality": "low"},
                         {"name": "Summit", "criticality": "high"})

    assert changes == {"criticality": {"before": "low", "after": "high"}}


def test_diff_of_a_new_object_leaves_out_its_blank_fields() -> None:
    changes = audit.diff({}, {"name": "Summit", "notes": "", "domains": [], "stores_phi": False,
                              "contact": None})

    assert changes == {"name": {"before": None, "after": "Summit"}}


def test_diff_keeps_a_field_that_was_switched_off_or_cleared() -> None:
    changes = audit.diff({"stores_phi": True, "notes": "Call first"},
                         {"stores_phi": False, "notes": ""})

    assert changes == {"stores_phi": {"before": True, "after": False},
                       "notes": {"before": "Call first", "after": ""}}
