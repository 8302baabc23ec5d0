"""The scoring profile: the weights and thresholds of the vendor risk rating, from YAML.

A profile is a file officers may edit (``scoring/default.yaml``, documented in
``scoring/README.md``). It is read with the questionnaires' YAML machinery, so every mistake is
reported as ``file:line:column``, validated with pydantic, and identified by its id, its
semantic version and the hash of its content: a stored score records all three.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskapp.questionnaires.loader import read_document, validate_document
from riskapp.questionnaires.yaml_source import SourceError
from riskapp.vendors.models import Category, Criticality
from scanners.findings import Severity

DEFAULT_PROFILE = Path(__file__).resolve().parents[2] / "scoring" / "default.yaml"
TIERS = ("low", "moderate", "high", "critical")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Level = Field(ge=0, le=100)
Weight = Field(ge=0, le=1000)


class Weights(_Strict):
    inherent: float = Weight
    questionnaire: float = Weight
    scans: float = Weight

    @model_validator(mode="after")
    def _some_weight(self) -> Weights:
        if not (self.inherent or self.questionnaire or self.scans):
            raise ValueError("at least one weight must be above 0")
        return self


class PhiAccess(_Strict):
    weight: float = Weight
    none: float = Level
    transmits: float = Level
    processes: float = Level
    stores: float = Level


class LevelFactor(_Strict):
    weight: float = Weight
    levels: dict[str, float]

    def level(self, key: str) -> float:
        return self.levels.get(key, 0.0)


class IntakeFactor(_Strict):
    weight: float = Weight


def _complete(levels: dict[str, float], expected: list[str], what: str) -> None:
    missing = [key for key in expected if key not in levels]
    unknown = [key for key in levels if key not in expected]
    if missing or unknown:
        raise ValueError(f"{what} levels must name exactly: {', '.join(expected)}"
                         + (f"; missing {', '.join(missing)}" if missing else "")
                         + (f"; unknown {', '.join(unknown)}" if unknown else ""))
    out_of_range = [key for key, value in levels.items() if not 0 <= value <= 100]
    if out_of_range:
        raise ValueError(f"{what} levels must be from 0 to 100: {', '.join(out_of_range)}")


class Inherent(_Strict):
    phi_access: PhiAccess
    criticality: LevelFactor
    category: LevelFactor
    intake: IntakeFactor

    @model_validator(mode="after")
    def _levels_cover_the_inventory(self) -> Inherent:
        _complete(self.criticality.levels, [c.value for c in Criticality], "criticality")
        _complete(self.category.levels, [c.value for c in Category], "category")
        return self


class Scans(_Strict):
    severity_points: dict[str, float]

    @model_validator(mode="after")
    def _every_severity(self) -> Scans:
        _complete(self.severity_points, [s.value for s in Severity], "severity")
        return self


class Tiers(_Strict):
    critical: float = Level
    high: float = Level
    moderate: float = Level

    @model_validator(mode="after")
    def _ascending(self) -> Tiers:
        if not self.moderate <= self.high <= self.critical:
            raise ValueError("tiers must rise: moderate <= high <= critical")
        return self

    def tier_of(self, score: float) -> str:
        for tier in ("critical", "high", "moderate"):
            if score >= getattr(self, tier):
                return tier
        return "low"


class Gates(_Strict):
    critical_answer: bool = True
    critical_finding: bool = True
    phi_without_baa: bool = True


class Profile(_Strict):
    """A scoring profile as its file states it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str = Field(min_length=1, max_length=200)
    weights: Weights
    inherent: Inherent
    scans: Scans
    tiers: Tiers
    gates: Gates = Gates()

    @property
    def content_hash(self) -> str:
        """SHA-256 of the profile's content: comments and layout do not change it."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.id} {self.version}"


class ProfileError(ValueError):
    """A profile that cannot be used; ``errors`` say where and why."""

    def __init__(self, errors: list[SourceError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


def load_profile(path: Path = DEFAULT_PROFILE) -> Profile:
    """Read and validate the profile at ``path``.

    :raises ProfileError: naming every mistake with its file, line and column.
    """
    errors: list[SourceError] = []
    document = read_document(path, errors)
    profile = validate_document(Profile, document, errors) if document is not None else None
    if profile is None:
        raise ProfileError(errors)
    return profile
