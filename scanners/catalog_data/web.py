"""Catalog entries for the HTTPS probe: reachability, TLS, certificates, headers, cookies."""

from __future__ import annotations

from scanners.findings import CatalogEntry, Severity

WEB_ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "web.https.unreachable", "Website does not answer over HTTPS", Severity.MEDIUM,
        "Serve the site over HTTPS on port 443 with a valid certificate.",
        "If patients or staff reach the vendor's site only over plain HTTP, anything they type "
        "there, logins and PHI included, travels unencrypted.",
    ),
    CatalogEntry(
        "web.http.no_redirect", "Plain HTTP does not redirect to HTTPS", Severity.MEDIUM,
        "Redirect every http:// request to the same https:// URL (301 or 308).",
        "Visitors who type the address or follow an old link stay on an unencrypted page, "
        "where logins and form entries can be read or altered on the way.",
    ),
    CatalogEntry(
        "web.tls.protocol_outdated", "Website accepts TLS 1.0 or 1.1", Severity.MEDIUM,
        "Disable TLS 1.0 and 1.1 on the web server; allow TLS 1.2 and 1.3 only.",
        "TLS 1.0 and 1.1 are retired (RFC 8996) and weaker; accepting them suggests the server "
        "is not maintained to the standard expected for protecting PHI in transit.",
    ),
    CatalogEntry(
        "web.cert.expired", "Website certificate has expired", Severity.HIGH,
        "Renew the certificate now and automate renewal (e.g. ACME).",
        "Browsers warn visitors away, and users who click through cannot tell the real site "
        "from an impostor capturing their logins and PHI.",
    ),
    CatalogEntry(
        "web.cert.expiring_soon", "Website certificate expires within 30 days", Severity.LOW,
        "Renew the certificate before it expires and automate renewal.",
        "Once it expires the site breaks for patients and staff, or trains them to click "
        "through security warnings.",
    ),
    CatalogEntry(
        "web.cert.untrusted", "Website certificate is not trusted", Severity.HIGH,
        "Use a certificate from a publicly trusted authority and serve the full chain.",
        "Browsers cannot confirm they reached the vendor, so traffic carrying logins and PHI "
        "could be intercepted by anyone who presents a certificate of their own.",
    ),
    CatalogEntry(
        "web.cert.hostname_mismatch", "Website certificate is for another name", Severity.HIGH,
        "Install a certificate that covers this host name (including www. if used).",
        "The certificate does not prove this site is the vendor's, so browsers warn and "
        "connections carrying PHI cannot be trusted.",
    ),
    CatalogEntry(
        "web.hsts.missing", "No HSTS header", Severity.MEDIUM,
        "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on HTTPS "
        "responses.",
        "Without HSTS a network attacker can downgrade a visitor to plain HTTP before the "
        "redirect and read what they type, logins and PHI included.",
    ),
    CatalogEntry(
        "web.hsts.short_max_age", "HSTS lasts less than a year", Severity.LOW,
        "Raise the HSTS max-age to at least 31536000 seconds (one year).",
        "Browsers forget the HTTPS-only rule soon, leaving returning visitors open to the "
        "downgrade HSTS is meant to stop.",
    ),
    CatalogEntry(
        "web.csp.missing", "No Content Security Policy", Severity.LOW,
        "Send a Content-Security-Policy that limits scripts, frames and connections to the "
        "vendor's own origins and the services it really uses.",
        "Without CSP an injected script can run in the page and send what patients and staff "
        "type, PHI included, to any site.",
    ),
    CatalogEntry(
        "web.headers.xcto_missing", "No X-Content-Type-Options header", Severity.LOW,
        "Send X-Content-Type-Options: nosniff.",
        "Browsers may treat uploaded or served files as scripts, which opens a way to run "
        "attacker code in pages that show PHI.",
    ),
    CatalogEntry(
        "web.headers.xfo_missing", "Pages can be framed by other sites", Severity.LOW,
        "Send Content-Security-Policy: frame-ancestors 'self' (or X-Frame-Options: DENY).",
        "Another site can embed the vendor's pages invisibly and trick users into clicking "
        "or typing into them (clickjacking), exposing accounts and PHI.",
    ),
    CatalogEntry(
        "web.headers.referrer_policy_missing", "No Referrer-Policy header", Severity.LOW,
        "Send Referrer-Policy: strict-origin-when-cross-origin or stricter (no-referrer).",
        "Full page addresses can be sent to other sites a page loads or links to; addresses "
        "that carry record numbers, searches or appointment details leak PHI that way.",
    ),
    CatalogEntry(
        "web.cookies.insecure", "Cookie set without Secure, HttpOnly or SameSite",
        Severity.MEDIUM,
        "Mark session cookies Secure, HttpOnly and SameSite=Lax (or Strict).",
        "A cookie without these flags can be sent over plain HTTP, read by injected scripts "
        "or sent by other sites, which lets an attacker take over a session that sees PHI.",
    ),
    CatalogEntry(
        "web.server.version_disclosed", "Server software version disclosed", Severity.INFO,
        "Remove version numbers from the Server and X-Powered-By headers.",
        "The version tells attackers which known flaws to try; on its own it exposes no PHI, "
        "but it hints at how closely the server is patched.",
    ),
)
