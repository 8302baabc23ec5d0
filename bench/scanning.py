"""Scanning: 200 vendor domains on loopback, scanned by us and by two peer tools.

The lab is the scanner tests' lab, grown to ``DOMAINS`` domains and moved to well-known ports
so that tools we cannot aim at other ports reach it: an authoritative DNS server on
127.0.53.53:53, one SMTP server per :class:`SmtpKind` on 127.0.25.N:25 and one HTTPS/HTTP
server per :class:`TlsKind` on 127.0.44.N:443/80. Each domain is drawn from a fixed seed:
an SPF record (``-all``, ``~all``, ``+all``, ``?all``, too many lookups, none), a DMARC policy,
a mail host of some kind (or none, or one that refuses) and a website of some kind, and
:meth:`LabDomain.expected` says what a correct scanner reports for it.

Our scanner runs as ``python -m scanners scan --json`` at each of ``CONCURRENCIES``, the top
one ``ROUNDS`` times, interleaved with as many passes of checkdmarc (its SPF, DMARC, MX and
STARTTLS checks, one domain after another). sslyze asks whether the HTTPS host of each of the
first ``SSLYZE_DOMAINS`` domains accepts TLS 1.0 or 1.1: each version it is given costs it a
full cipher-suite enumeration, so it gets only the two the comparison needs. The peers run
from their own virtualenvs under ``.venv-peers/`` (their cryptography pins exclude each
other), through :data:`_PEER_PRELUDE`: it lets their sockets reach 127.0.0.0/8 only and
answers checkdmarc's system-resolver lookups (smtplib's) from the lab's DNS server, as a
machine whose resolver is the lab's would. A tool that cannot be installed or run gets a
row saying why, never a number.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP

from bench.results import Measure, machine, markdown
from tests.scanners.lab.certificates import server_context
from tests.scanners.lab.dns_server import DnsLab, RecordValue
from tests.scanners.lab.loop_thread import LoopThread
from tests.scanners.lab.smtp_server import SmtpKind
from tests.scanners.lab.web_server import TlsKind, WebLab
from tests.scanners.lab.web_server import _contexts as web_contexts

ROOT = Path(__file__).resolve().parents[1]
PEERS_FILE = Path(__file__).with_name("peers.txt")
PEERS_HOME = ROOT / ".venv-peers"
PART = "scanning"
DOMAINS = 200
CONCURRENCIES = (1, 8, 64)
SEED = 2024
SSLYZE_DOMAINS = 100  # sslyze scans the HTTPS hosts of the first this many of them
ROUNDS = 2  # passes of ours at the top concurrency and of checkdmarc
TOOL_SECONDS = 600  # a peer that takes longer is stopped and reported as such

DNS_ADDRESS = "127.0.53.53"
SMTP_NET = "127.0.25"
WEB_NET = "127.0.44"


@dataclass(frozen=True)
class Ports:
    dns: int
    smtp: int
    https: int
    http: int


WELL_KNOWN = Ports(dns=53, smtp=25, https=443, http=80)
EPHEMERAL = Ports(dns=0, smtp=0, https=0, http=0)  # the test's: free ports, any user

# --- the plan: which domain is what, and what a correct scanner says of it -------------------

_TOO_MANY = 11  # includes: one more than the ten DNS-querying terms SPF allows
SPF = {  # variant -> (record, verdict)
    "hardfail": ("v=spf1 mx -all", "ok"),
    "softfail": ("v=spf1 mx ~all", "ok"),
    "pass_all": ("v=spf1 mx +all", "permissive"),
    "neutral_all": ("v=spf1 mx ?all", "permissive"),
    "too_many_lookups": ("v=spf1 " + " ".join(
        f"include:_spf{n}.bulk.test" for n in range(_TOO_MANY)) + " -all", "too_many_lookups"),
    "missing": (None, "missing"),
}
DMARC = {"reject": "enforced", "quarantine": "enforced", "none": "none", "missing": "missing"}
NO_MX, REFUSED, NO_SITE = "no_mx", "refused", "no_site"
MAIL: tuple[str, ...] = (*SmtpKind, NO_MX, REFUSED)
WEB: tuple[str, ...] = (*TlsKind, NO_SITE, REFUSED)
_WEIGHTS = {  # the mix after every variant has appeared once: mostly well-kept vendors
    "spf": (55, 15, 8, 5, 5, 12),
    "dmarc": (40, 15, 25, 20),
    "mail": (45, 10, 6, 6, 6, 12, 8, 7),
    "web": (45, 7, 7, 7, 7, 12, 7, 4, 4),
}
_CERT_INVALID = {SmtpKind.WRONG_NAME, SmtpKind.UNTRUSTED, SmtpKind.EXPIRED}
_WEB_IDS = {
    TlsKind.GOOD: (),
    TlsKind.WRONG_NAME: ("web.cert.hostname_mismatch",),
    TlsKind.UNTRUSTED: ("web.cert.untrusted",),
    TlsKind.EXPIRED: ("web.cert.expired",),
    TlsKind.EXPIRING: ("web.cert.expiring_soon",),
    TlsKind.OUTDATED_TLS: ("web.tls.protocol_outdated",),
    TlsKind.TLS1_ONLY: ("web.https.unreachable", "web.tls.protocol_outdated"),
    NO_SITE: ("web.https.unreachable",),
    REFUSED: ("web.https.unreachable",),
}
_WEB_COMPARED = {"web.https.unreachable", "web.http.no_redirect", "web.tls.protocol_outdated",
                 "web.cert.expired", "web.cert.expiring_soon", "web.cert.untrusted",
                 "web.cert.hostname_mismatch"}


@dataclass(frozen=True)
class Verdicts:
    """What one tool says of one domain, check by check; ``None``: the tool does not say.

    :param starttls: ``ok``, ``no_starttls``, ``bad_cert`` (offered, but a verifying sender
        refuses the certificate), ``unreachable`` or ``n/a`` (no MX).
    :param smtp_outdated, web_outdated: whether the MX host / the domain's own HTTPS host
        accepts TLS 1.0 or 1.1 (``yes``, ``no``, ``n/a`` when there is no TLS to judge).
    :param web: the web findings (``web.https``, ``.http``, ``.tls``, ``.cert``), sorted.
    """

    spf: str | None = None
    dmarc: str | None = None
    mx: str | None = None
    starttls: str | None = None
    smtp_outdated: str | None = None
    web_outdated: str | None = None
    web: str | None = None


CHECKDMARC_CHECKS = ("spf", "dmarc", "mx", "starttls")
SSLYZE_CHECKS = ("web_outdated",)


@dataclass(frozen=True)
class LabDomain:
    name: str
    spf: str
    dmarc: str
    mail: str
    web: str

    @property
    def mx_host(self) -> str:
        return f"mx.{self.name}"

    def expected(self) -> Verdicts:
        if self.mail == NO_MX:
            starttls = "n/a"
        elif self.mail == REFUSED:
            starttls = "unreachable"
        elif self.mail == SmtpKind.PLAIN:
            starttls = "no_starttls"
        else:
            starttls = "bad_cert" if self.mail in _CERT_INVALID else "ok"
        smtp_outdated = ("n/a" if starttls not in ("ok", "bad_cert")
                         else _yes(self.mail == SmtpKind.OUTDATED_TLS))
        web_outdated = ("n/a" if self.web in (NO_SITE, REFUSED)
                        else _yes(self.web in (TlsKind.OUTDATED_TLS, TlsKind.TLS1_ONLY)))
        return Verdicts(spf=SPF[self.spf][1], dmarc=DMARC[self.dmarc],
                        mx="missing" if self.mail == NO_MX else "present", starttls=starttls,
                        smtp_outdated=smtp_outdated, web_outdated=web_outdated,
                        web=_id_list(_WEB_IDS[self.web]))


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _id_list(ids: Iterable[str]) -> str:
    return ",".join(sorted(set(ids))) or "-"


def lab_plan(count: int = DOMAINS, seed: int = SEED) -> list[LabDomain]:
    """``count`` domains: the first ones show every variant of every dimension, the rest are
    drawn from a weighted mix with a fixed seed."""
    choices = {"spf": tuple(SPF), "dmarc": tuple(DMARC), "mail": MAIL, "web": WEB}
    rng = random.Random(seed)
    covering = max(len(options) for options in choices.values())
    domains = []
    for i in range(count):
        picked = {
            key: (options[i % len(options)] if i < covering
                  else rng.choices(options, weights=_WEIGHTS[key])[0])
            for key, options in choices.items()}
        domains.append(LabDomain(name=f"vendor{i:03d}.test", **picked))
    return domains


def lab_zones(domains: Sequence[LabDomain], *, smtp: dict[str, str], web: dict[str, str]
              ) -> dict[str, list[tuple[str, RecordValue]]]:
    """The DNS world of ``domains``, given the address of each mail and web kind."""
    zones: dict[str, list[tuple[str, RecordValue]]] = {
        f"_spf{n}.bulk.test": [("TXT", f"v=spf1 ip4:192.0.2.{n + 1} -all")]
        for n in range(_TOO_MANY)}
    for d in domains:
        # Every vendor's apex has a record, as a real one has NS and SOA, so none is NXDOMAIN.
        apex: list[tuple[str, RecordValue]] = [("TXT", f"bench-lab-verification={d.name}")]
        record = SPF[d.spf][0]
        if record is not None:
            # One TXT string holds at most 255 bytes; receivers join the strings of a record.
            apex.append(("TXT", tuple(record[i:i + 255] for i in range(0, len(record), 255))))
        if d.mail != NO_MX:
            apex.append(("MX", f"10 {d.mx_host}"))
            zones[d.mx_host] = [("A", smtp[d.mail])]
        if d.web != NO_SITE:
            apex.append(("A", web[d.web]))
            zones[f"www.{d.name}"] = [("A", web[d.web])]
        if d.dmarc != "missing":
            zones[f"_dmarc.{d.name}"] = [
                ("TXT", f"v=DMARC1; p={d.dmarc}; rua=mailto:dmarc@{d.name}")]
        zones[d.name] = apex
    return zones


# --- the servers -----------------------------------------------------------------------------


_PROTOCOL = {socket.SOCK_STREAM: socket.IPPROTO_TCP, socket.SOCK_DGRAM: socket.IPPROTO_UDP}


def _bind_all(addresses: Sequence[str], port: int, kind: int = socket.SOCK_STREAM,
              attempts: int = 20) -> list[socket.socket]:
    """One socket per address, all on ``port`` (or on one free port when it is 0)."""
    for _ in range(attempts):
        sockets: list[socket.socket] = []
        try:
            for address in addresses:
                # The protocol spelled out: asyncio turns Nagle off only on sockets whose
                # proto says TCP, and with it on every multi-line reply waits for an ACK.
                sock = socket.socket(socket.AF_INET, kind, _PROTOCOL[kind])
                sockets.append(sock)
                if kind == socket.SOCK_STREAM:  # a rerun need not wait out TIME_WAIT
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, port or (sockets[0].getsockname()[1] if sockets[1:] else 0)))
            return sockets
        except OSError:
            for sock in sockets:
                sock.close()
            if port:
                raise
    raise OSError(f"no port free on all of {', '.join(addresses)}")


@dataclass
class _DnsServer(DnsLab):
    """The DNS lab on a chosen address and port (53 for tools that cannot be told a port)."""

    bind: tuple[str, int] = (DNS_ADDRESS, 0)

    @property
    def address(self) -> tuple[str, int]:
        if self._udp is None:
            raise RuntimeError("the DNS lab is not running")
        return self.bind[0], self._udp.getsockname()[1]

    def start(self) -> _DnsServer:
        host, port = self.bind
        for _ in range(20):
            (udp,) = _bind_all([host], port, socket.SOCK_DGRAM)
            try:
                (tcp,) = _bind_all([host], udp.getsockname()[1])
                break
            except OSError:
                udp.close()
                if port:
                    raise
        else:
            raise OSError(f"no port free on {host} for both UDP and TCP")
        tcp.listen(64)
        # One thread answers, sharing the interpreter with the other servers: at concurrency
        # 64 a burst of queries overflowed the default buffer, and a dropped query costs the
        # scanner the whole lookup (it asks once per timeout). A real resolver keeps up.
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self._udp, self._tcp = udp, tcp
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(udp, tcp), name="dns-bench", daemon=True)
        self._thread.start()
        return self


class _Handler:
    """Accepts the envelope commands; no scanner here gets as far as DATA."""


class _SmtpServers(LoopThread):
    """One SMTP server per :class:`SmtpKind`, each on its own address and the same port;
    certificates name every MX host of the plan."""

    def __init__(self, mx_names: Sequence[str], port: int) -> None:
        super().__init__()
        self.ca = trustme.CA()
        self.addresses = {kind: f"{SMTP_NET}.{i + 1}" for i, kind in enumerate(SmtpKind)}
        self.refused_address = f"{SMTP_NET}.250"  # nothing listens there
        self.port = port
        self._names = tuple(mx_names)

    def _open(self) -> None:
        now, day = dt.datetime.now(dt.UTC), dt.timedelta(days=1)
        contexts = {
            SmtpKind.GOOD: server_context(self.ca.issue_cert(*self._names)),
            SmtpKind.PLAIN: None,
            SmtpKind.WRONG_NAME: server_context(self.ca.issue_cert("other.bench.test")),
            SmtpKind.UNTRUSTED: server_context(trustme.CA().issue_cert(*self._names)),
            SmtpKind.EXPIRED: server_context(self.ca.issue_cert(
                *self._names, not_before=now - 60 * day, not_after=now - day)),
            SmtpKind.OUTDATED_TLS: server_context(self.ca.issue_cert(*self._names),
                                                  outdated=True),
        }
        sockets = _bind_all(list(self.addresses.values()), self.port)
        self._sockets += sockets
        self.port = sockets[0].getsockname()[1]
        for sock, kind in zip(sockets, self.addresses, strict=True):
            self._servers.append(self._run(self._loop.create_server(
                lambda context=contexts[kind]: SMTP(
                    _Handler(), hostname="mx.bench.test", tls_context=context, timeout=10,
                    loop=self._loop),
                sock=sock, backlog=128)))


class _WebServers(WebLab):
    """The web lab on its own addresses and chosen ports (443 and 80 for tools that cannot be
    told a port)."""

    def __init__(self, names: Sequence[str], *, https_port: int, http_port: int) -> None:
        super().__init__(names)
        kinds = list(TlsKind)
        self._addresses = {kind: f"{WEB_NET}.{i + 1}" for i, kind in enumerate(kinds)}
        self.stall_address = f"{WEB_NET}.{len(kinds) + 1}"
        self.dead_address = f"{WEB_NET}.{len(kinds) + 2}"
        self.https_port, self.http_port = https_port, http_port

    def _open(self) -> None:
        self.ca_file = str(self._exit.enter_context(self.ca.cert_pem.tempfile()))
        serving = list(self._addresses.values())
        https_sockets = _bind_all(serving, self.https_port)
        http_sockets = _bind_all(serving, self.http_port)
        self._sockets += https_sockets + http_sockets
        self.https_port = https_sockets[0].getsockname()[1]
        self.http_port = http_sockets[0].getsockname()[1]
        contexts = web_contexts(self.ca, self.names)
        for kind, https, http in zip(TlsKind, https_sockets, http_sockets, strict=True):
            self._run(self._serve(https, "https", contexts[kind]))
            self._run(self._serve(http, "http", None))


class Lab:
    """DNS, SMTP and web servers for ``domains`` on 127.0.0.0/8; a context manager.

    :param ports: :data:`WELL_KNOWN` for the peers (root only), :data:`EPHEMERAL` otherwise.
    """

    def __init__(self, domains: Sequence[LabDomain], ports: Ports = WELL_KNOWN) -> None:
        self.domains = list(domains)
        self.smtp = _SmtpServers([d.mx_host for d in self.domains], ports.smtp)
        self.web = _WebServers([f"{p}{d.name}" for d in self.domains for p in ("", "www.")],
                               https_port=ports.https, http_port=ports.http)
        self.dns = _DnsServer(bind=(DNS_ADDRESS, ports.dns))
        self.ca_bundle = ""
        self._exit = ExitStack()

    def __enter__(self) -> Lab:
        try:
            self._exit.enter_context(self.smtp)
            self._exit.enter_context(self.web)
            smtp = {**{str(k): a for k, a in self.smtp.addresses.items()},
                    REFUSED: self.smtp.refused_address}
            web = {**{str(k): self.web.address(k) for k in TlsKind},
                   REFUSED: self.web.dead_address}
            self.dns.set_zones(lab_zones(self.domains, smtp=smtp, web=web))
            self._exit.enter_context(self.dns)
            folder = Path(self._exit.enter_context(tempfile.TemporaryDirectory()))
            bundle = folder / "lab-cas.pem"
            bundle.write_bytes(self.smtp.ca.cert_pem.bytes() + self.web.ca.cert_pem.bytes())
            self.ca_bundle = str(bundle)
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._exit.close()

    @property
    def resolver(self) -> tuple[str, int]:
        return self.dns.address


# --- the peers -------------------------------------------------------------------------------

# Runs a peer's console script in the peer's interpreter, after this: its sockets may reach
# 127.0.0.0/8 only, and when BENCH_LAB_DNS is set, host names it hands the system resolver
# (smtplib's connections) are answered by the lab's DNS server instead.
_PEER_PRELUDE = """
import ipaddress, os, runpy, socket, sys

