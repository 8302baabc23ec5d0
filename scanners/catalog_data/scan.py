"""Catalog entries about the scan itself rather than the vendor's controls."""

from __future__ import annotations

from scanners.findings import CatalogEntry, Severity

SCAN_ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "scan.blocked_address", "Host resolves to a private or reserved address",
        Severity.INFO,
        "Check the vendor's DNS: a public service should resolve to public addresses. Ask the "
        "vendor if the name is meant for internal use only.",
        "The scanner refused to connect because the address is private, loopback, "
        "link-local, reserved or a cloud metadata address; the checks on this host did not "
        "run, so nothing is known about how it protects PHI.",
    ),
)
