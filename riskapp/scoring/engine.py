"""Rate a vendor from plain inputs: pure functions, no Flask, no database.

A vendor's score (0-100, higher is riskier) is the weighted mean of three parts, each 0-100:

- **inherent** risk, from its profile (PHI access, criticality, category) and the intake
  answers of its latest completed assessment, when they give one;
- **questionnaire**, the risk score its latest completed assessment recorded;
- **scans**, the points of the findings of its latest finished scan, by severity, capped at 100.
  Findings whose risk an officer accepted count as the officer decided: not at all, and the
  explanation lists them as accepted.

A part with nothing to say (no completed assessment, no finished scan) is left out and the
others share its weight; the result says the vendor is not assessed or not scanned. Every point
of the score is one :class:`Contribution` traced to its source (a profile factor, a question and
its answer, a finding and its target); they add up to the score. Gates rate the vendor critical
whatever the score: a critical answer, an unaccepted critical finding, or a PHI vendor without a
signed BAA in force. The weights, levels, thresholds and gates come from a
:class:`~riskapp.scoring.profile.Profile`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from riskapp.scoring.profile import Profile

BAA_NOT_REQUIRED = "not_required"
BAA_SIGNED = "signed"
# A BAA in any of these states does not cover the vendor's PHI today.
BAA_UNSIGNED = frozenset({"missing", "pending", "expired", "terminated", "refused"})


@dataclass(frozen=True)
class VendorFacts:
    """What the vendor's own record says about it."""

    category: str
    criticality: str
    stores_phi: bool = False
    processes_phi: bool = False
    transmits_phi: bool = False

    @property
    def handles_phi(self) -> bool:
        return self.stores_phi or self.processes_phi or self.transmits_phi

    @property
    def phi_access(self) -> str:
        """The weightiest kind of PHI access: stores, processes, transmits, or none."""
        for kind in ("stores", "processes", "transmits"):
            if getattr(self, f"{kind}_phi"):
                return kind
        return "none"


@dataclass(frozen=True)
class AnswerShare:
    """One answer's share (points of the assessment's 0-100 score)."""

    questionnaire: str
    question_id: str
    question: str
    answer: str
    share: float
    citation: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssessmentResult:
    """The latest completed assessment, as recorded on completion."""

    assessment_id: int
    score: float
    floor: str | None = None
    intake: float | None = None  # inherent risk its intake answers give, 0-100
    answers: tuple[AnswerShare, ...] = ()
    critical_answers: tuple[str, ...] = ()  # "question: answer" of each critical finding


@dataclass(frozen=True)
class FindingFact:
    """One finding of the latest finished scan; ``accepted`` holds the officer's reason."""

    id: int
    finding_id: str
    title: str
    severity: str
    target: str
    accepted: str | None = None


@dataclass(frozen=True)
class ScanResult:
    scan_id: int
    findings: tuple[FindingFact, ...] = ()


@dataclass(frozen=True)
class Inputs:
    vendor: VendorFacts
    assessment: AssessmentResult | None = None
    scan: ScanResult | None = None
    baa: str = BAA_SIGNED


@dataclass(frozen=True)
class Contribution:
    """Points of the score and where they come from.

    :param source: ``profile``, ``questionnaire`` or ``scan``.
    :param reference: what the source names it: a profile key, ``questionnaire/question``,
        or ``finding id @ target``.
    """

    source: str
    label: str
    detail: str
    reference: str
    points: float


@dataclass(frozen=True)
class Gate:
    """Why the vendor is rated critical whatever its score."""

    source: str
    reason: str


@dataclass(frozen=True)
class VendorRisk:
    score: float
    tier: str
    contributions: tuple[Contribution, ...]
    gates: tuple[Gate, ...] = ()
    parts: dict[str, float] = field(default_factory=dict)  # each part's risk, 0-100
    accepted: tuple[Contribution, ...] = ()  # accepted findings: 0 points, listed
    assessed: bool = True
    scanned: bool = True
    notes: tuple[str, ...] = ()

    def top(self, count: int = 5) -> tuple[Contribution, ...]:
        return self.contributions[:count]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VendorRisk:
        return cls(
            score=data["score"], tier=data["tier"],
            contributions=tuple(Contribution(**c) for c in data.get("contributions", [])),
            gates=tuple(Gate(**g) for g in data.get("gates", [])),
            parts=dict(data.get("parts", {})),
            accepted=tuple(Contribution(**c) for c in data.get("accepted", [])),
            assessed=data.get("assessed", True), scanned=data.get("scanned", True),
            notes=tuple(data.get("notes", [])))


def rate(inputs: Inputs, profile: Profile) -> VendorRisk:
    """Rate the vendor ``inputs`` describe with ``profile``; see the module's doc."""
    weights = {"inherent": profile.weights.inherent}
    if inputs.assessment is not None:
        weights["questionnaire"] = profile.weights.questionnaire
    if inputs.scan is not None:
        weights["scans"] = profile.weights.scans
    total = sum(weights.values())
    fraction = {part: (weight / total if total else 0.0) for part, weight in weights.items()}

    inherent_risk, inherent = _inherent(inputs, profile, fraction["inherent"])
    parts = {"inherent": inherent_risk}
    contributions = list(inherent)
    if inputs.assessment is not None:
        parts["questionnaire"] = inputs.assessment.score
        contributions += _questionnaire(inputs.assessment, fraction["questionnaire"])
    accepted: list[Contribution] = []
    if inputs.scan is not None:
        parts["scans"], found, accepted = _scans(inputs.scan, profile, fraction["scans"])
        contributions += found
    contributions = sorted((c for c in contributions if c.points > 0),
                           key=lambda c: (-c.points, c.source, c.label))
    score = round(min(100.0, sum(c.points for c in contributions)), 2)
    gates = _gates(inputs, profile)
    return VendorRisk(
        score=score, tier="critical" if gates else profile.tiers.tier_of(score),
        contributions=tuple(contributions), gates=tuple(gates),
        parts={part: round(risk, 2) for part, risk in parts.items()},
        accepted=tuple(accepted), assessed=inputs.assessment is not None,
        scanned=inputs.scan is not None, notes=tuple(_notes(inputs, accepted)))


