"""The demo's example assessment: completed through the real workflow, so make run shows a
vendor score from a completed assessment, with its explanation and report."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from riskapp.assessments.models import Assessment, Status
from riskapp.database import db
from riskapp.demo.services import DEMO_ASSESSED_VENDOR, load_demo_data
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.loader import load_directory
from riskapp.scoring.models import VendorScore

SHIPPED = Path(__file__).parents[2] / "questionnaires"


def test_with_the_questionnaires_published_the_demo_completes_an_assessment(
    app: Flask, login_as
) -> None:
    questionnaires.publish_library(load_directory(SHIPPED), actor=None)
    db.session.commit()
    load_demo_data()
    db.session.commit()

    (assessment,) = db.session.scalars(select(Assessment)).all()
    assert assessment.vendor.name == DEMO_ASSESSED_VENDOR
    assert assessment.status_enum is Status.COMPLETED
    assert assessment.score is not None
    assert assessment.score > 0  # the weaker session timeout answer counts
    assert assessment.score_floor is None
    latest = db.session.scalars(select(VendorScore).where(
        VendorScore.vendor_id == assessment.vendor_id).order_by(VendorScore.id.desc())).first()
    assert latest is not None
    assert latest.assessment_id == assessment.id
    page = login_as("viewer").get(f"/assessments/{assessment.id}").text
    assert "northwind-soc2-type2-2026.pdf" in page
    report = login_as("viewer").get(f"/vendors/{assessment.vendor_id}/report.pdf")
    assert report.status_code == 200


def test_without_published_questionnaires_the_demo_has_no_assessment(app: Flask) -> None:
    load_demo_data()
    db.session.commit()
    assert db.session.scalars(select(Assessment)).all() == []
