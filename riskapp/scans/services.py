"""The rules of scans: ask for one, record what it found or why it failed, compare two, and
accept the risk of a finding."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.database import db, utcnow
from riskapp.scans.models import (
    FindingAcceptance,
    Scan,
    ScanFinding,
    ScanStatus,
    finding_fingerprint,
    sorted_findings,
)
from riskapp.vendors.models import Vendor
from riskapp.vendors.services import vendor_target
from scanners.scan import DomainReport

HISTORY_SIZE = 20
# An unfinished scan younger than this stops a second one being asked for (a double click);
# an older one was lost with its worker and no longer counts.
UNFINISHED_SCAN_BLOCKS_FOR = timedelta(hours=1)
MAX_ERROR_LENGTH = 2000
INTERRUPTED = "The scan was interrupted (the worker stopped); scan again."
MAX_REASON_LENGTH = 2000


class ScanError(ValueError):
    """Something the scan rules refuse; the message says why, for the user."""


# --- asking for a scan and running it -------------------------------------------------------


def request_scan(vendor: Vendor, *, actor: User | None) -> Scan:
    """Record a queued scan of all of ``vendor``'s domains; the caller queues the job."""
    domains = [row.domain for row in vendor.domains]
    if not domains:
        raise ScanError(f"{vendor.name} has no domains to scan.")
    unfinished = unfinished_scan(vendor)
    if unfinished is not None:
        raise ScanError(f"A scan of {vendor.name} is already {unfinished.status} (asked for "
                        f"{unfinished.requested_at:%Y-%m-%d %H:%M} UTC).")
    scan = Scan(vendor=vendor, requested_by=actor, status=ScanStatus.QUEUED.value,
                domains=domains)
    db.session.add(scan)
    db.session.flush()
    audit.record(
        "scan.requested", actor=actor, target=vendor_target(vendor),
        summary=f"Asked for a scan of {', '.join(domains)}",
        changes=audit.diff({}, {"scan": scan.id, "domains": domains}),
    )
    return scan


def unfinished_scan(vendor: Vendor) -> Scan | None:
    since = utcnow() - UNFINISHED_SCAN_BLOCKS_FOR
    return db.session.scalar(
        select(Scan)
        .where(Scan.vendor_id == vendor.id, Scan.requested_at >= since,
               Scan.status.in_([ScanStatus.QUEUED.value, ScanStatus.RUNNING.value]))
        .order_by(Scan.id.desc())
        .limit(1))


@dataclass(frozen=True)
class ScanJob:
    """What a worker needs to run a scan, read before the scan so no transaction stays open."""

    scan_id: int
    domains: tuple[str, ...]


def begin_scan(scan_id: int) -> ScanJob | None:
    """Mark the scan running and count the attempt; ``None`` when there is nothing to run.

    A scan already done or failed is not run again: a queue may deliver a job twice.
    """
    scan = db.session.get(Scan, scan_id)
    if scan is None or scan.status_enum.finished:
        return None
    scan.status = ScanStatus.RUNNING.value
    scan.started_at = scan.heartbeat_at = utcnow()
    scan.attempts += 1
    return ScanJob(scan.id, tuple(scan.domains))


def record_heartbeat(scan_id: int) -> None:
    """Note that the worker running the scan is alive (nothing, once the scan has ended)."""
    db.session.execute(
        update(Scan).where(Scan.id == scan_id, Scan.status == ScanStatus.RUNNING.value)
        .values(heartbeat_at=utcnow()))


def fail_interrupted_scans(*, silent_for: timedelta) -> list[int]:
    """Mark failed the running scans whose worker has not been heard from for ``silent_for``;
    return their ids.

    Such a worker was killed, or its machine stopped: the queue will not run the job again
    (huey takes a job off the queue as a worker begins it), so the scan would say "running"
    for ever. Its findings were never stored: a scan stores them all at once, as it ends.
    One conditional UPDATE, so a scan that finishes meanwhile keeps its outcome.
    """
    now = utcnow()
    last_heard = func.coalesce(Scan.heartbeat_at, Scan.started_at)
    return list(db.session.scalars(
        update(Scan)
        .where(Scan.status == ScanStatus.RUNNING.value, last_heard < now - silent_for)
        .values(status=ScanStatus.FAILED.value, error=INTERRUPTED, finished_at=now)
        .returning(Scan.id)
        .execution_options(synchronize_session=False)))


