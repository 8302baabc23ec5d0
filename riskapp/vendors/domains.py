"""Turn whatever a user pastes (a URL, a host with a port, an IDN) into one domain name."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna

MAX_DOMAIN_LENGTH = 253
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SEPARATORS = re.compile(r"[\s,;]+")


class DomainError(ValueError):
    """The text is not a domain name; the message says why, in words for the user."""


def normalise_domain(raw: str) -> str:
    """Return ``raw`` as a lower-case ASCII domain name without scheme, port or path."""
    text = raw.strip()
    if not text:
        raise DomainError("Enter a domain name, such as example.com.")
    if _is_ip_address(text):
        raise DomainError(f"'{raw}' is an IP address; enter the vendor's domain name.")
    host = _host_part(text)
    if _is_ip_address(host):
        raise DomainError(f"'{raw}' is an IP address; enter the vendor's domain name.")
    if host.startswith("*."):
        raise DomainError(f"'{raw}': enter the domain itself, not a wildcard.")
    if host.isascii():
        # idna's messages are technical ("Codepoint U+005F ..."); ours say what to fix.
        _check_labels(raw, host)
    try:
        ascii_name = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise DomainError(f"'{raw}' is not a valid domain name ({error}).") from None
    _check_labels(raw, ascii_name)
    return ascii_name


def normalise_domain_list(raw: str) -> list[str]:
    """Split on commas, semicolons and whitespace; normalise each; drop repeats, keep order."""
    domains: list[str] = []
    for part in _SEPARATORS.split(raw.strip()):
        if part:
            domain = normalise_domain(part)
            if domain not in domains:
                domains.append(domain)
    return domains


def display_domain(ascii_name: str) -> str:
    """Return a stored domain for people to read: its Unicode form, with the ASCII one after."""
    if "xn--" not in ascii_name.lower():  # no punycode label: nothing to decode (and idna is
        return ascii_name                 # slow enough to show on a page of fifty findings)
    try:
        readable = idna.decode(ascii_name)
    except idna.IDNAError:
        return ascii_name
    return ascii_name if readable == ascii_name else f"{readable} ({ascii_name})"


def ascii_search_text(text: str) -> str:
    """Return search text as stored domains spell it: "bücher" finds xn--bcher-kva.example."""
    lowered = text.strip().lower()
    if lowered.isascii():
        return lowered
    try:
        return idna.encode(lowered.strip("."), uts46=True).decode("ascii")
    except idna.IDNAError:
        return lowered


def _host_part(text: str) -> str:
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError as error:
        raise DomainError(f"'{text.lstrip('/')}' is not a valid domain name ({error}).") from None
    return host.rstrip(".").lower()


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _check_labels(raw: str, name: str) -> None:
    labels = name.split(".")
    if len(name) > MAX_DOMAIN_LENGTH:
        raise DomainError(f"'{raw}' is longer than {MAX_DOMAIN_LENGTH} characters.")
    if len(labels) < 2:
        raise DomainError(f"'{raw}' needs a dot and a top-level domain, such as example.com.")
    if labels[-1].isdigit() or all(label.isdigit() for label in labels):
        raise DomainError(f"'{raw}' is an IP address; enter the vendor's domain name.")
    for label in labels:
        if not _LABEL.match(label):
            raise DomainError(
                f"'{raw}' is not a valid domain name: each part between dots must be "
                "letters, digits or hyphens, not start or end with a hyphen."
            )
