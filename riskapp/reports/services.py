"""What a vendor's due-diligence report says, gathered once for the PDF and the HTML page.

Nothing here writes: a vendor never scored gets a provisional rating computed on the spot
(and the report says so), never a stored one. The BAA section is worded in
:mod:`riskapp.reports.baa`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from riskapp.agreements import services as agreements
from riskapp.agreements.services import Overview
from riskapp.assessments import services as assessments
from riskapp.assessments.models import Assessment
from riskapp.reports.baa import BAA_ACTIONS, PHI_RULE, BaaSection, baa_section, required_by_rule
from riskapp.scans.models import Scan, ScanFinding
from riskapp.scans.services import acceptances_by_fingerprint
from riskapp.scoring import services as scoring
from riskapp.scoring.engine import VendorRisk, rate
from riskapp.scoring.profile import ProfileError
from riskapp.vendors.models import Vendor

VERDICTS = {
    "low": "presents a low risk. Its answers and scans show no significant gaps; keep the "
           "regular review cycle.",
    "moderate": "presents a moderate risk. Some controls fall short of what we expect; agree "
                "on the remediations below with the vendor and follow them up.",
    "high": "presents a high risk. Significant gaps need remediation before the vendor handles "
            "more of our data; escalate to the business owner.",
    "critical": "presents a critical risk. Do not let PHI flow to this vendor, or more of it, "
                "until the issues below are resolved or formally accepted.",
}


@dataclass(frozen=True)
class AnswerLine:
    question_id: str
    question: str
    answer: str
    citation: tuple[str, ...] = ()
    comment: str = ""
    not_applicable: str = ""  # the vendor's reason, when it said "not applicable"
    evidence: tuple[str, ...] = ()  # file names


@dataclass(frozen=True)
class SectionLines:
    title: str
    risk: float | None  # 0-100; None for intake sections, which describe rather than test
    answers: tuple[AnswerLine, ...]


@dataclass(frozen=True)
class QuestionnaireLines:
    title: str
    version: str
    score: float
    sections: tuple[SectionLines, ...]


@dataclass(frozen=True)
class Remediation:
    severity: str
    title: str
    action: str
    source: str  # the question or the finding's target


@dataclass(frozen=True)
class FindingLine:
    finding: ScanFinding
    accepted: str | None  # the officer's reason, when its risk was accepted


@dataclass
class VendorReport:
    vendor: Vendor
    generated: dt.datetime
    risk: VendorRisk | None
    scored: str  # how the rating came about, in words
    baa: BaaSection
    assessment: Assessment | None
    scan: Scan | None
    questionnaires: list[QuestionnaireLines] = field(default_factory=list)
    findings: list[FindingLine] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.risk is None:
            return (f"{self.vendor.name} has no rating: the scoring profile has errors. "
                    "Fix it (flask scores check) and rescore.")
        text = f"{self.vendor.name} {VERDICTS.get(self.risk.tier, VERDICTS['high'])}"
        if self.risk.gates:
            text += " It is rated critical whatever its score because: " + "; ".join(
                g.reason for g in self.risk.gates) + "."
        if not self.risk.assessed:
            text += " No assessment has been completed, so the rating rests on its profile"
            text += " and scans." if self.risk.scanned else " alone."
        return text

    @property
    def areas(self) -> list[tuple[str, float]]:
        """Risk by area (0-100): the questionnaire sections, else the score's parts."""
        sections = [(s.title, s.risk) for q in self.questionnaires for s in q.sections
                    if s.risk is not None]
        if sections:
            return [(title, risk) for title, risk in sections]
        parts = self.risk.parts if self.risk else {}
        return [(PART_LABELS.get(name, name), risk) for name, risk in parts.items()]


