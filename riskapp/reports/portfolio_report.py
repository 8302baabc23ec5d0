"""The leadership portfolio PDF: the whole inventory's risk on a few pages."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer

from riskapp.dashboard.services import RiskTier
from riskapp.reminders.rules import Deadline
from riskapp.reports import pdf
from riskapp.reports.pdf import WIDTH, para, table
from riskapp.reports.portfolio import DEADLINE_DAYS, Portfolio

PHI_LISTED = 60  # rows of the PHI list in the PDF; the CSV and XLSX exports list them all
DEADLINES_LISTED = 60  # rows of each deadline table; the page and the XLSX list them all
TIER_COLOURS = {**pdf.TIER_COLOURS, RiskTier.NOT_SCORED.value: colors.HexColor("#9aa5b1")}


def portfolio_pdf(report: Portfolio) -> bytes:
    """The portfolio report as PDF bytes."""
    story: list[Flowable] = []
    for part in (_summary, _tiers, _top_risks, _movement, _phi, _overdue, _renewals):
        # A heading and its intro stay with the first rows they introduce.
        story += [CondPageBreak(45 * mm), *part(report)]
    return pdf.render(story, title="Vendor risk portfolio", subject="Vendor risk portfolio",
                      generated=report.generated)


def _summary(report: Portfolio) -> list[Flowable]:
    total = len(report.vendors)
    scored = total - report.tiers[RiskTier.NOT_SCORED]
    critical = report.tiers[RiskTier.CRITICAL] + report.tiers[RiskTier.HIGH]
    return [
        para("Vendor risk portfolio", "title"),
        para(f"As of {report.generated:%d %B %Y}", "subtitle"), Spacer(1, 4 * mm),
        para(f"{total} vendors in the working inventory, {scored} of them scored; "
             f"{critical} rated high or critical; {len(report.phi_vendors)} handle PHI, "
             f"{len(report.phi_without_baa)} of them without a BAA in force; "
             f"{report.overdue_total} assessments overdue; "
             f"{_needing(len(report.needing_attention))}."),
        para("Scores run from 0 to 100, higher is riskier; each vendor's tier is that of its "
             "latest stored score.", "small"),
    ]


def _tiers(report: Portfolio) -> list[Flowable]:
    tiers = list(RiskTier)
    counts = [report.tiers[tier] for tier in tiers]
    height = 60 * mm
    drawing = Drawing(WIDTH, height)
    drawing.hAlign = "LEFT"
    chart = VerticalBarChart()
    chart.x, chart.y = 16 * mm, 10 * mm
    chart.width, chart.height = WIDTH - 30 * mm, height - 16 * mm
    chart.data = [counts]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(max(counts), 1) * 1.15
    chart.valueAxis.labels.fontName = pdf.BODY
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d"
    chart.categoryAxis.categoryNames = [tier.label for tier in tiers]
    chart.categoryAxis.labels.fontName = pdf.BODY
    chart.categoryAxis.labels.fontSize = 8
    chart.bars.strokeColor = None
    for index, tier in enumerate(tiers):
        chart.bars[(0, index)].fillColor = TIER_COLOURS[tier.value]
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = pdf.BODY
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 7
    drawing.add(chart)
    return [para("Vendors by risk tier", "h1"), drawing, table(
        [[t.label for t in tiers] + ["Total"], [*map(str, counts), str(sum(counts))]],
        [WIDTH / (len(tiers) + 1)] * (len(tiers) + 1))]


def _top_risks(report: Portfolio) -> list[Flowable]:
    story: list[Flowable] = [para("Top risks across vendors", "h1"), para(
        "The largest contributions to the vendors' latest scores, each traced to its source.",
        "small")]
    if not report.top_risks:
        return [*story, para("No scored vendor has a risk to list.")]
    return [*story, table(
        [["Points", "Vendor", "Tier", "Risk", "Why"]]
        + [[f"{r.points:.1f}", r.vendor_name, r.tier.capitalize(), r.label, r.detail]
           for r in report.top_risks],
        [15 * mm, 42 * mm, 20 * mm, 40 * mm, 57 * mm])]


def _movement(report: Portfolio) -> list[Flowable]:
    move = report.movement
    story: list[Flowable] = [para("Since the previous quarter", "h1")]
    since = f"{move.since:%d %B %Y}"
    if move.mean_change is None:
        return [*story, para(f"No earlier scores: no vendor has a score from before {since}, "
                             "so there is nothing to compare with yet.")]
    direction = ("risen" if move.mean_change > 0 else "fallen" if move.mean_change < 0
                 else "not changed")
    return [*story, para(
        f"Comparing each vendor's latest score with its latest score before {since} "
        f"({move.compared} vendors): {move.up} up, {move.down} down, {move.same} the same. "
        f"On average scores have {direction}"
        + (f" by {abs(move.mean_change):.1f} points." if move.mean_change else "."))]


def _phi(report: Portfolio) -> list[Flowable]:
    vendors = report.phi_without_baa
    story: list[Flowable] = [para("PHI vendors without a signed BAA", "h1"), para(
        "Every vendor that stores, processes or transmits PHI and has no BAA in force on "
        f"{report.today:%d %B %Y}, with its BAA's status: missing, on its way, lapsed, or "
        "recorded by the officer as not required.", "small")]
    if not report.phi_vendors:
        return [*story, para("No vendor handles PHI.")]
    if not vendors:
        return [*story, para(f"All {len(report.phi_vendors)} PHI vendors have a BAA in force.")]
    story.append(table(
        [["Vendor", "PHI", "Criticality", "Tier", "BAA"]]
        + [[v.name, v.phi, v.criticality.capitalize(), RiskTier(v.tier).label,
            v.baa + (f" ({v.baa_note})" if v.baa_note else "")]
           for v in vendors[:PHI_LISTED]],
        [50 * mm, 30 * mm, 20 * mm, 20 * mm, 54 * mm]))
    if len(vendors) > PHI_LISTED:
        story.append(para(f"The first {PHI_LISTED} of {len(vendors)} by name; the CSV and "
                          "XLSX exports list them all.", "small"))
    return story


def _overdue(report: Portfolio) -> list[Flowable]:
    story: list[Flowable] = [para("Assessments overdue", "h1")]
    if not report.overdue:
        return [*story, para("No assessment is overdue.")]
    story.append(table(
        [["Vendor", "Assessment", "Due", "Days overdue"]]
        + [[o.vendor_name, f"#{o.assessment_id}", o.due_date.isoformat(), str(o.days_overdue)]
           for o in report.overdue],
        [80 * mm, 30 * mm, 32 * mm, 32 * mm]))
    if report.overdue_total > len(report.overdue):
        story.append(para(f"The {len(report.overdue)} most overdue of "
                          f"{report.overdue_total}.", "small"))
    return story


def _renewals(report: Portfolio) -> list[Flowable]:
    agenda, attention = report.deadlines, report.needing_attention
    story: list[Flowable] = [para("Upcoming renewals and expiries", "h1"), para(
        "Every deadline of the working vendors: BAA and contract expiries, renewals and notice "
        "dates, reassessments, questionnaires due from vendors and conditions of approval; "
        f"overdue ones (up to a year back), then those due by {report.deadline_horizon:%d %B %Y}.",
        "small"),
        para(_needing(len(attention))
             + (": approvals for PHI whose BAA is no longer in force, or conditions not met by "
                "their date." if attention else "."))]
    if attention:
        story.append(table(
            [["Vendor", "Decision", "Why"]]
            + [[v.name, v.standing.decision.label if v.standing.decision else "",
                v.standing.why] for v in attention[:DEADLINES_LISTED]],
            [50 * mm, 40 * mm, WIDTH - 90 * mm]))
    for title, items, none in (
            (f"Overdue ({len(agenda.overdue)})", agenda.overdue, "Nothing is overdue."),
            (f"Due in the next {DEADLINE_DAYS} days ({len(agenda.upcoming)})", agenda.upcoming,
             f"Nothing falls due in the next {DEADLINE_DAYS} days.")):
        story += [CondPageBreak(30 * mm), para(title, "h2"),
                  *_deadline_table(items, report, none)]
    return story


def _deadline_table(items: list[Deadline], report: Portfolio, none: str) -> list[Flowable]:
    if not items:
        return [para(none)]
    story: list[Flowable] = [table(
        [["Date", "When", "What", "Vendor", "Detail"]]
        + [[d.due_on.isoformat(), _when(d.days_left(report.today)), d.kind.label,
            d.vendor_name, d.detail] for d in items[:DEADLINES_LISTED]],
        [24 * mm, 28 * mm, 40 * mm, 40 * mm, WIDTH - 132 * mm])]
    if len(items) > DEADLINES_LISTED:
        story.append(para(f"The first {DEADLINES_LISTED} of {len(items)}; the deadlines page "
                          "and the XLSX export list them all.", "small"))
    return story


def _when(days_left: int) -> str:
    if days_left == 0:
        return "today"
    days = f"{abs(days_left)} day{'' if abs(days_left) == 1 else 's'}"
    return f"in {days}" if days_left > 0 else f"{days} overdue"


def _needing(count: int) -> str:
    return f"{count} decision needs attention" if count == 1 else \
        f"{count} decisions need attention"