def record_results(scan: Scan, reports: Iterable[DomainReport],
                   *, finished_at: datetime | None = None) -> None:
    """Store each domain's findings and errors on ``scan`` and mark it done.

    A finding reported twice (one mail server behind two of the vendor's domains) is stored
    once: a scan holds each fingerprint once.
    """
    seen: set[str] = set()
    domain_errors: dict[str, list[str]] = {}
    for report in reports:
        if report.errors:
            domain_errors[report.domain] = list(report.errors)
        for found in report.findings:
            fingerprint = finding_fingerprint(found.id, found.target)
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            scan.findings.append(ScanFinding(
                domain=report.domain, finding_id=found.id, severity=found.severity.value,
                title=found.title, detail=found.detail, evidence=found.evidence,
                target=found.target, remediation=found.remediation, fingerprint=fingerprint,
            ))
    scan.domain_errors = domain_errors
    scan.status = ScanStatus.DONE.value
    scan.finished_at = finished_at or utcnow()
    db.session.flush()


def record_scan_results(scan_id: int, reports: Iterable[DomainReport]) -> None:
    scan = db.session.get(Scan, scan_id)
    if scan is None:  # the vendor was deleted while its scan ran
        return
    record_results(scan, reports)


def record_failure(scan_id: int, error: str, *, will_retry: bool) -> None:
    """Note why an attempt failed: queued again when it will be retried, failed otherwise."""
    scan = db.session.get(Scan, scan_id)
    if scan is None:
        return
    scan.error = error[:MAX_ERROR_LENGTH]
    if will_retry:
        scan.status = ScanStatus.QUEUED.value
    else:
        scan.status = ScanStatus.FAILED.value
        scan.finished_at = utcnow()
    db.session.flush()


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# --- reading scans ---------------------------------------------------------------------------


def get_scan(vendor: Vendor, scan_id: int) -> Scan | None:
    """Return the vendor's scan ``scan_id``, or ``None`` (another vendor's scan included)."""
    scan = db.session.get(Scan, scan_id, options=[selectinload(Scan.findings)])
    return scan if scan is not None and scan.vendor_id == vendor.id else None


def get_finding(vendor: Vendor, finding_id: int) -> ScanFinding | None:
    finding = db.session.get(ScanFinding, finding_id)
    return finding if finding is not None and finding.scan.vendor_id == vendor.id else None


def get_acceptance(vendor: Vendor, acceptance_id: int) -> FindingAcceptance | None:
    acceptance = db.session.get(FindingAcceptance, acceptance_id)
    return acceptance if acceptance is not None and acceptance.vendor_id == vendor.id else None


def scan_history(vendor: Vendor, limit: int = HISTORY_SIZE) -> list[Scan]:
    """The vendor's scans, newest first."""
    return list(db.session.scalars(
        select(Scan).where(Scan.vendor_id == vendor.id)
        .options(selectinload(Scan.findings), selectinload(Scan.requested_by))
        .order_by(Scan.id.desc()).limit(limit)))


def finished_scans(vendor: Vendor) -> list[Scan]:
    """The vendor's scans that ran to the end, newest first: the ones worth comparing."""
    return list(db.session.scalars(
        select(Scan).where(Scan.vendor_id == vendor.id, Scan.status == ScanStatus.DONE.value)
        .order_by(Scan.id.desc())))


def acceptances_by_fingerprint(vendor: Vendor) -> dict[str, FindingAcceptance]:
    rows = db.session.scalars(
        select(FindingAcceptance).where(FindingAcceptance.vendor_id == vendor.id)
        .options(selectinload(FindingAcceptance.accepted_by)))
    return {row.fingerprint: row for row in rows}