def _check(address):
    if not isinstance(address, tuple):
        return  # a Unix socket
    try:
        loopback = ipaddress.ip_address(address[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise OSError(f"the bench lets peers reach loopback only, not {address[0]}")

for _name in ("connect", "connect_ex"):
    def _guarded(self, address, _real=getattr(socket.socket, _name)):
        _check(address)
        return _real(self, address)
    setattr(socket.socket, _name, _guarded)

def _sendto(self, data, *args, _real=socket.socket.sendto):
    _check(args[-1])
    return _real(self, data, *args)
socket.socket.sendto = _sendto

if os.environ.get("BENCH_LAB_DNS"):
    import dns.resolver
    _resolver = dns.resolver.Resolver(configure=False)
    _resolver.nameservers = [os.environ["BENCH_LAB_DNS"]]
    _resolver.lifetime = 5.0
    _getaddrinfo = socket.getaddrinfo

    def _lab_getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            try:
                host = str(_resolver.resolve(host, "A")[0])
            except Exception as exc:
                raise socket.gaierror(socket.EAI_NONAME, str(exc)) from exc
        return _getaddrinfo(host, port, *args, **kwargs)
    socket.getaddrinfo = _lab_getaddrinfo

sys.argv = sys.argv[1:]  # the peer's console script, then its arguments
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def peer_python(tool: str) -> Path | str:
    """The interpreter of ``tool``'s own virtualenv, made from bench/peers.txt if missing;
    on failure, why, in words."""
    wanted = [line.strip() for line in PEERS_FILE.read_text().splitlines()
              if line.strip().split("==")[0] == tool]
    if not wanted:
        return f"{tool} is not listed in bench/peers.txt"
    home = PEERS_HOME / tool
    python, stamp = home / "bin" / "python", home / "installed.txt"
    if stamp.exists() and stamp.read_text() == wanted[0]:
        return python
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(home)], check=True,
                           capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", wanted[0]],
                       check=True, capture_output=True, text=True, timeout=600)
    except subprocess.CalledProcessError as exc:
        return f"could not install {wanted[0]}: {_last_line(exc.stderr or str(exc))}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not install {wanted[0]}: {exc}"
    stamp.write_text(wanted[0])
    return python


