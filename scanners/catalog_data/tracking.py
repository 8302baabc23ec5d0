"""Catalog entries for tracking technologies found on the vendor's pages.

The default severity is the level for a marketing page. HHS OCR's bulletin on online
tracking technologies (2022, revised 2024) treats identifiers sent from pages where patients
sign in, book or fill forms as PHI disclosures; in June 2024 *American Hospital Association v.
Becerra* vacated the part about unauthenticated pages. So the probe raises the severity when a
tracker sits on a login, portal, patient, appointment or form page, and every finding names
the pages it concerns.
"""

from __future__ import annotations

from scanners.findings import CatalogEntry, Severity

_PAGES = (
    "On a marketing page this is low risk since the June 2024 ruling in AHA v. Becerra "
    "vacated the HHS OCR tracking bulletin's part on unauthenticated pages; on login, "
    "patient-portal, appointment or form pages the bulletin still treats it as a "
    "disclosure of PHI that needs a business associate agreement or patient authorization."
)
_REMOVE = (
    "Remove it from login, portal, appointment and form pages, or sign a business associate "
    "agreement with the provider; prefer a HIPAA-eligible, self-hosted alternative."
)


def _tracker(finding_id: str, title: str, sends: str, severity: Severity) -> CatalogEntry:
    """An entry whose reason is what the tracker sends, then why the pages matter."""
    return CatalogEntry(
        finding_id, f"{title} on the website", severity, _REMOVE, f"{sends} {_PAGES}"
    )


TRACKING_ENTRIES: tuple[CatalogEntry, ...] = (
    _tracker(
        "tracking.meta_pixel", "Meta (Facebook) Pixel", "The pixel sends the visitor's IP "
        "address, the page address and events to Meta, which can link them to a Facebook "
        "profile for advertising.", Severity.LOW,
    ),
    _tracker(
        "tracking.google_analytics", "Google Analytics",
        "Google Analytics sends the visitor's IP address, page addresses and events to "
        "Google, which does not sign business associate agreements for it.", Severity.LOW,
    ),
    _tracker(
        "tracking.google_tag_manager", "Google Tag Manager",
        "Tag Manager loads other trackers chosen outside the site's code, so what it sends, "
        "and to whom, can change without a code review.", Severity.LOW,
    ),
    _tracker(
        "tracking.google_ads", "Google Ads conversion tracking",
        "Google Ads tags send the visitor's IP address, page addresses and conversions to "
        "Google for ad targeting and measurement.", Severity.LOW,
    ),
    _tracker(
        "tracking.tiktok_pixel", "TikTok Pixel",
        "The pixel sends the visitor's IP address, page addresses and events to TikTok for "
        "advertising.", Severity.LOW,
    ),
    _tracker(
        "tracking.linkedin_insight", "LinkedIn Insight Tag",
        "The tag sends the visitor's IP address and page addresses to LinkedIn, which can "
        "link them to a LinkedIn member.", Severity.LOW,
    ),
    _tracker(
        "tracking.session_replay", "Session replay script",
        "Session replay (Hotjar, Microsoft Clarity, FullStory, LogRocket, Mouseflow...) "
        "records clicks, scrolling and often what is typed into forms, and sends it to the "
        "replay provider.", Severity.MEDIUM,
    ),
    _tracker(
        "tracking.twitter_pixel", "X (Twitter) Pixel",
        "The pixel sends the visitor's IP address, page addresses and events to X for "
        "advertising.", Severity.LOW,
    ),
    _tracker(
        "tracking.pinterest_tag", "Pinterest Tag",
        "The tag sends the visitor's IP address, page addresses and events to Pinterest for "
        "advertising.", Severity.LOW,
    ),
    _tracker(
        "tracking.snap_pixel", "Snap Pixel",
        "The pixel sends the visitor's IP address, page addresses and events to Snap for "
        "advertising.", Severity.LOW,
    ),
    _tracker(
        "tracking.bing_uet", "Microsoft Advertising (Bing UET) tag",
        "The UET tag sends the visitor's IP address, page addresses and events to Microsoft "
        "for advertising.", Severity.LOW,
    ),
)
