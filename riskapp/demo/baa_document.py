"""The demo's signed Business Associate Agreement, written out as a PDF when the demo loads.

The agreement grants what 45 CFR 164.504(e) requires except one thing a sound contract also
has: the covered entity's right to audit. The vendor struck it in negotiation and offered its
SOC 2 Type II report instead, so the clause check has one provision to report as not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from io import BytesIO

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer


@dataclass(frozen=True)
class SignedBaa:
    """What changes from one vendor's signed BAA to another's."""

    covered_entity: str
    vendor: str  # the vendor's legal name
    services: str  # what the vendor does for us, as the services agreement names it
    effective_on: date
    expires_on: date
    breach_notice_days: int
    vendor_signatory: str  # "name, title"
    our_signatory: str


NUMBER_WORDS = {5: "five", 7: "seven", 10: "ten", 15: "fifteen", 30: "thirty", 60: "sixty"}


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def days_in_words(count: int) -> str:
    """Say a number of days as contracts do: "ten (10)"."""
    return f"{NUMBER_WORDS[count]} ({count})" if count in NUMBER_WORDS else str(count)


def sections(baa: SignedBaa) -> list[tuple[str, list[str]]]:
    """The agreement's headings and numbered paragraphs."""
    entity, vendor = baa.covered_entity, baa.vendor
    return [
        ("Recitals", [
            f'This Business Associate Agreement (the "Agreement") is entered into as of '
            f'{long_date(baa.effective_on)} (the "Effective Date") by and between {entity} '
            f'("Covered Entity") and {vendor} ("Business Associate"). It forms part of the '
            f'Master Services Agreement under which Business Associate provides {baa.services} '
            f'to Covered Entity (the "Services Agreement").',
            "The parties enter into this Agreement to comply with the Health Insurance "
            "Portability and Accountability Act of 1996, the HITECH Act, and the regulations at "
            "45 C.F.R. Parts 160 and 164 (together, the \"HIPAA Rules\")."]),
        ("1. Definitions", [
            "1.1 Capitalized terms used but not defined in this Agreement have the meanings "
            'given in the HIPAA Rules, including "Breach", "Designated Record Set", '
            '"Individual", "Secretary", "Security Incident" and "Unsecured Protected Health '
            'Information". "Protected Health Information" or "PHI" means protected health '
            "information, as defined at 45 C.F.R. 160.103, that Business Associate creates, "
            "receives, maintains or transmits on behalf of Covered Entity."]),
        ("2. Permitted Uses and Disclosures", [
            "2.1 Business Associate may use or disclose PHI only as necessary to perform the "
            "services set forth in the Services Agreement on behalf of Covered Entity, provided "
            "that such use or disclosure would not violate Subpart E of 45 C.F.R. Part 164 if "
            "done by Covered Entity.",
            "2.2 Business Associate shall not use or further disclose PHI other than as permitted "
            "or required by this Agreement or as required by law.",
            "2.3 Business Associate shall limit its uses and disclosures of, and requests for, "
            "PHI to the minimum necessary to accomplish the intended purpose."]),
        ("3. Safeguards", [
            "3.1 Business Associate shall use appropriate administrative, physical, and technical "
            "safeguards, and comply with Subpart C of 45 C.F.R. Part 164 with respect to "
            "electronic PHI, to prevent use or disclosure of PHI other than as provided for by "
            "this Agreement.",
            "3.2 Business Associate shall encrypt PHI at rest and in transit using encryption "
            "consistent with the guidance of the Department of Health and Human Services."]),
        ("4. Reporting", [
            "4.1 Business Associate shall report to Covered Entity any use or disclosure of PHI "
            "not provided for by this Agreement of which it becomes aware, including any "
            "Security Incident and any Breach of Unsecured Protected Health Information as "
            "required by 45 C.F.R. 164.410, without unreasonable delay and in no case later than "
            f"{days_in_words(baa.breach_notice_days)} calendar days after discovery.",
            "4.2 The parties agree that unsuccessful attempts at unauthorized access, such as "
            "pings, port scans and denied sign-in attempts, that do not result in unauthorized "
            "access to PHI need not be reported individually."]),
        ("5. Subcontractors", [
            "5.1 In accordance with 45 C.F.R. 164.502(e)(1)(ii) and 164.308(b)(2), Business "
            "Associate shall ensure that any subcontractors that create, receive, maintain, or "
            "transmit PHI on behalf of Business Associate agree in writing to the same "
            "restrictions, conditions, and requirements that apply to Business Associate with "
            "respect to such information."]),
        ("6. Individual Rights", [
            "6.1 Within ten (10) business days of a request by Covered Entity, Business Associate "
            "shall make available PHI in a Designated Record Set to Covered Entity as necessary "
            "to satisfy Covered Entity's obligations under 45 C.F.R. 164.524.",
            "6.2 Business Associate shall make any amendment to PHI in a Designated Record Set "
            "as directed by Covered Entity under 45 C.F.R. 164.526.",
            "6.3 Business Associate shall document its disclosures of PHI and provide the "
            "information Covered Entity needs to respond to a request for an accounting of "
            "disclosures under 45 C.F.R. 164.528."]),
        ("7. Obligations of Covered Entity Carried Out by Business Associate", [
            "7.1 To the extent Business Associate carries out one or more of Covered Entity's "
            "obligations under Subpart E of 45 C.F.R. Part 164, Business Associate shall comply "
            "with the requirements of Subpart E that apply to Covered Entity in the performance "
            "of such obligations."]),
        ("8. Books and Records", [
            "8.1 Business Associate shall make its internal practices, books, and records "
            "relating to the use and disclosure of PHI available to the Secretary for purposes "
            "of determining compliance with the HIPAA Rules.",
            "8.2 Once a year, and on request, Business Associate shall send Covered Entity its "
            "most recent SOC 2 Type II report covering the systems that hold PHI."]),
        ("9. Term and Termination", [
            f"9.1 This Agreement takes effect on the Effective Date and remains in force until "
            f"{long_date(baa.expires_on)}, unless terminated earlier under this Section.",
            "9.2 Covered Entity may terminate this Agreement and the Services Agreement if "
            "Covered Entity determines that Business Associate has violated a material term of "
            "this Agreement and Business Associate has not cured the violation within thirty "
            "(30) days of written notice.",
            "9.3 Upon termination of this Agreement for any reason, Business Associate shall "
            "return to Covered Entity or destroy all PHI that it maintains in any form, and "
            "shall retain no copies. Where return or destruction is infeasible, Business "
            "Associate shall extend the protections of this Agreement to the PHI it keeps and "
            "limit further uses and disclosures to those purposes that make the return or "
            "destruction infeasible."]),
        ("10. Miscellaneous", [
            "10.1 This Agreement shall be interpreted to permit compliance with the HIPAA Rules. "
            "Where it conflicts with the Services Agreement, this Agreement governs.",
            "10.2 This Agreement may be signed in counterparts and by electronic signature."]),
    ]


