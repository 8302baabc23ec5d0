"""The tracking probe's legwork: the home page and up to 10 same-site pages linked from it.

:func:`~scanners.tracking.rank_links` picks the links (those that look like sign-in, portal,
appointment or form pages first); every fetch goes through the scan's
:class:`~scanners.web_fetch.Fetcher`, so crawled links and their redirects meet the same SSRF
guard and byte cap as the home page.
"""

from __future__ import annotations

import asyncio

from scanners.tracking import TrackerHit, detect_trackers, rank_links
from scanners.web_fetch import Fetcher, Response


def _readable(page: Response) -> bool:
    return page.status < 400 and page.is_html


async def trackers_on_site(home: Response, fetcher: Fetcher) -> dict[str, list[TrackerHit]]:
    """Trackers by page URL: the home page and the pages its best links lead to.

    Links are fetched concurrently; one that fails, errs or is not HTML is skipped. Pages
    without trackers are left out.
    """
    html = home.text()
    pages = {home.url: detect_trackers(home.url, html)}
    fetches = await asyncio.gather(*(fetcher.fetch(link) for link in rank_links(home.url, html)))
    for fetch in fetches:
        page = fetch.final
        if page is not None and _readable(page) and page.url not in pages:
            pages[page.url] = detect_trackers(page.url, page.text())
    return {url: hits for url, hits in pages.items() if hits}
