"""Command line: ``python -m scanners scan DOMAIN ...`` scans vendors' domains;
``python -m scanners headers FILE`` reads a message's Received headers."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from scanners import scan
from scanners.findings import Severity
from scanners.https_probe import HTTP_PORT, HTTPS_PORT
from scanners.received_headers import HeaderReport, Hop, NoReceivedHeadersError, Verdict, analyse
from scanners.smtp_probe import SMTP_PORT


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


# --- scan ------------------------------------------------------------------------------------


def format_scan_table(reports: list[scan.DomainReport]) -> str:
    """Per domain: a heading, one aligned row per finding, any errors, then a count."""
    blocks: list[str] = []
    for report in reports:
        lines = [f"{report.domain}  ({report.duration:.1f} s)"]
        rows = [("severity", "id", "target", "title")] + [
            (f.severity.value, f.id, f.target, f.title) for f in report.findings]
        if report.findings:
            widths = [max(len(row[column]) for row in rows) for column in range(3)]
            lines += ["  " + "  ".join([*(cell.ljust(width) for cell, width in
                                          zip(row, widths, strict=False)), row[-1]])
                      for row in rows]
        lines += [f"  error: {error}" for error in report.errors]
        counts = [f"{sum(f.severity is s for f in report.findings)} {s}"
                  for s in reversed(Severity) if any(f.severity is s for f in report.findings)]
        plural = "" if len(report.findings) == 1 else "s"
        lines.append(f"  {len(report.findings)} finding{plural}"
                     + (f" ({', '.join(counts)})" if counts else ""))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_scan_json(reports: list[scan.DomainReport]) -> str:
    """A JSON array with one object per domain."""
    return json.dumps([
        {"domain": report.domain, "findings": [f.as_dict() for f in report.findings],
         "errors": list(report.errors), "duration_seconds": round(report.duration, 3)}
        for report in reports
    ], indent=2)


def _positive(text: str, option: str, kind: Callable[[str], float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise InputError(f"{option} must be a positive number, not {text!r}")
    return value


def _scan(args: argparse.Namespace) -> str:
    concurrency = int(_positive(args.concurrency, "--concurrency", int))
    timeout = _positive(args.timeout, "--timeout", float)
    try:
        domains = scan.normalise_domains(args.domains)
        resolver = scan.parse_resolver(args.resolver) if args.resolver else None
        ca_file = scan.check_ca_file(args.ca_file) if args.ca_file else None
        only = scan.parse_only(args.only) if args.only else tuple(scan.Probe)
    except ValueError as error:
        raise InputError(str(error)) from error

    async def run() -> list[scan.DomainReport]:
        context = scan.make_context(
            resolver=resolver, timeout=timeout, ca_file=ca_file,
            allow_private=args.allow_private, concurrency=concurrency, smtp_port=SMTP_PORT,
            https_port=HTTPS_PORT, http_port=HTTP_PORT)
        return await scan.scan_domains(domains, only=only, context=context)

    with _few_collections():
        reports = asyncio.run(run())
    return format_scan_json(reports) if args.json else format_scan_table(reports)


GC_YOUNG_THRESHOLD = 50_000  # allocations between collections of the youngest generation


@contextmanager
def _few_collections() -> Iterator[None]:
    """Collect cycles less often while a scan runs.

    A scan allocates millions of short-lived objects; with Python's default thresholds the
    cycle collector took about a fifth of the scan's CPU, mostly walking again and again the
    objects the imports made, which live as long as the process anyway (hence the freeze).
    """
    gc.freeze()
    before = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _add_scan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probes = ",".join(scan.Probe)
    parser = commands.add_parser(
        "scan", help="scan vendors' domains: DNS and mail authentication, SMTP on every MX "
                     "host, HTTPS and certificates, response headers, tracking pixels")
    parser.add_argument("domains", nargs="+", metavar="DOMAIN", help="a vendor's domain")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON array, one object per domain")
    parser.add_argument("--resolver", metavar="IP[:PORT]",
                        help="send every DNS query to this server (default: the system's)")
    parser.add_argument("--ca-file", metavar="PEM",
                        help="also trust the CA certificates in this file (test CAs)")
    parser.add_argument("--allow-private", action="store_true",
                        help="connect to private and loopback addresses too (labs only)")
    parser.add_argument("--only", metavar=probes,
                        help=f"run only these probes, comma-separated; known: {probes}")
    parser.add_argument("--concurrency", default=str(scan.DEFAULT_CONCURRENCY), metavar="N",
                        help="domains scanned at once (default %(default)s)")
    parser.add_argument("--timeout", default=str(scan.DEFAULT_TIMEOUT), metavar="SECONDS",
                        help="seconds for each lookup, connection, reply and handshake "
                             "(default %(default)s)")
    parser.set_defaults(run=_scan)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scanners", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_scan(commands)
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
