"""Golden cases: vendors described by plain inputs, rated with the default profile, with the
tier and the top contributions the documented default gives (see scoring/README.md)."""

from __future__ import annotations

import pytest

from riskapp.scoring.engine import (
    AnswerShare,
    AssessmentResult,
    FindingFact,
    Gate,
    Inputs,
    ScanResult,
    VendorFacts,
    VendorRisk,
    rate,
)
from riskapp.scoring.profile import Profile, load_profile

EMAIL_LOW = VendorFacts(category="email", criticality="low")
PHI_HOSTING_HIGH = VendorFacts(category="hosting", criticality="high", stores_phi=True,
                               processes_phi=True)


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile()


def answer(question: str, share: float, text: str = "no") -> AnswerShare:
    return AnswerShare("Email vendor", question.lower().replace(" ", "_"), question, text, share,
                       ("HIPAA 164.312(d)",))


def finding(number: int, severity: str, accepted: str | None = None) -> FindingFact:
    return FindingFact(number, f"test.finding_{number}", f"Finding {number}", severity,
                       f"mail{number}.vendor.example", accepted)


def labels(risk: VendorRisk, count: int = 3) -> list[str]:
    return [c.label for c in risk.top(count)]


def test_a_low_risk_email_vendor_with_good_answers_and_no_findings_is_low(
        profile: Profile) -> None:
    risk = rate(Inputs(EMAIL_LOW, AssessmentResult(1, 5.0, answers=(answer("Uses MFA", 5),)),
                       ScanResult(1)), profile)

    assert (risk.score, risk.tier, risk.gates) == (5.75, "low", ())
    assert labels(risk) == ["Category: email", "Uses MFA", "Criticality: low"]
    assert risk.assessed
    assert risk.scanned


def test_a_phi_vendor_with_a_critical_answer_is_critical_whatever_its_score(
        profile: Profile) -> None:
    result = AssessmentResult(2, 8.0, floor="critical", answers=(answer("Signs a BAA", 8),),
                              critical_answers=("Signs a BAA: no",))

    risk = rate(Inputs(PHI_HOSTING_HIGH, result, ScanResult(1)), profile)

    assert risk.tier == "critical"
    assert risk.score < profile.tiers.moderate
    assert [g.reason for g in risk.gates] == [
        "critical answer in assessment #2: Signs a BAA: no"]


def test_an_unaccepted_critical_finding_makes_the_vendor_critical(profile: Profile) -> None:
    risk = rate(Inputs(EMAIL_LOW, AssessmentResult(1, 0.0), ScanResult(7, (finding(1,
                                                                                   "critical"),))),
                profile)

    assert risk.tier == "critical"
    assert risk.gates[0].reason.startswith("critical finding test.finding_1 @ mail1.")
    assert labels(risk, 1) == ["Finding 1"]


def test_a_critical_finding_the_officer_accepted_is_left_out_and_said_so(
        profile: Profile) -> None:
    scan = ScanResult(7, (finding(1, "critical", accepted="Legacy host, retired in March"),
                          finding(2, "low")))

    risk = rate(Inputs(EMAIL_LOW, AssessmentResult(1, 10.0), scan), profile)

    assert risk.tier == "low"
    assert risk.gates == ()
    assert [c.label for c in risk.accepted] == ["Finding 1"]
    assert risk.accepted[0].points == 0
    assert "risk accepted by the officer: Legacy host, retired in March" in risk.accepted[0].detail
    assert "1 finding(s) left out: their risk was accepted by the officer." in risk.notes
    assert "Finding 1" not in [c.label for c in risk.contributions]


def test_a_high_criticality_phi_vendor_with_medium_findings_is_moderate(
        profile: Profile) -> None:
    scan = ScanResult(3, (finding(1, "medium"), finding(2, "medium")))

    risk = rate(Inputs(PHI_HOSTING_HIGH, AssessmentResult(4, 30.0), scan), profile)

    # 0.30 x inherent 83.3 + 0.45 x questionnaire 30 + 0.25 x scans 20
    assert (risk.score, risk.tier) == (43.5, "moderate")
    assert risk.parts == {"inherent": 83.33, "questionnaire": 30.0, "scans": 20.0}
    assert labels(risk) == ["PHI access: stores", "Assessment #4", "Criticality: high"]