def signature_lines(baa: SignedBaa) -> list[str]:
    signed = long_date(baa.effective_on)
    return [
        "IN WITNESS WHEREOF, the parties have signed this Agreement as of the Effective Date.",
        f"<b>{baa.covered_entity}</b><br/>By: /s/ {baa.our_signatory}<br/>Date: {signed}",
        f"<b>{baa.vendor}</b><br/>By: /s/ {baa.vendor_signatory}<br/>Date: {signed}",
    ]


def render(baa: SignedBaa) -> bytes:
    """Write the agreement as a PDF with a text layer, as an e-signed copy would have."""
    styles = getSampleStyleSheet()
    body = ParagraphStyle("baa-body", parent=styles["BodyText"], fontSize=10, leading=13,
                          spaceAfter=6)
    heading = ParagraphStyle("baa-heading", parent=styles["Heading3"], spaceBefore=8)
    story = [Paragraph("Business Associate Agreement", styles["Title"])]
    for title, paragraphs in sections(baa):
        story.append(Paragraph(title, heading))
        story += [Paragraph(text, body) for text in paragraphs]
    story.append(Spacer(1, 0.3 * inch))
    story += [Paragraph(text, body) for text in signature_lines(baa)]
    out = BytesIO()
    SimpleDocTemplate(out, pagesize=LETTER, title=f"Business Associate Agreement: {baa.vendor}",
                      author=baa.covered_entity, invariant=True,
                      leftMargin=inch, rightMargin=inch, topMargin=inch,
                      bottomMargin=inch).build(story)
    return out.getvalue()
