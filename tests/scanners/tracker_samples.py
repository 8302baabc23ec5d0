"""One sample of every tracking technology the signatures know: the page snippet, how it shows
and the account id it reports to. Shared by the analysis tests and the crawl tests."""

from __future__ import annotations

from scanners.tracking import Seen

META_INLINE = """<script>
!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){};t=b.createElement(e);
t.src=v;s.parentNode.insertBefore(t,s)}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '1234567890123');
fbq('track', 'PageView');
</script>
<noscript><img height="1" width="1" style="display:none"
src="https://www.facebook.com/tr?id=1234567890123&amp;ev=PageView&amp;noscript=1"/></noscript>"""

CASES: list[tuple[str, str, str, Seen, str | None]] = [
    ("tracking.meta_pixel", "Meta Pixel", META_INLINE, Seen.INLINE_SNIPPET, "1234567890123"),
    ("tracking.meta_pixel", "Meta Pixel", META_INLINE, Seen.NOSCRIPT_IMG, "1234567890123"),
    (
        "tracking.google_analytics",
        "Google Analytics",
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-AB12CD34EF"></script>'
        "<script>gtag('config', 'G-AB12CD34EF');</script>",
        Seen.SCRIPT_SRC,
        "G-AB12CD34EF",
    ),
    (
        "tracking.google_analytics",
        "Google Analytics",
        "<script>ga('create', 'UA-12345-6', 'auto');</script>",
        Seen.INLINE_SNIPPET,
        "UA-12345-6",
    ),
    (
        "tracking.google_tag_manager",
        "Google Tag Manager",
        "<script>(function(w,d,s,l,i){w[l]=w[l]||[];j.src="
        "'https://www.googletagmanager.com/gtm.js?id='+i+dl;})"
        "(window,document,'script','dataLayer','GTM-ABC123');</script>",
        Seen.INLINE_SNIPPET,
        "GTM-ABC123",
    ),
    (
        "tracking.google_tag_manager",
        "Google Tag Manager",
        '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-ABC123"'
        ' height="0" width="0"></iframe></noscript>',
        Seen.IFRAME,
        "GTM-ABC123",
    ),
    (
        "tracking.google_ads",
        "Google Ads",
        "<script>gtag('config', 'AW-987654321');</script>",
        Seen.INLINE_SNIPPET,
        "AW-987654321",
    ),
    (
        "tracking.tiktok_pixel",
        "TikTok Pixel",
        "<script>!function (w, d, t) {ttq.load('C4ABCDEF1234567890');ttq.page();}"
        "(window, document, 'ttq');</script>",
        Seen.INLINE_SNIPPET,
        "C4ABCDEF1234567890",
    ),
    (
        "tracking.linkedin_insight",
        "LinkedIn Insight Tag",
        '<script>_linkedin_partner_id = "4567890";</script>',
        Seen.INLINE_SNIPPET,
        "4567890",
    ),
    (
        "tracking.linkedin_insight",
        "LinkedIn Insight Tag",
        '<noscript><img src="https://px.ads.linkedin.com/collect/?pid=4567890&fmt=gif"/>'
        "</noscript>",
        Seen.NOSCRIPT_IMG,
        "4567890",
    ),
    (
        "tracking.session_replay",
        "Hotjar",
        "<script>(function(h,o,t,j,a,r){h._hjSettings={hjid:3141592,hjsv:6};"
        "r.src=t+h._hjSettings.hjid+j;})(window,document,"
        "'https://static.hotjar.com/c/hotjar-','.js?sv=');</script>",
        Seen.INLINE_SNIPPET,
        "3141592",
    ),
    (
        "tracking.session_replay",
        "Microsoft Clarity",
        '<script async src="https://www.clarity.ms/tag/k2abcd9xyz"></script>',
        Seen.SCRIPT_SRC,
        "k2abcd9xyz",
    ),
    (
        "tracking.session_replay",
        "FullStory",
        "<script>window['_fs_host'] = 'fullstory.com'; window['_fs_org'] = 'o-1ABC2D-na1';"
        "</script>",
        Seen.INLINE_SNIPPET,
        "o-1ABC2D-na1",
    ),
    (
        "tracking.session_replay",
        "LogRocket",
        '<script src="https://cdn.logrocket.io/LogRocket.min.js"></script>'
        "<script>window.LogRocket && window.LogRocket.init('abc123/vendor-portal');</script>",
        Seen.INLINE_SNIPPET,
        "abc123/vendor-portal",
    ),
    (
        "tracking.session_replay",
        "Mouseflow",
        '<script src="//cdn.mouseflow.com/projects/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7.js">'
        "</script>",
        Seen.SCRIPT_SRC,
        "0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7",
    ),
    (
        "tracking.twitter_pixel",
        "X (Twitter) Pixel",
        "<script>s.src='https://static.ads-twitter.com/uwt.js';twq('init','o1a2b');</script>",
        Seen.INLINE_SNIPPET,
        "o1a2b",
    ),
    (
        "tracking.pinterest_tag",
        "Pinterest Tag",
        "<script>pintrk('load', '2612345678901', {em: '<user_email_address>'});</script>",
        Seen.INLINE_SNIPPET,
        "2612345678901",
    ),
    (
        "tracking.snap_pixel",
        "Snap Pixel",
        "<script>snaptr('init', 'aa11bb22-cc33-dd44-ee55-ff6677889900', {});</script>",
        Seen.INLINE_SNIPPET,
        "aa11bb22-cc33-dd44-ee55-ff6677889900",
    ),
    (
        "tracking.bing_uet",
        "Microsoft Advertising UET",
        '<script>(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:"343115785",'
        ' enableAutoSpaLoading: true};o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")}})'
        '(window,document,"script","//bat.bing.com/bat.js","uetq");</script>',
        Seen.INLINE_SNIPPET,
        "343115785",
    ),
]
