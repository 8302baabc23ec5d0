"""The BAA section of a vendor's due-diligence report, worded once for the PDF and the page,
from the agreement's :func:`~riskapp.agreements.services.overview`."""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass

from riskapp.agreements.clauses import Clause
from riskapp.agreements.coverage import entries
from riskapp.agreements.models import Agreement, BaaStatus, ClauseVerdict
from riskapp.agreements.services import Overview
from riskapp.agreements.status import BaaState, BreachWindow, notice_deadline
from riskapp.vendors.models import Vendor


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    alert: bool = False  # calls for the officer's attention


@dataclass(frozen=True)
class ClauseLine:
    """One provision of the signed BAA's clause checklist."""

    title: str
    citation: str
    present: bool
    confirmed: bool  # by the officer; otherwise the text check's suggestion stands
    sentence: str  # the sentence that matched, shortened; "" when none did
    note: str  # the officer's

    @property
    def verdict(self) -> str:
        return "Present" if self.present else "Absent"

    @property
    def basis(self) -> str:
        return "confirmed" if self.confirmed else "suggested by the text check"


@dataclass(frozen=True)
class DateLine:
    on: dt.date
    label: str
    when: str  # "in 12 days", "today", "3 days ago"


@dataclass(frozen=True)
class BaaSection:
    """The vendor's BAA, its decision and its dates, worded for the report."""

    status: str
    tone: str  # "low" (in force, or none needed), "moderate" (on its way), "critical"
    facts: tuple[Fact, ...]
    clauses: tuple[ClauseLine, ...]
    gaps: tuple[str, ...]  # what is used and not covered
    dates: tuple[DateLine, ...]

    @property
    def clauses_present(self) -> int:
        return sum(1 for line in self.clauses if line.present)


# --- the Business Associate Agreement --------------------------------------------------------

PHI_RULE = "45 CFR 164.502(e), 164.504(e)"
CLAUSE_SENTENCE_CHARS = 160  # of a matched sentence; the vendor's BAA page shows it whole
# What to do about a required BAA that is not in force, by its status today (a signed one is
# not in force before it takes effect).
BAA_ACTIONS = {
    BaaStatus.MISSING: "Get a BAA signed before any PHI flows to the vendor.",
    BaaStatus.REQUESTED: "Follow up the BAA the vendor was asked to sign; send no PHI until "
                         "it is signed.",
    BaaStatus.NEGOTIATING: "Conclude the BAA negotiation; send no PHI until it is signed.",
    BaaStatus.SIGNED: "Send no PHI until the BAA takes effect.",
    BaaStatus.EXPIRED: "Renew the BAA, or stop PHI flowing to the vendor.",
    BaaStatus.TERMINATED: "Sign a new BAA, or stop PHI flowing to the vendor and have what it "
                          "holds returned or destroyed.",
    BaaStatus.REFUSED: "Stop PHI flowing to the vendor, or replace it: it refuses to sign a "
                       "BAA.",
}


def baa_section(view: Overview) -> BaaSection:
    """The BAA as it stands on the report's day, in words both formats print as they are."""
    state, agreement, today = view.state, view.agreement, view.today
    facts = [Fact("Status", state.label + (f" ({state.note})" if state.note else ""),
                  alert=not state.satisfied),
             Fact("Required", _required(view))]
    if agreement is not None:
        facts += _terms(agreement, state, today)
    facts.append(Fact("Breach notification", _breach(view.breach, today)))
    document = view.document
    if document is None:
        facts.append(Fact("Signed document", "None uploaded"))
    else:
        facts.append(Fact("Signed document", f"{document.filename} ({document.pages} "
                                             f"page{'' if document.pages == 1 else 's'})"
                          + (f". {_sentence(document.text_problem)}"
                             if document.text_problem else "")))
        facts.append(Fact("SHA-256", document.sha256))
    decision = view.decision
    if decision is None:
        facts.append(Fact("Decision", view.standing.label))
    else:
        facts.append(Fact("Decision", f"{decision.decision_enum.label} on "
                                      f"{decision.decided_at:%Y-%m-%d}"
                          + (f", conditions due {decision.conditions_due_on.isoformat()}"
                             if decision.conditions_due_on else "")
                          + f": {decision.reason}"))
    if view.standing.needs_attention:
        facts.append(Fact(view.standing.label, _sentence(view.standing.why), alert=True))
    return BaaSection(
        status=state.label, tone=_tone(state), facts=tuple(facts),
        clauses=tuple(ClauseLine(
            row.clause.title, row.clause.citation,
            row.check.standing is ClauseVerdict.PRESENT, row.check.verdict is not None,
            textwrap.shorten(row.check.matched_sentence, CLAUSE_SENTENCE_CHARS,
                             placeholder=" …") if row.check.matched_sentence else "",
            row.check.note) for row in view.clauses),
        gaps=tuple(gap.describe() for gap in view.gaps),
        dates=tuple(DateLine(d.on, d.label, _when(d.days_left(today))) for d in view.dates))