def test_the_same_vendor_with_poor_answers_and_high_findings_is_high(profile: Profile) -> None:
    scan = ScanResult(3, tuple(finding(n, "high") for n in range(1, 4)))

    risk = rate(Inputs(PHI_HOSTING_HIGH, AssessmentResult(4, 60.0), scan), profile)

    assert (risk.score, risk.tier) == (77.0, "high")
    assert risk.parts["scans"] == 100  # 120 points, capped
    assert labels(risk, 1) == ["Assessment #4"]


def test_a_vendor_not_assessed_is_rated_on_inherent_risk_and_scans_and_flagged(
        profile: Profile) -> None:
    vendor = VendorFacts(category="email", criticality="medium", stores_phi=True)

    risk = rate(Inputs(vendor, None, ScanResult(1)), profile)

    assert not risk.assessed
    assert (risk.score, risk.tier) == (39.09, "moderate")  # 30/55 x 71.67
    assert risk.notes[0].startswith("Not assessed")
    assert labels(risk) == ["PHI access: stores", "Criticality: medium", "Category: email"]


def test_intake_answers_join_the_inherent_risk(profile: Profile) -> None:
    without = rate(Inputs(EMAIL_LOW, AssessmentResult(1, 0.0)), profile)
    with_intake = rate(Inputs(EMAIL_LOW, AssessmentResult(1, 0.0, intake=100.0)), profile)

    assert with_intake.score > without.score
    assert "Intake answers" in [c.label for c in with_intake.contributions]


@pytest.mark.parametrize("baa", ["missing", "pending", "expired", "terminated", "refused"])
def test_a_phi_vendor_without_a_signed_baa_in_force_is_critical(profile: Profile,
                                                                 baa: str) -> None:
    unsigned = rate(Inputs(PHI_HOSTING_HIGH, AssessmentResult(1, 0.0), baa=baa), profile)
    not_phi = rate(Inputs(EMAIL_LOW, AssessmentResult(1, 0.0), baa=baa), profile)

    assert unsigned.tier == "critical"
    assert unsigned.gates[-1] == Gate("baa", f"the vendor handles PHI and its BAA is {baa}")
    assert not_phi.tier == "low"


def test_a_signed_baa_or_one_not_required_opens_no_gate(profile: Profile) -> None:
    signed = rate(Inputs(PHI_HOSTING_HIGH, AssessmentResult(1, 0.0), baa="signed"), profile)
    waived = rate(Inputs(PHI_HOSTING_HIGH, AssessmentResult(1, 0.0), baa="not_required"),
                  profile)

    assert signed.tier != "critical"
    assert waived.tier != "critical"
    assert signed.score == waived.score
    assert any("recorded as not required" in note for note in waived.notes)
    assert not any("BAA" in note for note in signed.notes)


@pytest.mark.parametrize("inputs", [
    Inputs(EMAIL_LOW),
    Inputs(PHI_HOSTING_HIGH, AssessmentResult(1, 42.0, intake=55.0, answers=(
        answer("Uses MFA", 30), answer("Encrypts backups", 12))),
        ScanResult(1, tuple(finding(n, s) for n, s in enumerate(
            ["high", "high", "high", "medium", "low", "info"])))),
])
def test_the_contributions_add_up_to_the_score_largest_first(
        profile: Profile, inputs: Inputs) -> None:
    risk = rate(inputs, profile)

    assert round(sum(c.points for c in risk.contributions), 2) == pytest.approx(risk.score)
    assert [c.points for c in risk.contributions] == sorted(
        (c.points for c in risk.contributions), reverse=True)
    assert VendorRisk.from_json(risk.to_json()) == risk