PART_LABELS = {"inherent": "Inherent risk", "questionnaire": "Questionnaire",
               "scans": "Domain scans"}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def vendor_report(vendor: Vendor, *, now: dt.datetime | None = None) -> VendorReport:
    """Everything the vendor's report shows, from its latest score, assessment and scan."""
    generated = now or dt.datetime.now(dt.UTC)
    risk, scored = _rating(vendor)
    assessment = scoring.latest_completed_assessment(vendor)
    scan = scoring.latest_finished_scan(vendor)
    view = agreements.overview(vendor, on=generated.date())
    report = VendorReport(vendor, generated, risk, scored, baa_section(view), assessment, scan,
                          remediations=baa_remediations(view))
    if assessment is not None:
        _add_answers(report, assessment)
    if scan is not None:
        accepted = acceptances_by_fingerprint(vendor)
        for finding in scan.findings_by_severity:
            acceptance = accepted.get(finding.fingerprint)
            report.findings.append(FindingLine(finding, acceptance.reason if acceptance
                                               else None))
            if acceptance is None and finding.remediation and finding.severity != "info":
                report.remediations.append(Remediation(
                    finding.severity, finding.title, finding.remediation, finding.target))
    report.remediations.sort(key=lambda r: SEVERITY_ORDER.get(r.severity, 9))
    return report


def _rating(vendor: Vendor) -> tuple[VendorRisk | None, str]:
    row = scoring.latest_score(vendor)
    if row is not None:
        return row.risk, (f"Scored {row.computed_at:%Y-%m-%d %H:%M} UTC ({row.reason}) with "
                          f"scoring profile {row.profile_label}.")
    try:
        profile = scoring.current_profile()
    except ProfileError:
        return None, "Not scored: the scoring profile has errors."
    inputs, _, _ = scoring.gather(vendor)
    return rate(inputs, profile), (f"Provisional: the vendor has no stored score, so this one "
                                   f"was computed for the report with profile {profile.label}.")


def _add_answers(report: VendorReport, assessment: Assessment) -> None:
    for part in assessments.scored(assessment):
        risks = {s.section_id: s.risk for s in part.result.sections}
        sections = []
        for section in part.questionnaire.sections:
            lines = []
            for question in section.questions:
                answer = part.answers.get(question.id)
                if answer is None:
                    continue
                lines.append(AnswerLine(
                    question.id, question.text,
                    "Not applicable" if answer.not_applicable else question.describe(answer.value),
                    tuple(question.citation), answer.comment,
                    answer.reason if answer.not_applicable else "",
                    tuple(str(item.get("name", "")) for item in answer.evidence)))
            if lines:
                sections.append(SectionLines(section.title, None if section.intake
                                             else risks.get(section.id), tuple(lines)))
        report.questionnaires.append(QuestionnaireLines(
            part.questionnaire.title, str(part.questionnaire.version), part.result.score,
            tuple(sections)))
        report.remediations += [
            Remediation(f.finding.severity, f.finding.title, f.finding.remediation,
                        f.question + (f" ({f.row})" if f.row else ""))
            for f in part.result.findings]


def baa_remediations(view: Overview) -> list[Remediation]:
    """A required BAA not in force (critical for a PHI vendor), each use it does not cover and
    each provision it lacks."""
    found = []
    state = view.state
    if not state.satisfied:
        found.append(Remediation(
            "critical" if view.vendor.handles_phi else "high",
            f"No BAA in force: {state.note or state.label.lower()}",
            f"{BAA_ACTIONS[state.status]} ({PHI_RULE})", "BAA"))
    found += [Remediation("high", gap.describe(), "Have the BAA amended to cover it, or stop "
                          "using it for PHI.", f"BAA coverage ({gap.source})")
              for gap in view.gaps]
    found += [Remediation("high", f"The BAA lacks: {row.clause.title}",
                          f"Have the BAA amended to include it ({row.clause.citation}).",
                          "BAA clause check") if required_by_rule(row.clause) else
              Remediation("medium", f"The BAA lacks: {row.clause.title}",
                          "Ask for it when the BAA is next amended: sound contract practice, "
                          "though HIPAA does not require it.", "BAA clause check")
              for row in view.clauses_missing]
    return found
