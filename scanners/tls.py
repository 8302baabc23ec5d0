"""TLS pieces the SMTP and HTTPS probes share: client contexts, handshakes and certificates.

Both probes handshake twice or three times with one server: verifying the certificate (as a
browser or an MTA-STS sender would), without verifying it when that fails (to learn what the
server negotiates anyway), and offering only TLS 1.0 and 1.1 (to see whether it still accepts
them). :func:`make_ssl_context` builds the client context for each of those, and
:func:`certificate_problem` sorts a failed verification into the problem a report names.
"""

from __future__ import annotations

import datetime as dt
import functools
import ssl
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID


class TlsMode(StrEnum):
    """What a TLS client context is for."""

    VERIFY = "verify"  # check the chain and the host name, as a browser or MTA-STS would
    NO_VERIFY = "no_verify"  # opportunistic TLS, as most senders do: learn protocol and cipher
    OUTDATED_ONLY = "outdated_only"  # offer TLS 1.0 and 1.1 only


ContextFactory = Callable[[TlsMode], ssl.SSLContext]


def make_ssl_context(mode: TlsMode, *, ca_file: str | None = None) -> ssl.SSLContext:
    """Return a client context for ``mode``; ``ca_file`` adds trust anchors (a test CA)."""
    if mode is TlsMode.VERIFY:
        context = ssl.create_default_context()
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
        return context
    # The defaults create_default_context gives, without the trust store: nothing is verified
    # in these modes, and loading the store costs tens of milliseconds.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if mode is TlsMode.OUTDATED_ONLY:
        # OpenSSL 3 offers TLS 1.0/1.1 only at security level 0, and Python warns that the
        # versions are deprecated: offering them is the point of this test.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


def cached_contexts(ca_file: str | None = None) -> ContextFactory:
    """A factory that builds each mode's context once and shares it afterwards.

    Loading the trust store costs about 15 ms; a scan asks for a context for every handshake
    and page, and one context serves any number of connections.
    """
    return functools.cache(functools.partial(make_ssl_context, ca_file=ca_file))


# OpenSSL reasons that mean this client could not offer the old versions at all.
LOCAL_REFUSALS = frozenset({"NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE"})


def can_offer_outdated() -> bool:
    """Whether this Python's OpenSSL was built with TLS 1.0 or 1.1 at all."""
    return ssl.HAS_TLSv1 or ssl.HAS_TLSv1_1


class OutdatedTls(StrEnum):
    ACCEPTED = "accepted"  # the server completed a handshake offered only TLS 1.0/1.1
    REFUSED = "refused"
    NOT_TESTED = "not tested"  # this OpenSSL cannot offer them, or the server failed earlier


@dataclass(frozen=True)
class Handshake:
    """A completed TLS handshake: ``protocol`` as "TLSv1.3", ``cipher`` as OpenSSL names it."""

    protocol: str
    cipher: str
    bits: int | None = None

    def describe(self) -> str:
        bits = f", {self.bits}-bit" if self.bits else ""
        return f"{self.protocol}, cipher {self.cipher}{bits}"


def handshake_of(tls: ssl.SSLObject | ssl.SSLSocket) -> Handshake:
    """What the finished handshake on ``tls`` negotiated."""
    name, protocol, bits = tls.cipher() or ("unknown", "unknown", None)
    return Handshake(protocol=tls.version() or protocol, cipher=name, bits=bits)


def describe_failure(exc: BaseException) -> str:
    """A failed network step in a few words: "timed out", the certificate's complaint, ..."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    return str(exc) or type(exc).__name__


# --- certificates ------------------------------------------------------------------------------


class CertProblem(StrEnum):
    """Why a certificate failed verification, as far as a report cares."""

    EXPIRED = "expired"
    HOSTNAME_MISMATCH = "hostname_mismatch"
    UNTRUSTED = "untrusted"  # self-signed, unknown issuer, incomplete chain, not yet valid...


# X509_V_ERR_* codes from OpenSSL's x509_vfy.h; any other failure counts as untrusted.
_X509_CERT_HAS_EXPIRED = 10
_X509_HOSTNAME_MISMATCH = 62


def certificate_problem(exc: ssl.SSLCertVerificationError) -> CertProblem:
    if exc.verify_code == _X509_CERT_HAS_EXPIRED:
        return CertProblem.EXPIRED
    if exc.verify_code == _X509_HOSTNAME_MISMATCH:
        return CertProblem.HOSTNAME_MISMATCH
    return CertProblem.UNTRUSTED


@dataclass(frozen=True)
class Certificate:
    """The parts of a server's leaf certificate a report quotes."""

    subject: str
    issuer: str
    names: tuple[str, ...]  # DNS names in subjectAltName, else the subject's common name
    not_before: dt.datetime
    not_after: dt.datetime

    def describe(self) -> str:
        names = ", ".join(self.names) or "no host names"
        return (f"certificate for {names}, issued by {self.issuer}, valid "
                f"{self.not_before:%Y-%m-%d} to {self.not_after:%Y-%m-%d %H:%M} UTC")


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def read_certificate(der: bytes | None) -> Certificate | None:
    """Parse the DER leaf certificate a handshake returned; ``None`` when there is none."""
    if not der:
        return None
    return _parse_certificate(der)


# A scan meets the same certificate on every handshake with a host, and a hosting company's
# on many vendors' domains; parsing one costs about a millisecond.
@functools.lru_cache(maxsize=256)
def _parse_certificate(der: bytes) -> Certificate | None:
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = tuple(alt.value.get_values_for_type(x509.DNSName))
    except (x509.ExtensionNotFound, ValueError):
        names = ()
    subject = _common_name(cert.subject)
    return Certificate(subject=subject, issuer=_common_name(cert.issuer),
                       names=names or ((subject,) if subject else ()),
                       not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc)