def _last_line(text: str | bytes) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else text
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


@dataclass
class Run:
    """One tool's pass over the lab: wall seconds, what it said per domain (or host), and
    why it failed when it did."""

    tool: str
    seconds: float | None = None
    verdicts: dict[str, Verdicts] = field(default_factory=dict)
    count: int = 0  # domains or hosts it was given
    error: str = ""
    cpu: float = 0.0  # CPU seconds the tool's process used
    lab_cpu: float = 0.0  # CPU seconds the lab's servers used meanwhile
    load: float = 0.0  # the machine's load average as it started: others' work skews times
    errors: dict[str, list[str]] = field(default_factory=dict)  # what it could not do, by domain


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _timed(run: Run, command: list[str], *, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str] | None:
    """Run ``command``, noting its wall and CPU seconds and the lab's CPU seconds in ``run``;
    None, with the error noted, when it overran :data:`TOOL_SECONDS`."""
    run.load = os.getloadavg()[0]
    started = time.perf_counter()
    tool, lab = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env,
                              timeout=TOOL_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        run.error = f"stopped after {TOOL_SECONDS} s"
        return None
    run.seconds = time.perf_counter() - started
    run.cpu = _cpu(resource.RUSAGE_CHILDREN) - tool
    run.lab_cpu = _cpu(resource.RUSAGE_SELF) - lab
    if done.returncode != 0:
        run.error = f"exit {done.returncode}: {_last_line(done.stderr)}"
        run.seconds = None
        return None
    return done


