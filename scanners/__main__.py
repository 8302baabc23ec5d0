"""Command line: ``python -m scanners headers FILE`` reads a message's Received headers."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from scanners.received_headers import HeaderReport, Hop, NoReceivedHeadersError, Verdict, analyse


class InputError(Exception):
    """The input could not be read or holds nothing to analyse."""


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror or error}") from error


def _tls_text(hop: Hop) -> str:
    if hop.tls is None:
        return ""
    version = hop.tls.version or f"some SSL/TLS version ({hop.tls.recorded_version})"
    parts = [version, hop.tls.cipher or "cipher not recorded"]
    if hop.tls.bits is not None:
        parts.append(f"{hop.tls.bits} bits")
    return ", ".join(parts)


def _verdict_text(hop: Hop) -> str:
    tls = _tls_text(hop)
    texts: dict[Verdict, str] = {
        Verdict.ENCRYPTED: f"encrypted: {tls}",
        Verdict.ENCRYPTED_CLAIMED_BY_PROTOCOL: f"encrypted (claimed by {hop.protocol})",
        Verdict.NOT_RECORDED: "not recorded"
        + (": probably not encrypted" if hop.probably_unencrypted else ""),
        Verdict.INTERNAL: f"internal ({hop.reason})" + (f"; TLS: {tls}" if tls else ""),
    }
    return texts[hop.verdict]


def _endpoint(host: str | None, ip: str | None) -> str:
    if host and ip:
        return f"{host} [{ip}]"
    return host or (f"[{ip}]" if ip else "?")


def format_table(report: HeaderReport) -> str:
    """Render the hops, oldest first, as an aligned text table followed by the summary."""
    header = ("#", "from -> by", "protocol", "verdict")
    rows = [header] + [
        (f"{hop.number}{'*' if hop.claimed else ''}",
         f"{_endpoint(hop.from_host, hop.from_ip)} -> {hop.by_host or '?'}",
         hop.protocol or "-",
         _verdict_text(hop))
        for hop in report.hops
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)),
                        row[-1]]).rstrip() for row in rows]
    if report.claimed_hops:
        lines.append("* claimed: written before the recipient's provider; could be forged")
    lines.append(report.summary)
    return "\n".join(lines)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def format_json(report: HeaderReport) -> str:
    """Render the report as JSON, timestamps in ISO 8601."""
    return json.dumps(dataclasses.asdict(report), default=_json_default, indent=2)


def _headers(args: argparse.Namespace) -> str:
    try:
        report = analyse(_read(args.file), trust=tuple(args.trust))
    except NoReceivedHeadersError as error:
        raise InputError(f"{args.file}: {error}") from error
    return format_json(report) if args.json else format_table(report)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scanners", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    headers = commands.add_parser(
        "headers", help="tell whether a message travelled encrypted, from its Received headers")
    headers.add_argument("file", metavar="FILE", help="a message or its header block; - for stdin")
    headers.add_argument("--json", action="store_true", help="print the report as JSON")
    headers.add_argument(
        "--trust", action="append", default=[], metavar="DOMAIN",
        help="also trust lines written by this domain's servers (e.g. the recipient's "
             "filtering relay); may be repeated")
    headers.set_defaults(run=_headers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return 0 when it ran, 2 when its input could not be used."""
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], str] = args.run
    try:
        print(run(args))
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
