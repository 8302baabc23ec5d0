"""Tracking technologies on a vendor's pages: the pure analysis half of the tracking probe.

Fetching is someone else's job; these functions take a page's URL and HTML and say which
trackers it carries (:func:`detect_trackers`), which same-site links are worth fetching next
(:func:`rank_links`) and what that means for PHI (:func:`tracking_findings`). The signatures,
the words that make a page look like it collects PHI and the link preferences are data, in
``scanners/data/trackers.json``; no technology has a branch of its own here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from html.parser import HTMLParser
from importlib import resources
from typing import Any
from urllib.parse import urljoin, urlsplit

from scanners.catalog import CATALOG, finding
from scanners.findings import Finding, Severity
from scanners.urls import normalise_url, same_site, site_of

EVIDENCE_LIMIT = 200
MAX_LINKS = 10
URL_LIMIT = 2048  # characters of a src or href that are read


class Seen(StrEnum):
    """How a tracker showed itself on the page."""

    SCRIPT_SRC = "script_src"
    INLINE_SNIPPET = "inline_snippet"
    NOSCRIPT_IMG = "noscript_img"
    IFRAME = "iframe"


@dataclass(frozen=True)
class TrackerHit:
    """One tracker seen on one page.

    :param finding_id: the catalog id the technology reports under (``tracking.meta_pixel``).
    :param technology: the product's name (``Hotjar``), several may share a catalog id.
    :param seen: how it was seen: a script's src, an inline snippet, an img in noscript, an iframe.
    :param account_id: the pixel, property or partner id it reports to, when the page says.
    :param evidence: the URL or snippet that matched, at most 200 characters.
    """

    finding_id: str
    technology: str
    seen: Seen
    account_id: str | None
    evidence: str


@dataclass(frozen=True)
class _Signature:
    finding_id: str
    technology: str
    seen: Seen
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Rules:
    signatures: tuple[_Signature, ...]
    phi_page: tuple[re.Pattern[str], ...]
    preferred_link: tuple[re.Pattern[str], ...]
    skip_extensions: tuple[str, ...]


@cache
def _rules() -> _Rules:
    """The signatures and page rules from the package's data file, compiled once."""
    text = resources.files("scanners").joinpath("data/trackers.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)
    signatures = tuple(
        _Signature(tech["id"], tech["name"], Seen(sig["kind"]), re.compile(sig["pattern"]))
        for tech in raw["technologies"]
        for sig in tech["signatures"]
    )
    unknown = {s.finding_id for s in signatures} - CATALOG.keys()
    if unknown:
        raise ValueError(f"trackers.json names ids missing from the catalog: {sorted(unknown)}")
    return _Rules(
        signatures=signatures,
        phi_page=tuple(re.compile(p) for p in raw["phi_page_patterns"]),
        preferred_link=tuple(re.compile(p) for p in raw["preferred_link_patterns"]),
        skip_extensions=tuple(raw["skip_link_extensions"]),
    )


class _PageParser(HTMLParser):
    """Collects what trackers hide in: script src and text, noscript img, iframe, a href."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.urls: list[tuple[Seen, str]] = []
        self.inline: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._noscript = 0
        self._script: list[str] | None = None
        self._link: tuple[str, list[str]] | None = None

    def _absolute(self, value: str | None) -> str | None:
        """The attribute as an absolute URL, cut to :data:`URL_LIMIT` characters (signatures
        match near the start; a megabyte of URL would only make the patterns slow); ``None``
        when empty or no URL at all."""
        value = (value or "").strip()[:URL_LIMIT]
        try:
            return urljoin(self.page_url, value) if value else None
        except ValueError:  # "http://[::1": an IPv6 literal that never closes
            return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            src = self._absolute(attributes.get("src"))
            if src:
                self.urls.append((Seen.SCRIPT_SRC, src))
            self._script = []
        elif tag == "noscript":
            self._noscript += 1
        elif tag == "img" and self._noscript:
            src = self._absolute(attributes.get("src"))
            if src:
                self.urls.append((Seen.NOSCRIPT_IMG, src))
        elif tag == "iframe":
            src = self._absolute(attributes.get("src"))
            if src:
                self.urls.append((Seen.IFRAME, src))
        elif tag == "a" and attributes.get("href"):
            self._link = (attributes["href"] or "", [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            text = "".join(self._script).strip()
            if text:
                self.inline.append(text)
            self._script = None
        elif tag == "noscript" and self._noscript:
            self._noscript -= 1
        elif tag == "a" and self._link is not None:
            href, text = self._link
            self.links.append((href, " ".join("".join(text).split())))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        elif self._link is not None:
            self._link[1].append(data)


def _parse(page_url: str, html: str) -> _PageParser:
    parser = _PageParser(page_url)
    parser.feed(html)
    parser.close()
    return parser


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EVIDENCE_LIMIT else text[: EVIDENCE_LIMIT - 3] + "..."


def _account(match: re.Match[str]) -> str | None:
    return match.groupdict().get("account") or None


def detect_trackers(page_url: str, html: str) -> list[TrackerHit]:
    """Every tracker the page at ``page_url`` carries, once per technology, way and account."""
    page = _parse(page_url, html)
    hits: dict[tuple[str, str, Seen, str | None], TrackerHit] = {}
    for sig in _rules().signatures:
        if sig.seen is Seen.INLINE_SNIPPET:
            for text in page.inline:
                for match in sig.pattern.finditer(text):
                    start = max(0, match.start() - 40)
                    evidence = _clip(text[start : match.end() + 40])
                    hit = TrackerHit(
                        sig.finding_id, sig.technology, sig.seen, _account(match), evidence
                    )
                    hits.setdefault((hit.technology, hit.finding_id, hit.seen, hit.account_id), hit)
            continue
        for seen, url in page.urls:
            found = sig.pattern.search(url) if seen is sig.seen else None
            if found:
                hit = TrackerHit(sig.finding_id, sig.technology, seen, _account(found), _clip(url))
                hits.setdefault((hit.technology, hit.finding_id, seen, hit.account_id), hit)
    return list(hits.values())


def _matches(patterns: tuple[re.Pattern[str], ...], url: str, link_text: str) -> bool:
    parts = urlsplit(url)
    labels = (parts.hostname or "").split(".")[:-2]  # subdomains only: portal.example.org
    text = " ".join([*labels, parts.path, parts.query, link_text]).lower()
    return any(pattern.search(text) for pattern in patterns)


def looks_like_phi_page(url: str, link_text: str = "") -> bool:
    """Whether the page looks like one where patients sign in, book or fill in forms."""
    return _matches(_rules().phi_page, url, link_text)


@dataclass(frozen=True)
class Link:
    """A link worth following, and whether it (its URL or its text) looks like a PHI page."""

    url: str
    collects_phi: bool


def rank_links(base_url: str, html: str) -> list[str]:
    """Up to 10 same-site links from the page, those that look like they collect PHI first."""
    return [link.url for link in ranked_links(base_url, html)]


def ranked_links(base_url: str, html: str) -> list[Link]:
    """Up to 10 same-site links from the page, those that look like they collect PHI first.

    Same site approximates the registrable domain: the scanned host without ``www.``, or a
    subdomain of it. Fragments are dropped; mailto, tel, javascript, files and the page
    itself are left out. Within a rank the page's own order is kept.
    """
    rules = _rules()
    site = site_of(base_url)
    own = normalise_url(base_url)
    ranked: dict[str, int] = {}
    for href, text in _parse(base_url, html).links:
        try:
            url = normalise_url(urljoin(base_url, href.strip()[:URL_LIMIT]))
        except ValueError:
            continue  # not a URL at all
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not same_site(url, site) or url == own:
            continue
        if parts.path.lower().endswith(rules.skip_extensions):
            continue
        rank = 2
        if looks_like_phi_page(url, text):
            rank = 0
        elif _matches(rules.preferred_link, url, text):
            rank = 1
        ranked[url] = min(rank, ranked.get(url, rank))
    order = {url: index for index, url in enumerate(ranked)}
    best = sorted(ranked, key=lambda url: (ranked[url], order[url]))[:MAX_LINKS]
    return [Link(url, collects_phi=ranked[url] == 0) for url in best]


def _listing(values: list[str]) -> str:
    return ", ".join(values) if values else "none"


def tracking_findings(
    hits_by_page: Mapping[str, list[TrackerHit]], phi_pages: Collection[str] = ()
) -> list[Finding]:
    """One finding per technology, naming its pages, how it was seen and its account ids.

    The severity is raised to high when any of the pages looks like it collects PHI (by its
    URL, or because it is in ``phi_pages``: reached through a link that looked like one); the
    detail names those pages, since the HHS OCR bulletin's reach depends on which they are.
    """
    groups: dict[tuple[str, str], dict[str, list[TrackerHit]]] = {}
    for page, hits in hits_by_page.items():
        for hit in hits:
            groups.setdefault((hit.finding_id, hit.technology), {}).setdefault(page, []).append(hit)
    findings = [_finding(fid, tech, pages, phi_pages) for (fid, tech), pages in groups.items()]
    return sorted(findings, key=lambda f: (-f.severity.rank, f.id, f.detail))


def _finding(
    finding_id: str, technology: str, pages: dict[str, list[TrackerHit]],
    phi_pages: Collection[str],
) -> Finding:
    hits = [hit for page_hits in pages.values() for hit in page_hits]
    seen = sorted({hit.seen.value for hit in hits})
    accounts = sorted({hit.account_id for hit in hits if hit.account_id})
    phi_pages = [page for page in pages if page in phi_pages or looks_like_phi_page(page)]
    detail = (
        f"{technology} is on {len(pages)} page(s): {_listing(list(pages))}; seen as "
        f"{_listing(seen)}; reporting to account id(s) {_listing(accounts)}."
    )
    severity: Severity | None = None
    if phi_pages:
        detail += (
            f" Pages that look like they collect PHI (sign-in, portal, appointment or form): "
            f"{_listing(phi_pages)}. The HHS OCR tracking bulletin still covers such pages once "
            "a patient signs in or books; AHA v. Becerra (2024) vacated it only for "
            "unauthenticated pages, so check whether these sit behind a login."
        )
        if CATALOG[finding_id].severity.rank < Severity.HIGH.rank:
            severity = Severity.HIGH
    else:
        detail += " None of these pages looks like a sign-in, portal, appointment or form page."
    evidence = "; ".join(
        f"{page} [{hit.seen.value}] {hit.evidence.rstrip('; ')}"
        for page, page_hits in pages.items()
        for hit in page_hits
    )
    return finding(
        finding_id, target=next(iter(pages)), evidence=evidence, detail=detail, severity=severity
    )