def compile_ours() -> None:
    """Byte-compile the scanner package, as installing a package does.

    The peers and every library run from bytecode pip compiled when it installed them, while
    our package runs from its source tree; where PYTHONDONTWRITEBYTECODE is set (as on the
    bench machines) Python would compile it again on every start, a cost no installed tool
    pays. Python still checks each file's source is unchanged before using its bytecode.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "scanners")],
                   check=False, capture_output=True, timeout=120)


def scan_ours(lab: Lab, concurrency: int) -> Run:
    """``python -m scanners scan --json`` on every lab domain, as a user would run it."""
    run = Run(f"ours c={concurrency}", count=len(lab.domains))
    host, port = lab.resolver
    done = _timed(run, [
        sys.executable, "-m", "scanners", "scan", "--json", "--resolver", f"{host}:{port}",
        "--ca-file", lab.ca_bundle, "--allow-private", "--concurrency", str(concurrency),
        *(d.name for d in lab.domains)])
    if done is None:
        return run
    reports = json.loads(done.stdout)
    run.verdicts = {r["domain"]: our_verdicts(r["domain"], r["findings"], r["errors"])
                    for r in reports}
    run.errors = {r["domain"]: r["errors"] for r in reports if r["errors"]}
    return run


UNKNOWN = "unknown"  # the tool said it could not check


def our_verdicts(domain: str, findings: Sequence[dict[str, Any]],
                 errors: Sequence[str] = ()) -> Verdicts:
    """What our scanner's findings (``Finding.as_dict()``) and errors say of ``domain``.

    The scanner stays silent on a check whose lookups failed and says so in ``errors``;
    such a check reads ``unknown`` here, never as a clean bill.
    """
    ids = {f["id"] for f in findings}
    apex_ids = {f["id"] for f in findings if f["target"] == domain}
    failed = _failed_lookups(errors)
    spf = next((verdict for finding_id, verdict in (
        ("email.spf.missing", "missing"), ("email.spf.too_many_lookups", "too_many_lookups"),
        ("email.spf.permissive_all", "permissive"), ("email.spf.multiple", "multiple"))
        if finding_id in ids), "ok")
    other_txt = ("_dmarc.", "_mta-sts.", "_smtp._tls.")
    if spf == "ok" and any(kind == "TXT" and not name.startswith(other_txt)
                           for name, kind in failed):
        spf = UNKNOWN  # the record itself, or a domain it includes
    dmarc = next((verdict for finding_id, verdict in (
        ("email.dmarc.missing", "missing"), ("email.dmarc.invalid", "invalid"),
        ("email.dmarc.policy_none", "none")) if finding_id in ids), "enforced")
    if dmarc == "enforced" and any(name.startswith("_dmarc.") for name, _ in failed):
        dmarc = UNKNOWN
    mx = "missing" if "email.mx.missing" in ids else "present"
    if (domain, "MX") in failed or any(e.startswith("dns probe failed") for e in errors):
        mx = UNKNOWN
    if mx != "present":
        starttls = "n/a" if mx == "missing" else UNKNOWN
    else:
        starttls = next((verdict for finding_id, verdict in (
            ("smtp.unreachable", "unreachable"), ("smtp.starttls.unsupported", "no_starttls"),
            ("smtp.cert.invalid", "bad_cert")) if finding_id in ids), "ok")
        if any(e.startswith(("smtp probe failed", "smtp not checked")) for e in errors):
            starttls = UNKNOWN  # the probe failed, or an MX host's lookup did
    web_outdated = "yes" if "web.tls.protocol_outdated" in apex_ids else "no"
    if "web.https.unreachable" in apex_ids and web_outdated == "no":
        web_outdated = "n/a"
    web = _id_list(ids & _WEB_COMPARED)
    if any(e.startswith(("web not run", "web probe failed")) for e in errors):
        web = web_outdated = UNKNOWN
    elif any(e.startswith("web not checked on ") for e in errors):
        web = UNKNOWN  # one of the domain and www. could not be looked up
        if any(e.startswith(f"web not checked on {domain}:") for e in errors):
            web_outdated = UNKNOWN
    return Verdicts(
        spf=spf, dmarc=dmarc, mx=mx, starttls=starttls,
        smtp_outdated=(starttls if starttls in ("n/a", UNKNOWN)
                       else "n/a" if starttls not in ("ok", "bad_cert")
                       else _yes("smtp.tls.protocol_outdated" in ids)),
        web_outdated=web_outdated, web=web)


def _failed_lookups(errors: Iterable[str]) -> set[tuple[str, str]]:
    """(name, type) of each lookup the scanner says failed ("DNS lookups failed: NAME TYPE
    (why); ...")."""
    failed = set()
    for error in errors:
        if error.startswith("DNS lookups failed: "):
            for item in error.removeprefix("DNS lookups failed: ").split("; "):
                name, _, rest = item.partition(" ")
                failed.add((name, rest.split(" ", 1)[0]))
    return failed


def scan_checkdmarc(lab: Lab) -> Run:
    """checkdmarc's SPF, DMARC and MX checks, and STARTTLS on every MX host, one domain
    after another (it has no concurrency of its own)."""
    run = Run("checkdmarc", count=len(lab.domains))
    python = peer_python("checkdmarc")
    if isinstance(python, str):
        run.error = python
        return run
    host, port = lab.resolver
    if port != 53:
        run.error = "checkdmarc asks port 53 only; the lab's DNS server is elsewhere"
        return run
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "checkdmarc.json"
        # It verifies certificates against the default store: make that the lab's CAs.
        env = {**os.environ, "BENCH_LAB_DNS": host, "SSL_CERT_FILE": lab.ca_bundle}
        done = _timed(run, [
            str(python), "-c", _PEER_PRELUDE, str(python.parent / "checkdmarc"),
            *(d.name for d in lab.domains), "--check-mx-tls", "-n", host, "-o", str(output)],
            env=env)
        if done is None:
            return run
        if not output.exists():
            run.seconds, run.error = None, f"wrote no results: {_last_line(done.stderr)}"
            return run
        results = json.loads(output.read_text())
    for result in results if isinstance(results, list) else [results]:
        run.verdicts[result["domain"]] = checkdmarc_verdicts(result)
    return run


def checkdmarc_verdicts(result: dict[str, Any]) -> Verdicts:
    """What one domain's checkdmarc result says, in the lab's words."""
    spf, dmarc, mx = result["spf"], result["dmarc"], result["mx"]
    if spf.get("valid"):
        spf_verdict = "permissive" if spf["parsed"].get("all") == "pass" else "ok"
    else:
        error = spf.get("error") or ""
        spf_verdict = ("missing" if "does not exist" in error
                       else "too_many_lookups" if "DNS lookups" in error else "invalid")
    if dmarc.get("valid"):
        dmarc_verdict = "none" if dmarc["tags"]["p"]["value"] == "none" else "enforced"
    else:
        dmarc_verdict = "missing" if "does not exist" in (dmarc.get("error") or "") else "invalid"
    hosts = mx.get("hosts") or []
    starttls = "n/a" if not hosts else "ok"
    for mx_host in hosts:
        if mx_host.get("starttls"):
            continue
        name = mx_host["hostname"]
        said = [w for w in mx.get("warnings", []) if name in w]
        if any(w.startswith(f"{name}: SSL error") for w in said):
            starttls = "bad_cert"
        elif any(w.startswith("STARTTLS is not supported") for w in said):
            starttls = "no_starttls"
        else:
            starttls = "unreachable"
    return Verdicts(spf=spf_verdict, dmarc=dmarc_verdict,
                    mx="present" if hosts else "missing", starttls=starttls)


def scan_sslyze(lab: Lab, domains: Sequence[LabDomain]) -> Run:
    """sslyze's TLS 1.0 and 1.1 checks on each domain's own HTTPS host."""
    targets = {d.name: f"{d.name}:{lab.web.https_port}{{{lab.web.address(TlsKind(d.web))}}}"
               for d in domains if d.web in set(TlsKind)}
    run = Run("sslyze", count=len(targets))
    python = peer_python("sslyze")
    if isinstance(python, str):
        run.error = python
        return run
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "sslyze.json"
        done = _timed(run, [
            str(python), "-c", _PEER_PRELUDE, str(python.parent / "sslyze"), *SSLYZE_FLAGS,
            "--mozilla_config", "disable", "--quiet", "--json_out", str(output),
            *targets.values()])
        if done is None:
            return run
        if not output.exists():
            run.seconds, run.error = None, f"wrote no results: {_last_line(done.stderr)}"
            return run
        results = json.loads(output.read_text())["server_scan_results"]
    for result in results:
        run.verdicts[result["server_location"]["hostname"]] = Verdicts(
            web_outdated=sslyze_outdated(result))
    return run


SSLYZE_FLAGS = ("--tlsv1", "--tlsv1_1")


def sslyze_outdated(result: dict[str, Any]) -> str:
    """``yes`` when sslyze saw TLS 1.0 or 1.1 accepted, ``n/a`` when it could not tell."""
    if result.get("connectivity_status") != "COMPLETED":
        return "n/a"
    attempts = [(result.get("scan_result") or {}).get(key) or {}
                for key in ("tls_1_0_cipher_suites", "tls_1_1_cipher_suites")]
    if any(a.get("status") != "COMPLETED" for a in attempts):
        return "n/a"
    return _yes(any(a["result"]["is_tls_version_supported"] for a in attempts))


# --- comparing and reporting -----------------------------------------------------------------


def disagreements(ours: dict[str, Verdicts], theirs: dict[str, Verdicts],
                  checks: Sequence[str]) -> tuple[int, list[str]]:
    """How many (domain, check) pairs agree, and each one that does not, in words."""
    agreed, differ = 0, []
    for domain, their in sorted(theirs.items()):
        our = ours.get(domain, Verdicts())
        for check in checks:
            a, b = getattr(our, check), getattr(their, check)
            if a == b:
                agreed += 1
            else:
                differ.append(f"{domain} {check}: {a} vs {b}")
    return agreed, differ


def _grouped(differ: Sequence[str], expected: dict[str, Verdicts]) -> str:
    """Disagreements grouped by check and verdicts, each naming its domains and the lab's
    expected verdict."""
    groups: dict[str, list[str]] = {}
    for line in differ:
        domain, rest = line.split(" ", 1)
        check = rest.split(":", 1)[0]
        truth = getattr(expected.get(domain, Verdicts()), check)
        groups.setdefault(f"{rest} (lab: {truth})", []).append(domain.removesuffix(".test"))
    return "; ".join(f"{key}: {', '.join(names)}" for key, names in groups.items())


def _errors_of(run: Run, domains: Iterable[str]) -> str:
    """What ``run`` could not do on ``domains``, which may explain a verdict."""
    said = []
    for domain in sorted(domains):
        # Pages that could not be read are the web verdict's business, not news.
        errors = [error[:160] for error in run.errors.get(domain, [])
                  if not error.startswith(("headers not run", "tracking not run"))]
        if errors:
            said.append(f"{domain}: {' | '.join(errors)}")
    return f"; {run.tool} errors there: {'; '.join(said)}" if said else ""


def _per_item_ms(run: Run) -> list[float]:
    return [run.seconds / run.count * 1000] if run.seconds is not None and run.count else []


def _both(values: Iterable[float], unit: str = "") -> str:
    return " and ".join(f"{value:.1f}" for value in values) + unit


def _speed(runs: Sequence[Run], name: str, what: str, *, baseline: Sequence[Run] = (),
           baseline_name: str = "", target: str = "") -> Measure:
    """Wall time per domain (or host) over ``runs``, one sample per pass."""
    samples = [ms for one in runs for ms in _per_item_ms(one)]
    base = [ms for one in baseline for ms in _per_item_ms(one)]
    base_median = statistics.median(base) if base else None
    met = None
    if target and samples and base_median is not None:
        met = statistics.median(samples) < base_median
    done = [one for one in runs if not one.error]
    note = "; ".join(one.error for one in runs if one.error)
    if done:
        note = (f"{done[0].count} {what}; {len(done)} pass(es) of "
                f"{_both((one.seconds or 0 for one in done), ' s')} (start-up included), "
                f"{_both((one.cpu for one in done), ' CPU-s')}, the lab's servers "
                f"{_both(one.lab_cpu for one in done)}; load average "
                f"{_both(one.load for one in done)} at the start") + (f"; {note}" if note else "")
    return Measure(PART, name, "ms", samples, baseline=baseline_name,
                   baseline_value=base_median, target=target, met=met, note=note,
                   extra={"seconds": [one.seconds for one in runs],
                          "count": runs[0].count if runs else 0,
                          "cpu_seconds": [one.cpu for one in runs],
                          "lab_cpu_seconds": [one.lab_cpu for one in runs],
                          "load_average": [one.load for one in runs]})


def _agreement(name: str, ours: Run, theirs: Run, checks: Sequence[str],
               expected: dict[str, Verdicts], target: str) -> Measure:
    if theirs.error or ours.error:
        return Measure(PART, name, "checks", [], target=target,
                       note=f"not compared: {theirs.error or ours.error}")
    agreed, differ = disagreements(ours.verdicts, theirs.verdicts, checks)
    missing = max(0, theirs.count - len(theirs.verdicts))
    note = (f"{agreed} of {agreed + len(differ)} agree"
            + (f"; {theirs.tool} gave no result for {missing} of {theirs.count}"
               if missing else "")
            + (f"; differ (ours vs {theirs.tool}): {_grouped(differ, expected)}"
               if differ else "")
            + _errors_of(ours, {line.split(" ", 1)[0] for line in differ}))
    return Measure(PART, name, "checks", [agreed], target=target,
                   met=not differ and not missing, note=note,
                   extra={"disagreements": differ})


def run(out: list[Measure]) -> None:
    """Scan the 200-domain lab with our scanner at each concurrency, then with the peers."""
    # aiosmtpd logs a traceback for every STARTTLS a probe breaks off on purpose.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    plan = lab_plan()
    expected = {d.name: d.expected() for d in plan}
    for tool in ("checkdmarc", "sslyze"):
        peer_python(tool)  # installed now, so no install is timed; failures are told below
    compile_ours()
    with ExitStack() as stack:
        try:
            lab = stack.enter_context(Lab(plan, WELL_KNOWN))
        except OSError as exc:
            out.append(Measure(PART, "scanner lab", "s", [], note=(
                f"the lab could not start on ports 53, 25, 443 and 80 of 127.0.0.0/8 (root "
                f"only): {exc}")))
            return
        slower = [scan_ours(lab, concurrency) for concurrency in CONCURRENCIES[:-1]]
        top: list[Run] = []
        checkdmarc: list[Run] = []
        for round_ in range(ROUNDS):  # interleaved, so a busy spell skews both alike
            top.append(scan_ours(lab, CONCURRENCIES[-1]))
            top[-1].tool += f" (pass {round_ + 1})"
            checkdmarc.append(scan_checkdmarc(lab))
        sslyze = scan_sslyze(lab, plan[:SSLYZE_DOMAINS])
    for one in slower:
        out.append(_speed(
            [one], f"our full scan at concurrency {one.tool.split('=')[1]}: wall per domain",
            "domains, all five probes", baseline=checkdmarc, baseline_name="checkdmarc"))
    out.append(_speed(
        top, f"our full scan at concurrency {CONCURRENCIES[-1]}: wall per domain",
        "domains, all five probes", baseline=checkdmarc, baseline_name="checkdmarc",
        target="faster than checkdmarc per domain"))
    out.append(_speed(checkdmarc, "checkdmarc (SPF, DMARC, MX, STARTTLS): wall per domain",
                      "domains, one after another"))
    out.append(_speed([sslyze], "sslyze (TLS 1.0 and 1.1): wall per HTTPS host",
                      "hosts, its own concurrency", baseline=top,
                      baseline_name=f"ours at {CONCURRENCIES[-1]} per domain"))
    out += _verdict_measures(expected, [*top, *slower], checkdmarc, sslyze)


def _verdict_measures(expected: dict[str, Verdicts], ours: Sequence[Run],
                      checkdmarc: Sequence[Run], sslyze: Run) -> list[Measure]:
    """Ours against the lab, checkdmarc and sslyze; ``ours[0]`` and ``checkdmarc[0]`` are
    compared, and any other pass that said otherwise is named."""
    lab_truth = Run("the lab", verdicts=expected, count=len(expected))
    checks = [f.name for f in fields(Verdicts)]
    truth = _agreement(f"verdicts: ours at {CONCURRENCIES[-1]} vs the lab's expected ones",
                       ours[0], lab_truth, checks, expected, "all agree")
    truth.note += _unsteady(ours, checks, expected, "every concurrency and pass")
    peer = _agreement("verdicts: ours vs checkdmarc (SPF, DMARC, MX, STARTTLS)", ours[0],
                      checkdmarc[0], CHECKDMARC_CHECKS, expected, "all agree")
    peer.note += _unsteady(checkdmarc, CHECKDMARC_CHECKS, expected, "every pass")
    return [truth, peer, _agreement(
        "verdicts: ours vs sslyze (TLS 1.0/1.1 on the domain's HTTPS host)", ours[0], sslyze,
        SSLYZE_CHECKS, expected, "all agree")]


def _unsteady(runs: Sequence[Run], checks: Sequence[str], expected: dict[str, Verdicts],
              every: str) -> str:
    """Where the other passes of a tool said otherwise than ``runs[0]``, named."""
    said = []
    for one in runs[1:]:
        differ = [] if one.error else disagreements(runs[0].verdicts, one.verdicts, checks)[1]
        if differ:
            said.append(f"{one.tool} said otherwise ({runs[0].tool} vs it): "
                        f"{_grouped(differ, expected)}"
                        + _errors_of(one, {line.split(' ', 1)[0] for line in differ}))
    return "; " + "; ".join(said) if said else f"; the same verdicts at {every}"


def main() -> None:
    measures: list[Measure] = []
    run(measures)
    print(markdown(measures, machine()))


if __name__ == "__main__":
    main()