@dataclass(frozen=True)
class Comparison:
    """What changed from one scan of a vendor to a later one, compared by fingerprint.

    ``new`` and ``unchanged`` hold the later scan's findings (as it worded them), ``resolved``
    the earlier scan's. A finding the later scan did not see counts as resolved only if that
    scan checked everything; when some of its checks could not run (a lookup timed out, a
    site did not answer) it goes to ``not_rechecked``: absence of evidence is not a fix.
    """

    old: Scan
    new: Scan
    new_findings: list[ScanFinding]
    resolved: list[ScanFinding]
    unchanged: list[ScanFinding]
    not_rechecked: list[ScanFinding] = field(default_factory=list)


def compare(old: Scan, new: Scan) -> Comparison:
    """Compare two scans of a vendor, the earlier one first whichever order they are given."""
    if old.id > new.id:
        old, new = new, old
    before = {finding.fingerprint for finding in old.findings}
    after = {finding.fingerprint for finding in new.findings}
    gone = [f for f in old.findings if f.fingerprint not in after]
    complete = not any(new.domain_errors.values()) if new.domain_errors else True
    return Comparison(
        old=old,
        new=new,
        new_findings=sorted_findings([f for f in new.findings if f.fingerprint not in before]),
        resolved=sorted_findings(gone if complete else []),
        unchanged=sorted_findings([f for f in new.findings if f.fingerprint in before]),
        not_rechecked=sorted_findings([] if complete else gone),
    )


@dataclass(frozen=True)
class VendorScans:
    """What the vendor page shows of its scans.

    :param latest: the newest scan, whatever its state (queued, running, failed or done).
    :param shown: the newest scan that ran to the end: its findings are the vendor's current
        ones.
    :param changes: ``shown`` against the finished scan before it, if there is one.
    """

    latest: Scan | None
    shown: Scan | None
    changes: Comparison | None
    history: list[Scan]
    acceptances: dict[str, FindingAcceptance]


def vendor_scans(vendor: Vendor) -> VendorScans:
    history = scan_history(vendor)
    done = [scan for scan in history if scan.status_enum is ScanStatus.DONE]
    shown = done[0] if done else None
    return VendorScans(
        latest=history[0] if history else None,
        shown=shown,
        changes=compare(done[1], shown) if shown is not None and len(done) > 1 else None,
        history=history,
        acceptances=acceptances_by_fingerprint(vendor),
    )


# --- accepted risk ---------------------------------------------------------------------------


def accept_risk(finding: ScanFinding, reason: str, *, actor: User | None) -> FindingAcceptance:
    """Accept the risk of ``finding`` for its vendor, now and in the vendor's later scans."""
    reason = reason.strip()
    if not reason:
        raise ScanError("Say why the risk is accepted.")
    if len(reason) > MAX_REASON_LENGTH:
        raise ScanError(f"Keep the reason under {MAX_REASON_LENGTH} characters.")
    vendor = finding.scan.vendor
    existing = db.session.scalar(select(FindingAcceptance).where(
        FindingAcceptance.vendor_id == vendor.id,
        FindingAcceptance.fingerprint == finding.fingerprint))
    if existing is not None:
        raise ScanError(f"The risk of '{finding.title}' on {finding.target} is already accepted.")
    acceptance = FindingAcceptance(
        vendor=vendor, fingerprint=finding.fingerprint, finding_id=finding.finding_id,
        title=finding.title, target=finding.target, reason=reason, accepted_by=actor)
    db.session.add(acceptance)
    db.session.flush()
    audit.record(
        "finding.risk_accepted", actor=actor, target=vendor_target(vendor),
        summary=f"Accepted the risk of '{finding.title}' on {finding.target}",
        changes=audit.diff({}, _audited(acceptance)),
    )
    return acceptance


def withdraw_acceptance(acceptance: FindingAcceptance, *, actor: User | None) -> None:
    """Withdraw an accepted risk: the finding counts as open again, in every scan."""
    audit.record(
        "finding.acceptance_withdrawn", actor=actor, target=vendor_target(acceptance.vendor),
        summary=f"Withdrew the accepted risk of '{acceptance.title}' on {acceptance.target}",
        changes=audit.diff(_audited(acceptance), {}),
    )
    db.session.delete(acceptance)
    db.session.flush()


def _audited(acceptance: FindingAcceptance) -> dict[str, str]:
    return {"finding": acceptance.finding_id, "target": acceptance.target,
            "reason": acceptance.reason}
