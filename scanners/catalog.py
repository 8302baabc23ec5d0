"""Every finding id the scanners report, with its title, default severity and remediation.

The entries live in :mod:`scanners.catalog_data`, one module per area. Documented in
scanners/README.md (the table is :func:`markdown_table`, printed by
``python -m scanners.catalog``); a test keeps the two in step. Probes create findings
through :func:`finding`, so an id missing here fails at once rather than in a report.
"""

from __future__ import annotations

from scanners.catalog_data.mail import DNS_ENTRIES, SMTP_ENTRIES
from scanners.catalog_data.scan import SCAN_ENTRIES
from scanners.catalog_data.tracking import TRACKING_ENTRIES
from scanners.catalog_data.web import WEB_ENTRIES
from scanners.findings import CatalogEntry, Finding, Severity

_ENTRIES: tuple[CatalogEntry, ...] = (
    *DNS_ENTRIES,
    *SMTP_ENTRIES,
    *WEB_ENTRIES,
    *TRACKING_ENTRIES,
    *SCAN_ENTRIES,
)

CATALOG: dict[str, CatalogEntry] = {entry.id: entry for entry in _ENTRIES}


def finding(
    finding_id: str,
    *,
    target: str,
    evidence: str,
    detail: str = "",
    severity: Severity | None = None,
) -> Finding:
    """Return a finding for ``finding_id``: what was seen, backed by ``evidence``, at ``target``.

    ``detail`` says what was seen in this case; the catalog's reason why it matters follows it.
    ``severity`` overrides the default where the situation warrants (a tracker on a login page).
    """
    entry = CATALOG[finding_id]
    return Finding(
        id=entry.id,
        severity=severity or entry.severity,
        title=entry.title,
        detail=f"{detail} {entry.why}".strip(),
        evidence=evidence,
        target=target,
        remediation=entry.remediation,
    )


def markdown_table() -> str:
    """The README's catalog table: id, default severity and title of every entry."""
    rows = [
        "| id | default severity | title |",
        "|---|---|---|",
        *(f"| `{e.id}` | {e.severity.value} | {e.title} |" for e in _ENTRIES),
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
