"""The vendor due-diligence PDF: what leadership forwards, laid out with reportlab platypus."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
)

from riskapp.reports import pdf
from riskapp.reports.baa import ClauseLine
from riskapp.reports.pdf import para
from riskapp.reports.services import PART_LABELS, VendorReport

WIDTH = pdf.WIDTH
ALERT = pdf.TIER_COLOURS["critical"].hexval()[2:]
PRESENT = pdf.TIER_COLOURS["low"].hexval()[2:]
MUTED = pdf.MUTED.hexval()[2:]


def vendor_pdf(report: VendorReport) -> bytes:
    """The report as PDF bytes."""
    story: list[Flowable] = []
    for part in (_cover, _summary, _chart, _baa, _findings, _answers, _remediations,
                 _appendix):
        story += part(report)
    return pdf.render(story, title=f"Vendor due-diligence report: {report.vendor.name}",
                      subject=f"Vendor due-diligence report — {report.vendor.name}",
                      generated=report.generated)


def _tier(report: VendorReport) -> str:
    if report.risk is None:
        return "Not rated"
    colour = pdf.TIER_COLOURS.get(report.risk.tier, pdf.INK).hexval()[2:]
    return f'<font color="#{colour}"><b>{report.risk.tier.capitalize()}</b></font>'


def _cover(report: VendorReport) -> list[Flowable]:
    vendor = report.vendor
    phi = [kind for kind in ("stores", "processes", "transmits") if getattr(vendor, f"{kind}_phi")]
    facts = [
        ["Category", vendor.category_enum.label], ["Criticality", vendor.criticality_enum.label],
        ["Status", vendor.status_enum.label],
        ["PHI", f"{', '.join(phi).capitalize()} PHI" if phi else "Does not handle PHI"],
        ["Primary domain", vendor.primary_domain or "—"],
        ["Business owner", vendor.business_owner or "—"],
        ["Services", vendor.services or "—"],
    ]
    score = (f"{report.risk.score:.0f} of 100" if report.risk else "—")
    return [
        Spacer(1, 45 * mm), para("Vendor due-diligence report", "subtitle"),
        para(vendor.name, "title"),
        para(f"Generated {report.generated:%d %B %Y}", "subtitle"), Spacer(1, 10 * mm),
        para("", "subtitle", markup=f"Risk tier {_tier(report)} · score {score}"),
        Spacer(1, 12 * mm), pdf.table(facts, [45 * mm, 120 * mm], header=False),
        Spacer(1, 10 * mm),
        para("Confidential: contains information about our vendors' security controls. "
             "Share within the organisation only.", "small"),
        PageBreak(),
    ]


def _summary(report: VendorReport) -> list[Flowable]:
    story: list[Flowable] = [para("Executive summary", "h1")]
    risk = report.risk
    if risk is not None:
        story.append(para("", markup=f"Tier {_tier(report)}, score <b>{risk.score:.1f}</b> "
                                     "of 100 (higher is riskier). "))
    story += [para(report.verdict), para(report.scored, "small")]
    if risk is None:
        return story
    story.append(para("The five biggest risks", "h2"))
    if risk.top():
        story.append(pdf.table(
            [["Points", "Risk", "Why"]]
            + [[f"{c.points:.1f}", c.label, c.detail] for c in risk.top()],
            [16 * mm, 62 * mm, 96 * mm]))
    else:
        story.append(para("Nothing adds risk to the score."))
    for note in risk.notes:
        story.append(para(note, "small"))
    return story


def _chart(report: VendorReport) -> list[Flowable]:
    areas = report.areas
    if not areas:
        return []
    names = [pdf.shorten(name, 34) for name, _ in areas][::-1]
    values = [round(risk, 1) for _, risk in areas][::-1]
    height = 14 * len(areas) + 40
    drawing = Drawing(WIDTH, height)
    drawing.hAlign = "LEFT"
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 62 * mm, 28, WIDTH - 72 * mm, height - 36
    chart.data = [values]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = pdf.BODY
    chart.valueAxis.labels.fontSize = 7
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = pdf.fonts().fallback or pdf.BODY
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.bars[0].fillColor = colors.HexColor("#3d6fb4")
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%.0f"
    chart.barLabels.fontName = pdf.BODY
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    drawing.add(String(62 * mm, 2, "risk, 0 (none) to 100", fontName=pdf.BODY, fontSize=7,
                       fillColor=pdf.MUTED))
    return [CondPageBreak(height + 40), para("Risk by area", "h2"), drawing]


def _baa(report: VendorReport) -> list[Flowable]:
    baa = report.baa
    story: list[Flowable] = [
        CondPageBreak(70 * mm), para("Business Associate Agreement", "h1"),
        pdf.table([[_cell(f.label, colour=ALERT if f.alert else None, bold=f.alert),
                    _cell(f.value, colour=ALERT if f.alert else None)] for f in baa.facts],
                  [38 * mm, WIDTH - 38 * mm], header=False)]
    if baa.gaps:
        story += [para("Used but not covered by the BAA", "h2"),
                  *(para(gap, "indent", markup="• ") for gap in baa.gaps)]
    story.append(para("Clause checklist", "h2"))
    if baa.clauses:
        story.append(para(f"{baa.clauses_present} of {len(baa.clauses)} provisions present. "
                          "The text check suggests; the officer's verdict, once given, "
                          "stands.", "small"))
        story.append(pdf.table(
            [["Provision", "Verdict", "What the BAA says"]]
            + [[_provision(line), _cell(f"{line.verdict}, {line.basis}",
                                        colour=PRESENT if line.present else ALERT),
                _said(line)] for line in baa.clauses],
            [58 * mm, 30 * mm, WIDTH - 88 * mm]))
    else:
        story.append(para("No clause has been checked: no signed BAA with a text layer is "
                          "on file."))
    story.append(para("Key dates", "h2"))
    if not baa.dates:
        return [*story, para("No dates recorded.")]
    return [*story, pdf.table([["Date", "What", "When"]]
                              + [[d.on.isoformat(), d.label, d.when] for d in baa.dates],
                              [26 * mm, 100 * mm, WIDTH - 126 * mm])]


def _cell(value: str, *, colour: str | None = None, bold: bool = False) -> Paragraph:
    """A table cell printing ``value`` literally, in ``colour`` (hex, no #) when given."""
    markup = pdf.text(pdf.shorten(value, pdf.CELL_LIMIT))
    if bold:
        markup = f"<b>{markup}</b>"
    if colour:
        markup = f'<font color="#{colour}">{markup}</font>'
    return Paragraph(markup, pdf.styles()["cell"])


def _provision(line: ClauseLine) -> Paragraph:
    return Paragraph(f'{pdf.text(line.title)}<br/><font size="7" color="#{MUTED}">'
                     f"{pdf.text(line.citation)}</font>", pdf.styles()["cell"])


def _said(line: ClauseLine) -> Paragraph:
    markup = (f"“{pdf.text(line.sentence)}”" if line.sentence
              else f'<font color="#{MUTED}">Not found in the text</font>')
    if line.note:
        markup += f"<br/><b>Note:</b> {pdf.text(pdf.shorten(line.note, pdf.CELL_LIMIT))}"
    return Paragraph(markup, pdf.styles()["cell"])


def _findings(report: VendorReport) -> list[Flowable]:
    story: list[Flowable] = [para("Domain scan findings", "h1")]
    if report.scan is None:
        return [*story, para("Not scanned: no finished scan of the vendor's domains.")]
    when = report.scan.finished_at
    story.append(para(f"Scan #{report.scan.id} of {', '.join(report.scan.domains)}"
                      + (f", finished {when:%Y-%m-%d %H:%M} UTC" if when else "") + ": "
                      + report.scan.findings_summary + ".", "small"))
    for line in report.findings:
        f = line.finding
        block: list[Flowable] = [para(f.title, "question",
                                      markup=f"[{pdf.text(f.severity.upper())}] ")]
        block.append(para(f.target, "indent", markup="<b>Target:</b> "))
        if line.accepted is not None:
            block.append(para(line.accepted, "indent",
                              markup="<b>Risk accepted by the officer:</b> "))
        for label, value in (("Detail", f.detail), ("Evidence", f.evidence),
                             ("Remediation", f.remediation)):
            if value:
                block.append(para(value, "indent", markup=f"<b>{label}:</b> "))
        story += [KeepTogether(block[:2]), *block[2:]]
    return story


def _answers(report: VendorReport) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), para("Questionnaire answers", "h1")]
    if report.assessment is None:
        return [*story, para("No completed assessment.")]
    a = report.assessment
    story.append(para(f"Assessment #{a.id}, revision {a.revision}, answered by "
                      f"{a.respondent_name} <{a.respondent_email}>"
                      + (f", completed {a.completed_at:%Y-%m-%d}" if a.completed_at else "")
                      + ".", "small"))
    for questionnaire in report.questionnaires:
        story.append(para(f"{questionnaire.title} (version {questionnaire.version}): "
                          f"risk {questionnaire.score:.0f} of 100", "h2"))
        for section in questionnaire.sections:
            risk = "intake" if section.risk is None else f"risk {section.risk:.0f} of 100"
            story.append(para(f"{section.title} — {risk}", "h3"))
            for line in section.answers:
                block: list[Flowable] = [para(line.question, "question")]
                block.append(para(line.answer or "—", "indent", markup="<b>Answer:</b> "))
                if line.not_applicable:
                    block.append(para(line.not_applicable, "indent",
                                      markup="<b>Why not applicable:</b> "))
                if line.citation:
                    block.append(para("; ".join(line.citation), "indent",
                                      markup="<b>Citation:</b> "))
                if line.comment:
                    block.append(para(line.comment, "indent", markup="<b>Comment:</b> "))
                if line.evidence:
                    block.append(para(", ".join(line.evidence), "indent",
                                      markup="<b>Evidence:</b> "))
                story += [KeepTogether(block[:2]), *block[2:]]
    return story


