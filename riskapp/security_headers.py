"""Response headers and cookie flags that keep browsers from misusing our pages."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers.response import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def served_over_https(app: Flask) -> bool:
    return bool(app.config["SECURE_COOKIES"]) or (has_request_context() and request.is_secure)


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the page came over HTTPS, not only by config."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return served_over_https(app)


def init_security_headers(app: Flask) -> None:
    app.session_interface = HttpsAwareSessionInterface()

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if served_over_https(app):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        # Pages show vendor data and personal details: never keep them in shared caches.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
