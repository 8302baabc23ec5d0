"""The tracking probe's legwork: the home page and up to 10 same-site pages linked from it.

:func:`~scanners.tracking.rank_links` picks the links (those that look like sign-in, portal,
appointment or form pages first); every fetch goes through the scan's
:class:`~scanners.web_fetch.Fetcher`, so crawled links and their redirects meet the same SSRF
guard and byte cap as the home page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from scanners.tracking import TrackerHit, detect_trackers, ranked_links
from scanners.urls import same_site, site_of
from scanners.web_fetch import Fetcher, Response


@dataclass(frozen=True)
class SiteTrackers:
    """What the crawl saw.

    :param hits_by_page: trackers by page URL (where the link's redirects ended); pages
        without trackers are left out.
    :param phi_pages: pages reached through a link that looked like a sign-in, portal,
        appointment or form page, whatever their final URL looks like.
    """

    hits_by_page: dict[str, list[TrackerHit]]
    phi_pages: frozenset[str]


def _readable(page: Response, site: str) -> bool:
    return page.status < 400 and page.is_html and same_site(page.url, site)


async def trackers_on_site(home: Response, fetcher: Fetcher) -> SiteTrackers:
    """The home page and the pages its best links lead to, fetched concurrently.

    A link that fails, errs, is not HTML, or whose redirects leave the vendor's site is
    skipped: another site's page is not the vendor's to answer for.
    """
    html, site = home.text(), site_of(home.url)
    pages = {home.url: detect_trackers(home.url, html)}
    phi_pages: set[str] = set()
    links = ranked_links(home.url, html)
    fetches = await asyncio.gather(*(fetcher.fetch(link.url) for link in links))
    for link, fetch in zip(links, fetches, strict=True):
        page = fetch.final
        if page is None or not _readable(page, site) or page.url in pages:
            continue
        pages[page.url] = detect_trackers(page.url, page.text())
        if link.collects_phi:
            phi_pages.add(page.url)
    return SiteTrackers({url: hits for url, hits in pages.items() if hits}, frozenset(phi_pages))