def required_by_rule(clause: Clause) -> bool:
    """HIPAA's own provisions, not the ones sound contract practice adds."""
    return clause.citation.startswith("45 CFR")


def _tone(state: BaaState) -> str:
    """As the vendor's BAA badge colours it."""
    if state.in_force or not state.required:
        return "low"
    return "moderate" if state.scoring_status == "pending" else "critical"


def _phi_kinds(vendor: Vendor) -> str:
    kinds = [kind for kind in ("stores", "processes", "transmits")
             if getattr(vendor, f"{kind}_phi")]
    return ", ".join(kinds[:-1]) + " and " + kinds[-1] if len(kinds) > 1 else "".join(kinds)


def _required(view: Overview) -> str:
    """Whether a BAA is required, and why: the PHI flags, or the officer's word."""
    kinds, agreement = _phi_kinds(view.vendor), view.agreement
    if agreement is None or agreement.baa_required is None:
        if view.state.required:
            return (f"Yes: the vendor {kinds} PHI, so a BAA must be in force before any PHI "
                    f"flows ({PHI_RULE}).")
        return "No: the vendor does not handle PHI, according to its record."
    if view.state.required:
        return "Yes, as the officer recorded" + (f": the vendor {kinds} PHI ({PHI_RULE})."
                                                 if kinds else ".")
    return ("No, as the officer recorded" + (f", although the vendor {kinds} PHI" if kinds
                                             else "")
            + (f". Notes: {agreement.notes}" if agreement.notes else "."))


def _terms(agreement: Agreement, state: BaaState, today: dt.date) -> list[Fact]:
    """The current term, its renewal and notice, the signatories and what the BAA covers."""
    facts = []
    effective, ends = agreement.baa_effective_on, state.expires_on
    if effective or ends:
        start = (f"Effective from {effective.isoformat()}" if effective
                 else "No effective date recorded")
        if ends is None:
            end = "no expiry date"
        elif agreement.baa_auto_renews:
            end = f"the current term ends {ends.isoformat()}"
        else:
            end = f"{'expired' if ends < today else 'expires'} {ends.isoformat()}"
        facts.append(Fact("Term", f"{start}; {end}"))
    if agreement.baa_expires_on:
        if agreement.baa_auto_renews:
            notice = notice_deadline(ends, agreement.baa_notice_days)
            facts.append(Fact("Renewal", "Renews automatically" + (
                f"; to stop it, give {agreement.baa_notice_days} days' notice by "
                f"{notice.isoformat()}" if notice else "")))
        else:
            facts.append(Fact("Renewal", "Does not renew automatically"))
    if agreement.signed_by_vendor or agreement.signed_by_us:
        facts.append(Fact("Signed by", f"{agreement.signed_by_vendor or '—'} for the vendor; "
                                       f"{agreement.signed_by_us or '—'} for us"))
    covered = [f"{kind}: {', '.join(items)}" for kind, items in (
        ("services", entries(agreement.covered_services)),
        ("regions", entries(agreement.covered_regions))) if items]
    if covered:
        facts.append(Fact("Covers", _sentence("; ".join(covered))))
    return facts


def _breach(window: BreachWindow, today: dt.date) -> str:
    if window.from_baa:
        rule = (f"The vendor must report a breach within {window.days} days of discovery, as "
                "the BAA requires.")
    elif window.baa_days:
        rule = (f"The BAA allows {window.baa_days} days, but the law's limit applies: the "
                f"vendor must report a breach within {window.days} days of discovery "
                "(45 CFR 164.410).")
    else:
        rule = ("The BAA sets no window, so the legal maximum applies: the vendor must report "
                f"a breach within {window.days} days of discovery (45 CFR 164.410).")
    return (f"{rule} For one discovered on {today.isoformat()}, by "
            f"{window.report_by(today).isoformat()}.")


def _when(days_left: int) -> str:
    if days_left == 0:
        return "today"
    count = f"{abs(days_left)} day{'' if abs(days_left) == 1 else 's'}"
    return f"in {count}" if days_left > 0 else f"{count} ago"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