def _inherent(inputs: Inputs, profile: Profile, fraction: float
              ) -> tuple[float, list[Contribution]]:
    """The inherent part's risk and each factor's points of the score."""
    rules, vendor = profile.inherent, inputs.vendor
    access = vendor.phi_access
    factors = [
        (rules.phi_access.weight, getattr(rules.phi_access, access),
         f"PHI access: {access}", _phi_detail(vendor), f"inherent.phi_access.{access}"),
        (rules.criticality.weight, rules.criticality.level(vendor.criticality),
         f"Criticality: {vendor.criticality}", "the vendor's criticality to our operations",
         f"inherent.criticality.{vendor.criticality}"),
        (rules.category.weight, rules.category.level(vendor.category),
         f"Category: {vendor.category}", "the kind of service the vendor provides",
         f"inherent.category.{vendor.category}"),
    ]
    intake = inputs.assessment.intake if inputs.assessment is not None else None
    if intake is not None:
        factors.append((rules.intake.weight, intake, "Intake answers",
                        f"inherent risk {intake:g} from the intake answers of assessment "
                        f"#{inputs.assessment.assessment_id}",  # type: ignore[union-attr]
                        "inherent.intake"))
    weight = sum(w for w, *_ in factors)
    if not weight:
        return 0.0, []
    risk = sum(w * level for w, level, *_ in factors) / weight
    return risk, [Contribution("profile", label, f"{detail} (level {level:g} of 100)",
                               reference, fraction * w / weight * level)
                  for w, level, label, detail, reference in factors]


def _phi_detail(vendor: VendorFacts) -> str:
    kinds = [kind for kind in ("stores", "processes", "transmits")
             if getattr(vendor, f"{kind}_phi")]
    return f"the vendor {', '.join(kinds)} PHI" if kinds else "the vendor does not handle PHI"


def _questionnaire(result: AssessmentResult, fraction: float) -> list[Contribution]:
    """Each answer's points, scaled so they add up to the recorded score's share."""
    shares = sum(a.share for a in result.answers)
    if not shares:
        return [Contribution("questionnaire", f"Assessment #{result.assessment_id}",
                             f"recorded risk score {result.score:g}",
                             f"assessment/{result.assessment_id}", fraction * result.score)]
    scale = result.score / shares
    return [Contribution(
        "questionnaire", a.question, f"answered: {a.answer}"
        + (f" ({'; '.join(a.citation)})" if a.citation else ""),
        f"{a.questionnaire}/{a.question_id}", fraction * a.share * scale)
        for a in result.answers]


def _scans(scan: ScanResult, profile: Profile, fraction: float
           ) -> tuple[float, list[Contribution], list[Contribution]]:
    points = profile.scans.severity_points
    open_findings = [f for f in scan.findings if f.accepted is None]
    raw = sum(points.get(f.severity, 0.0) for f in open_findings)
    scale = 100.0 / raw if raw > 100 else 1.0
    found = [Contribution("scan", f.title, f"{f.severity} finding of scan #{scan.scan_id}",
                          f"{f.finding_id} @ {f.target}",
                          fraction * points.get(f.severity, 0.0) * scale)
             for f in open_findings]
    accepted = [Contribution("scan", f.title,
                             f"{f.severity} finding, risk accepted by the officer: {f.accepted}",
                             f"{f.finding_id} @ {f.target}", 0.0)
                for f in scan.findings if f.accepted is not None]
    return min(raw, 100.0), found, accepted


def _gates(inputs: Inputs, profile: Profile) -> list[Gate]:
    gates: list[Gate] = []
    result = inputs.assessment
    if profile.gates.critical_answer and result is not None and result.floor == "critical":
        answers = result.critical_answers or ("a critical answer",)
        gates += [Gate("questionnaire", f"critical answer in assessment "
                                        f"#{result.assessment_id}: {a}") for a in answers]
    if profile.gates.critical_finding and inputs.scan is not None:
        gates += [Gate("scan", f"critical finding {f.finding_id} @ {f.target}: {f.title}")
                  for f in inputs.scan.findings
                  if f.severity == "critical" and f.accepted is None]
    if (profile.gates.phi_without_baa and inputs.vendor.handles_phi
            and inputs.baa in BAA_UNSIGNED):
        gates.append(Gate("baa", f"the vendor handles PHI and its BAA is {inputs.baa}"))
    return gates


def _notes(inputs: Inputs, accepted: list[Contribution]) -> list[str]:
    notes = []
    if inputs.assessment is None:
        notes.append("Not assessed: no completed assessment; the score rests on the inherent "
                     "risk and the scans.")
    if inputs.scan is None:
        notes.append("Not scanned: no finished scan of the vendor's domains.")
    if accepted:
        notes.append(f"{len(accepted)} finding(s) left out: their risk was accepted by the "
                     "officer.")
    if inputs.baa == BAA_NOT_REQUIRED and inputs.vendor.handles_phi:
        notes.append("The vendor handles PHI, but its BAA is recorded as not required, so "
                     "no BAA gate applies.")
    return notes
