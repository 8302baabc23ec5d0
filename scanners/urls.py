"""URL helpers shared by the fetcher and the crawl: one spelling per page, one site per vendor."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def normalise_url(url: str) -> str:
    """The URL as a browser would request it: lower-case scheme and host, ``/`` for an empty
    path, no fragment; so ``https://A.test`` and ``https://a.test/#top`` are one page."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/",
                       parts.query, ""))


def site_of(url: str) -> str:
    """The site a URL belongs to: its host without ``www.``. This approximates the registrable
    domain without the public suffix list; subdomains of the scanned host count as its own."""
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def same_site(url: str, site: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == site or host.endswith("." + site)
