"""Split Received header values into their clauses: from, by, with, and the date.

Only syntax lives here (RFC 5321 section 4.4 as servers actually write it, comments nested);
what a hop means is decided in ``scanners.received_headers``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

CLAUSE_KEYWORDS: frozenset[str] = frozenset({"from", "by", "via", "with", "id", "for"})


@dataclass(frozen=True)
class _Token:
    text: str
    is_comment: bool


@dataclass(frozen=True)
class ParsedReceived:
    """One Received value's parts; ``from_rdns`` is the receiver's reverse-DNS name."""

    from_host: str | None
    from_rdns: str | None
    from_ip: str | None
    by_host: str | None
    by_comments: tuple[str, ...]
    protocol: str | None
    timestamp: datetime | None
    text: str


def received_values(raw: str) -> list[str]:
    """Return the unfolded values of every Received header in a header block, in file order."""
    header_block = re.split(r"\r?\n[ \t]*\r?\n", raw.lstrip("\r\n"), maxsplit=1)[0]
    unfolded = re.sub(r"\r?\n[ \t]+", " ", header_block)
    values = []
    for line in unfolded.splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() == "received":
            values.append(" ".join(value.split()))
    return values


_ATOM = re.compile(r"[^\s(]+")


def _tokens(text: str) -> Iterator[_Token]:
    """Split a Received value into atoms and (possibly nested) comments."""
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "(":
            depth, start = 0, i
            while i < len(text):
                if text[i] == "\\":
                    i += 1
                elif text[i] == "(":
                    depth += 1
                elif text[i] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            yield _Token(text[start + 1:i].strip(), is_comment=True)
            i += 1
        else:
            closer = {"[": "]", "<": ">"}.get(char)
            end = text.find(closer, i) + 1 if closer else 0
            if end <= 0:
                match = _ATOM.match(text, i)
                end = match.end() if match else i + 1
            yield _Token(text[i:end], is_comment=False)
            i = end


_ADDRESS_COMMENT = re.compile(r"^(?:(?P<name>[^\s\[\]]+)\s+)?\[(?:IPv6:)?(?P<ip>[^\]]+)\]", re.I)
_HELO_COMMENT = re.compile(r"\b(?:EHLO|HELO)[\s=](?P<name>[^\s)]+)", re.I)


def parse_ip(text: str) -> str | None:
    """Return an IP address in canonical form, or None when the text is not one."""
    try:
        return str(ipaddress.ip_address(text.removeprefix("IPv6:").strip("[]")))
    except ValueError:
        return None


def _parse_from(tokens: list[_Token]) -> tuple[str | None, str | None, str | None]:
    """Return the sender's announced name, reverse-DNS name and IP from a ``from`` clause."""
    name = rdns = ip = helo = None
    for token in tokens:
        if not token.is_comment:
            if token.text.startswith("["):
                ip = ip or parse_ip(token.text)
            elif name is None:
                name = token.text
            continue
        if address := _ADDRESS_COMMENT.match(token.text):
            rdns = rdns or address["name"]
            ip = ip or parse_ip(address["ip"])
        elif (bare_ip := parse_ip(token.text)) is not None:
            ip = ip or bare_ip
        if helo_match := _HELO_COMMENT.search(token.text):
            helo = helo or helo_match["name"]
    if name and name.lower() == "unknown":  # Proofpoint: "from unknown [ip] (EHLO name)"
        name, rdns = helo, None
    host = name or helo or rdns
    if host and "@" in host:  # sendmail submission: "(from user@localhost)"
        host = host.rsplit("@", 1)[1]
    return host, (rdns if rdns and rdns.lower() != "unknown" else None), ip


def parse_received(value: str) -> ParsedReceived:
    """Split one unfolded Received value into its clauses and date."""
    clauses_text, semicolon, date_text = value.rpartition(";")
    if not semicolon:
        clauses_text, date_text = value, ""
    clauses: dict[str, list[_Token]] = {}
    current: list[_Token] = []
    for token in _tokens(clauses_text):
        keyword = token.text.lower()
        if not token.is_comment and keyword in CLAUSE_KEYWORDS and keyword not in clauses:
            current = clauses[keyword] = []
        elif not clauses and token.is_comment and keyword.startswith("from "):
            clauses["from"] = [_Token(token.text[5:], is_comment=False)]
        else:
            current.append(token)
    from_host, from_rdns, from_ip = _parse_from(clauses.get("from", []))
    by_tokens = clauses.get("by", [])
    by_atoms = [t.text for t in by_tokens if not t.is_comment]
    protocol_words = []
    for token in clauses.get("with", []):
        if token.is_comment:
            break
        protocol_words.append(token.text)
    return ParsedReceived(
        from_host=from_host,
        from_rdns=from_rdns,
        from_ip=from_ip,
        by_host=by_atoms[0] if by_atoms else None,
        by_comments=tuple(t.text for t in by_tokens if t.is_comment),
        protocol=" ".join(protocol_words) or None,
        timestamp=_parse_date(date_text),
        text=value,
    )


def _parse_date(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text.strip()) if text.strip() else None
    except (TypeError, ValueError, IndexError):
        return None


