"""How the app runs the scanners: which resolver, timeouts and trust it gives them.

Every setting comes from the app's config. ``SCAN_RESOLVER`` and ``SCAN_TIMEOUT`` are the
operator's (``RISKAPP_SCAN_*``). The rest are for tests, which aim a scan at the scanner lab on
loopback: ``SCAN_CA_FILE`` (the lab's test CA), ``SCAN_SMTP_PORT``, ``SCAN_HTTPS_PORT`` and
``SCAN_HTTP_PORT`` (the lab's ports), and ``SCAN_ALLOW_LOOPBACK``, which lifts the loopback
block and nothing else, and only in an app with ``TESTING`` set: in the app the scanner's
private-address block is always on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scanners.addresses import AllowPrivate, BlockReason
from scanners.https_probe import HTTP_PORT, HTTPS_PORT
from scanners.scan import (
    DEFAULT_TIMEOUT,
    DomainReport,
    check_ca_file,
    make_context,
    parse_resolver,
)
from scanners.scan import scan_domains as _scan_domains
from scanners.smtp_probe import SMTP_PORT


class ScanConfigError(ValueError):
    """A scan setting that cannot work; raised when the app starts, not when a scan runs."""


@dataclass(frozen=True, kw_only=True)
class ScanOptions:
    """What the app hands the scanners for every scan."""

    resolver: tuple[str, int] | None = None  # None: the system's resolver
    timeout: float = DEFAULT_TIMEOUT
    ca_file: str | None = None
    allow_loopback: bool = False
    smtp_port: int = SMTP_PORT
    https_port: int = HTTPS_PORT
    http_port: int = HTTP_PORT

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ScanOptions:
        """Read the options from the app's config; :class:`ScanConfigError` names a bad one."""
        allow_loopback = bool(config.get("SCAN_ALLOW_LOOPBACK"))
        if allow_loopback and not config.get("TESTING"):
            raise ScanConfigError("SCAN_ALLOW_LOOPBACK lifts the scanner's private-address "
                                  "block; only the tests may set it.")
        try:
            resolver = parse_resolver(config["SCAN_RESOLVER"]) if config.get(
                "SCAN_RESOLVER") else None
            ca_file = check_ca_file(config["SCAN_CA_FILE"]) if config.get(
                "SCAN_CA_FILE") else None
        except ValueError as error:
            raise ScanConfigError(str(error)) from error
        return cls(
            resolver=resolver,
            timeout=float(config.get("SCAN_TIMEOUT") or DEFAULT_TIMEOUT),
            ca_file=ca_file,
            allow_loopback=allow_loopback,
            smtp_port=int(config.get("SCAN_SMTP_PORT") or SMTP_PORT),
            https_port=int(config.get("SCAN_HTTPS_PORT") or HTTPS_PORT),
            http_port=int(config.get("SCAN_HTTP_PORT") or HTTP_PORT),
        )

    @property
    def allow_private(self) -> AllowPrivate:
        return frozenset({BlockReason.LOOPBACK}) if self.allow_loopback else False


def scan_domains(domains: Sequence[str], options: ScanOptions) -> list[DomainReport]:
    """Scan every domain with every probe, in this thread's own event loop."""
    return asyncio.run(_scan(domains, options))


async def _scan(domains: Sequence[str], options: ScanOptions) -> list[DomainReport]:
    # The context holds asyncio objects, so it is made inside the loop that uses it.
    context = make_context(
        resolver=options.resolver, timeout=options.timeout, ca_file=options.ca_file,
        allow_private=options.allow_private, smtp_port=options.smtp_port,
        https_port=options.https_port, http_port=options.http_port)
    return await _scan_domains(domains, context=context)
