"""Server-side TLS for the lab's servers: a context from a trustme certificate."""

from __future__ import annotations

import ssl
import warnings

import trustme


def server_context(
    cert: trustme.LeafCert, *, outdated: bool = False, newest: ssl.TLSVersion | None = None
) -> ssl.SSLContext:
    """A server context presenting ``cert``; ``outdated`` also accepts TLS 1.0 and 1.1, and
    ``newest`` caps the versions it speaks."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    if outdated:
        # OpenSSL 3 refuses TLS 1.0/1.1 unless the security level is 0; Python warns that the
        # versions are deprecated, which is the very point of this server.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            if newest is not None:
                context.maximum_version = newest
    return context
