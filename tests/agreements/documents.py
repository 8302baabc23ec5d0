"""Signed BAAs as PDF files for the tests: a realistic text layer, a scan, damaged files."""

from __future__ import annotations

import io
import struct
import zlib

from pypdf import PdfReader, PdfWriter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

COMPLETE_BAA: list[tuple[str, list[str]]] = [
    ("Recitals", [
        'This Business Associate Agreement (the "Agreement") is entered into as of March 1, 2024 '
        'by and between Riverside Community Hospital ("Covered Entity") and Acme Transcription '
        'Services, Inc. ("Business Associate"), and forms part of the Master Services Agreement '
        'between them (the "Services Agreement").']),
    ("1. Definitions", [
        "1.1 Capitalized terms used but not defined in this Agreement have the meanings given in "
        '45 C.F.R. Parts 160 and 164, e.g. "Breach", "Designated Record Set", "Individual", '
        '"Secretary" and "Security Incident". "Protected Health Information" or "PHI" has the '
        "meaning given in 45 C.F.R. Sec. 160.103, limited to the information that Business "
        "Associate creates, receives, maintains or transmits on behalf of Covered Entity."]),
    ("2. Permitted Uses and Disclosures", [
        "2.1 Business Associate may use or disclose PHI only to perform the transcription "
        "services described in the Services Agreement on behalf of Covered Entity, provided that "
        "such use or disclosure would not violate Subpart E of 45 C.F.R. Part 164 if done by "
        "Covered Entity.",
        "2.2 Business Associate shall not use or further disclose PHI other than as permitted or "
        "required by this Agreement or as required by law."]),
    ("3. Safeguards", [
        "3.1 Business Associate shall use appropriate administrative, physical, and technical "
        "safeguards, and comply with Subpart C of 45 C.F.R. Part 164 with respect to electronic "
        "PHI, to prevent use or disclosure of PHI other than as provided for by this Agreement."]),
    ("4. Reporting", [
        "4.1 Business Associate shall report to Covered Entity any use or disclosure of PHI not "
        "provided for by this Agreement of which it becomes aware, including any Security "
        "Incident and any Breach of Unsecured PHI as required by 45 C.F.R. 164.410, without "
        "unreasonable delay and in no case later than ten (10) business days after discovery."]),
    ("5. Subcontractors", [
        "5.1 In accordance with 45 C.F.R. 164.502(e)(1)(ii) and 164.308(b)(2), Business "
        "Associate shall ensure that any subcontractors that create, receive, maintain, or "
        "transmit PHI on behalf of Business Associate agree in writing to the same restrictions, "
        "conditions, and requirements that apply to Business Associate with respect to such "
        "information."]),
    ("6. Individual Rights", [
        "6.1 Within fifteen (15) days of a request by Covered Entity, Business Associate shall "
        "make available PHI in a Designated Record Set to Covered Entity as necessary to satisfy "
        "Covered Entity's obligations under 45 C.F.R. 164.524.",
        "6.2 Business Associate shall make any amendment to PHI in a Designated Record Set as "
        "directed by Covered Entity under 45 C.F.R. 164.526.",
        "6.3 Business Associate shall document disclosures of PHI and provide the information "
        "Covered Entity needs to respond to a request for an accounting of disclosures under "
        "45 C.F.R. 164.528."]),
    ("7. Obligations of Covered Entity Carried Out by Business Associate", [
        "7.1 To the extent Business Associate carries out one or more of Covered Entity's "
        "obligations under Subpart E of 45 C.F.R. Part 164, Business Associate shall comply "
        "with the requirements of Subpart E that apply to Covered Entity in the performance of "
        "such obligations."]),
    ("8. Books and Records", [
        "8.1 Business Associate shall make its internal practices, books, and records relating "
        "to the use and disclosure of PHI available to the Secretary for purposes of determining "
        "Covered Entity's compliance with the HIPAA Rules."]),
    ("9. Audit", [
        "9.1 Upon ten (10) days' prior written notice, Covered Entity or its designee may audit "
        "and inspect Business Associate's facilities, systems, policies and procedures relating "
        "to PHI to verify Business Associate's compliance with this Agreement."]),
    ("10. Term and Termination", [
        "10.1 This Agreement takes effect on the date above and remains in force until all PHI "
        "is returned or destroyed.",
        "10.2 Covered Entity may terminate this Agreement and the Services Agreement immediately "
        "if Covered Entity determines that Business Associate has violated a material term of "
        "this Agreement and Business Associate has not cured the violation within thirty (30) "
        "days.",
        "10.3 Upon termination of this Agreement for any reason, Business Associate shall return "
        "to Covered Entity or destroy all PHI that it still maintains in any form and retain no "
        "copies. If return or destruction is infeasible, Business Associate shall extend the "
        "protections of this Agreement to that PHI and limit further uses and disclosures to "
        "those purposes that make the return or destruction infeasible."]),
    ("11. Miscellaneous", [
        "11.1 The obligations of Business Associate under Sections 4, 6 and 10.3 shall survive "
        "termination of this Agreement.",
        "11.2 Notices under this Agreement shall be sent by certified mail, return receipt "
        "requested, to the addresses given in the Services Agreement.",
        "11.3 Any ambiguity in this Agreement shall be resolved to permit compliance with the "
        "HIPAA Rules."]),
]

# For each clause, a phrase found only in the sentence of COMPLETE_BAA that says it.
def baa_pdf(sections: list[tuple[str, list[str]]]) -> bytes:
    styles = getSampleStyleSheet()
    story = [Paragraph("BUSINESS ASSOCIATE AGREEMENT", styles["Title"])]
    for heading, paragraphs in sections:
        story.append(Paragraph(heading, styles["Heading2"]))
        story.extend(Paragraph(text, styles["BodyText"]) for text in paragraphs)
    story.append(Paragraph("IN WITNESS WHEREOF, the parties have executed this Agreement as of "
                           "the date first written above.", styles["BodyText"]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, title="BAA").build(story)
    return buffer.getvalue()


def grey_png(width: int, height: int) -> bytes:
    """A greyscale PNG built by hand: what a scanner leaves is an image, not text."""
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def scanned_pdf(pages: int = 2) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for _ in range(pages):
        page.drawImage(ImageReader(io.BytesIO(grey_png(60, 80))), 40, 40, 500, 750)
        page.showPage()
    page.save()
    return buffer.getvalue()


def drawn_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.rect(50, 600, 400, 150, fill=1)
    page.line(50, 500, 450, 500)
    page.save()
    return buffer.getvalue()


def pageless_pdf() -> bytes:
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret",
                   algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
