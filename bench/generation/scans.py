"""Scans of the vendors' domains, their findings worded by the scanner catalog, and a few
accepted risks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bench.generation.world import Row, World, spread, vendor_target
from riskapp.scans.models import ScanStatus, finding_fingerprint
from scanners.catalog import CATALOG, finding

SCANNED_SHARE = 0.85
SCANS_PER_VENDOR = (1, 1, 2, 2, 3)
FAILED_SHARE = 0.08
WEB_HOSTS = ("", "www.", "portal.", "app.")
ACCEPTANCE_REASON = "Compensating control: the vendor relays all mail through our gateway."


def plan_scans(world: World, findings: int, report_vendor: Row, report_findings: int
               ) -> list[tuple[Row, list[Row]]]:
    """Scans with their findings, adding up to ``findings``; the report vendor's latest scan
    finished with ``report_findings`` of them."""
    rng = world.rng
    scans: list[tuple[Row, list[Row]]] = []
    done: list[tuple[Row, Row]] = []  # (scan, vendor) of the scans that finished
    report_scan: Row | None = None
    for vendor in world.vendors:
        is_report = vendor is report_vendor
        if not is_report and rng.random() > SCANNED_SHARE:
            continue
        finished = vendor["created_at"]
        count = rng.choice(SCANS_PER_VENDOR)
        for number in range(count):
            finished = world.moment(finished, world.now - dt.timedelta(hours=1))
            last = number == count - 1
            failed = not (is_report and last) and rng.random() < FAILED_SHARE
            scan = _scan(world, vendor, finished, failed)
            scans.append((scan, []))
            if not failed:
                done.append((scan, vendor))
                if is_report and last:
                    report_scan = scan
    if report_scan is None:
        raise RuntimeError("the report vendor has no finished scan")
    report_findings = min(report_findings, findings)
    others = [pair for pair in done if pair[0] is not report_scan]
    counts = spread(rng, findings - report_findings, [1.0] * len(others), at_least_one=False)
    wanted = {id(scan): (vendor, count) for (scan, vendor), count in zip(others, counts,
                                                                         strict=True)}
    wanted[id(report_scan)] = (report_vendor, report_findings)
    for scan, found in scans:
        vendor, count = wanted.get(id(scan), (None, 0))
        if vendor is not None and count:
            found.extend(_findings(world, scan, vendor, count))
    for scan, found in scans:
        if scan["status"] == ScanStatus.DONE.value:
            world.scanned[scan["vendor_id"]] = (scan, found)  # scans are in time order
    return scans


def _scan(world: World, vendor: Row, finished: dt.datetime, failed: bool) -> Row:
    requested = finished - dt.timedelta(minutes=world.rng.uniform(1, 30))
    officer = world.officer()
    world.event("scan.requested", requested, officer, target=vendor_target(vendor),
                summary=f"Asked for a scan of {', '.join(vendor['domains'])}")
    return {"id": world.next_id("scans"), "vendor_id": vendor["id"],
            "requested_by_id": officer["id"], "requested_at": requested,
            "status": (ScanStatus.FAILED if failed else ScanStatus.DONE).value,
            "domains": list(vendor["domains"]),
            "started_at": requested + dt.timedelta(seconds=5), "finished_at": finished,
            "attempts": 3 if failed else 1,
            "error": "DNS lookups timed out after 5 seconds" if failed else "",
            "domain_errors": {}}


def _findings(world: World, scan: Row, vendor: Row, count: int) -> list[Row]:
    """``count`` different findings (by catalog id and target) on the vendor's domains."""
    # One vendor domain's web page can be another's (portal.x.example): each once.
    pool = list({(finding_id, target): (finding_id, domain, target)
                 for domain in vendor["domains"] for finding_id in CATALOG
                 for target in _targets(finding_id, domain)}.values())
    if count > len(pool):
        raise ValueError(f"a scan of {vendor['domains']} cannot hold {count} findings")
    pairs = world.rng.sample(pool, count)
    rows = []
    for finding_id, domain, target in pairs:
        found = finding(finding_id, target=target, evidence=f"observed at {target}",
                        detail=f"The scan of {domain} saw this at {target}.")
        rows.append({"id": world.next_id("scan_findings"), "scan_id": scan["id"],
                     "domain": domain, "finding_id": found.id,
                     "severity": found.severity.value, "title": found.title,
                     "detail": found.detail, "evidence": found.evidence, "target": target,
                     "remediation": found.remediation,
                     "fingerprint": finding_fingerprint(found.id, target)})
    return rows


def _targets(finding_id: str, domain: str) -> list[str]:
    """Where a finding of this kind is found: the domain, its mail server or a web page."""
    area = finding_id.split(".", 1)[0]
    if area == "smtp":
        return [f"mx.{domain}"]
    if area in ("web", "tracking"):
        return [f"https://{host}{domain}/" for host in WEB_HOSTS]
    return [domain]


def finding_rows(scans: list[tuple[Row, list[Row]]]) -> Iterator[Row]:
    for _, found in scans:
        yield from found


def acceptance_rows(world: World, share: float = 0.03) -> list[Row]:
    """An accepted risk on the latest scan of ``share`` of the scanned vendors (at least
    one)."""
    rng = world.rng
    rows = []
    vendors = {vendor["id"]: vendor for vendor in world.vendors}
    for vendor_id, (scan, found) in world.scanned.items():
        lesser = [f for f in found if f["severity"] in ("low", "medium")]
        if not lesser or (rows and rng.random() > share):  # the first one, and a few more
            continue
        chosen = rng.choice(lesser)
        officer = world.officer()
        at = world.moment(scan["finished_at"])
        world.accepted[chosen["fingerprint"]] = ACCEPTANCE_REASON
        rows.append({"id": world.next_id("finding_acceptances"), "vendor_id": vendor_id,
                     "fingerprint": chosen["fingerprint"], "finding_id": chosen["finding_id"],
                     "title": chosen["title"], "target": chosen["target"],
                     "reason": ACCEPTANCE_REASON, "accepted_by_id": officer["id"],
                     "accepted_at": at})
        world.event("finding.risk_accepted", at, officer,
                    target=vendor_target(vendors[vendor_id]),
                    summary=f"Accepted the risk of {chosen['title']} at {chosen['target']}",
                    changes={"finding_id": chosen["finding_id"], "target": chosen["target"],
                             "reason": ACCEPTANCE_REASON})
    return rows