def _remediations(report: VendorReport) -> list[Flowable]:
    story: list[Flowable] = [para("Recommended remediations", "h1")]
    if not report.remediations:
        return [*story, para("None: no answer, open scan finding or BAA gap calls for one.")]
    return [*story, pdf.table(
        [["Severity", "Issue", "What to do", "From"]]
        + [[r.severity, r.title, r.action, r.source] for r in report.remediations],
        [18 * mm, 45 * mm, 72 * mm, 39 * mm])]


def _appendix(report: VendorReport) -> list[Flowable]:
    story: list[Flowable] = [PageBreak(), para("Appendix: how the score is made", "h1")]
    risk = report.risk
    if risk is None:
        return [*story, para(report.scored)]
    story.append(para(report.scored, "small"))
    story.append(para(
        "The score (0 to 100, higher is riskier) is the weighted mean of the vendor's inherent "
        "risk, its questionnaire results and its latest scan's findings. Each line below is "
        "points of the score, traced to its source; they add up to the score."))
    parts = ", ".join(f"{PART_LABELS.get(k, k)} {v:.0f}" for k, v in risk.parts.items())
    story.append(para(f"Risk of each part (0-100): {parts}."))
    for gate in risk.gates:
        story.append(para(gate.reason, markup="<b>Rated critical whatever the score:</b> "))
    if risk.contributions:
        story.append(pdf.table(
            [["Points", "From", "What", "Why", "Source"]]
            + [[f"{c.points:.2f}", c.source, c.label, c.detail, c.reference]
               for c in risk.contributions],
            [13 * mm, 24 * mm, 40 * mm, 45 * mm, 52 * mm]))
    if risk.accepted:
        story.append(para("Accepted risks, left out of the score", "h2"))
        story += [para(f"{c.label} ({c.reference}): {c.detail}") for c in risk.accepted]
    story += [para(note, "small") for note in risk.notes]
    return story

