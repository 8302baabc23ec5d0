"""What a probe reports: findings with stable ids, built from the catalog.

A probe never spells out a title, a default severity or a remediation itself: it names a
catalog id and says what it saw (``detail``), what proves it (``evidence``) and where
(``target``). The catalog, in :mod:`scanners.catalog`, is the one place those texts live.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True)
class CatalogEntry:
    """The fixed facts about one finding id."""

    id: str
    title: str
    severity: Severity
    remediation: str
    why: str  # why it matters for PHI, in plain words; details build on it


@dataclass(frozen=True)
class Finding:
    """One thing a probe saw.

    :param detail: what was seen and why it matters, in plain words for a privacy officer.
    :param evidence: the record, header, protocol, URL or snippet that proves it.
    :param target: the host or URL that was checked.
    """

    id: str
    severity: Severity
    title: str
    detail: str
    evidence: str
    target: str
    remediation: str

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "title": self.title,
            "detail": self.detail,
            "evidence": self.evidence,
            "target": self.target,
            "remediation": self.remediation,
        }
