"""Does the BAA cover what we actually use? Pure functions, no database.

A BAA names the services and regions it covers; large clouds sign BAAs for named services
only. The vendor's record (the inventory's services and data locations) and its questionnaire
answers (the countries it keeps data in) say what is used. Anything used and not covered is a
:class:`Gap`, shown on the vendor page and in the reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pycountry

# Entries that cover everything of their kind.
EVERYTHING = frozenset({"all", "all services", "all regions", "any", "worldwide", "global",
                        "all locations", "everywhere"})
EU = frozenset({"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
                "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
                "SE"})
REGION_GROUPS = {
    "eu": EU, "european union": EU, "eea": EU | {"IS", "LI", "NO"},
    "usa": frozenset({"US"}), "u.s": frozenset({"US"}), "united states": frozenset({"US"}),
    "uk": frozenset({"GB"}), "great britain": frozenset({"GB"}),
}
# Cloud region names (us-east-1, eu-west-1, ...) give their country or union by prefix,
# except the "eu-" regions outside the EU.
CLOUD_PREFIXES = {"us": frozenset({"US"}), "ca": frozenset({"CA"}), "eu": EU,
                  "uk": frozenset({"GB"}), "au": frozenset({"AU"})}
CLOUD_REGIONS_OUTSIDE_PREFIX = {"eu-west-2": frozenset({"GB"}),  # London
                                "eu-central-2": frozenset({"CH"})}  # Zurich
CLOUD_REGION = re.compile(r"^([a-z]{2})-[a-z]+-?\d*$")
SEPARATORS = re.compile(r"[\n;,]+")


@dataclass(frozen=True)
class Used:
    """One service or location in use, and where we learnt of it."""

    item: str
    source: str


@dataclass(frozen=True)
class Gap:
    kind: str  # "service" or "location"
    item: str
    source: str

    def describe(self) -> str:
        what = "Service" if self.kind == "service" else "Data location"
        return f"{what} {self.item} ({self.source}) is not covered by the BAA"


def entries(text: str) -> list[str]:
    """The entries of a list typed one per line (commas and semicolons separate too)."""
    stripped = (entry.strip().rstrip(".").strip() for entry in SEPARATORS.split(text or ""))
    return [entry for entry in stripped if entry]


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.casefold()))


def service_covered(service: str, covered: Iterable[str]) -> bool:
    """A service is covered by an entry naming it: the same words, or one's words within the
    other's ("Exchange Online" by "Microsoft 365 Exchange Online")."""
    used = _words(service)
    if not used:
        return True
    for entry in covered:
        words = _words(entry)
        if entry.casefold().strip() in EVERYTHING or (words and (used <= words or words <= used)):
            return True
    return False


def countries_of(place: str) -> frozenset[str] | None:
    """The ISO 3166 alpha-2 codes a place names, or ``None`` when it names no country."""
    text = place.strip()
    named_code = re.search(r"\(([A-Z]{2})\)$", text)  # "Germany (DE)", as country_name writes
    if named_code:
        text = named_code.group(1)
    key = text.casefold().rstrip(".")
    if key in REGION_GROUPS:
        return REGION_GROUPS[key]
    if key in CLOUD_REGIONS_OUTSIDE_PREFIX:
        return CLOUD_REGIONS_OUTSIDE_PREFIX[key]
    prefix = CLOUD_REGION.match(key)
    if prefix and prefix.group(1) in CLOUD_PREFIXES:
        return CLOUD_PREFIXES[prefix.group(1)]
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        return None
    return frozenset({country.alpha_2})


def location_covered(place: str, covered: Iterable[str]) -> bool:
    """A place is covered by a country or group containing it ("EU" covers Germany and
    eu-west-1), or by an entry naming it; a cloud region the BAA names covers that region
    only, not the rest of its country."""
    covered = list(covered)
    keys = [entry.casefold().strip() for entry in covered]
    if any(key in EVERYTHING for key in keys) or place.casefold().strip() in keys:
        return True
    wanted = countries_of(place)
    if wanted is None:  # not a country we know: compare the words
        return service_covered(place, covered)
    allowed: set[str] = set()
    for entry in covered:
        if not _is_cloud_region(entry):
            allowed |= countries_of(entry) or set()
    return wanted <= allowed


def _is_cloud_region(place: str) -> bool:
    key = place.casefold().strip()
    return key in CLOUD_REGIONS_OUTSIDE_PREFIX or bool(CLOUD_REGION.match(key))


def coverage_gaps(covered_services: str, covered_regions: str, services: Iterable[Used],
                  locations: Iterable[Used]) -> list[Gap]:
    """Each service and location in use that the BAA does not cover, in the order given.

    A BAA that names no service covers none, and one that names no region covers none:
    leaving the list empty is itself the gap an officer must close.
    """
    covered = entries(covered_services)
    regions = entries(covered_regions)
    gaps = [Gap("service", used.item, used.source) for used in _unique(services)
            if not service_covered(used.item, covered)]
    gaps += [Gap("location", used.item, used.source) for used in _unique(locations)
             if not location_covered(used.item, regions)]
    return gaps


def _unique(items: Iterable[Used]) -> list[Used]:
    seen: set[str] = set()
    unique = []
    for used in items:
        key = used.item.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(used)
    return unique


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return f"{country.name} ({code})" if country else code
