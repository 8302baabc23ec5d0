"""An authoritative DNS server on 127.0.0.1 that serves zones given as Python data.

Tests describe the world they need as a mapping of names to records and point a resolver at
:attr:`DnsLab.address`; nothing leaves loopback. UDP and TCP share one port, so a resolver that
retries over TCP after a truncated reply (large TXT sets) reaches the same zones.

    zones = {
        "example.test": [("MX", "10 mx.example.test"), ("TXT", ("v=spf1 ", "-all"))],
        "_dmarc.example.test": [("TXT", "v=DMARC1; p=reject")],
    }
    with DnsLab(zones) as lab:
        ...  # query lab.address

Record values: ``A``/``AAAA`` an address, ``MX`` "PREFERENCE EXCHANGE", ``TXT`` a string or a
sequence of strings (one record of several character-strings), ``CAA`` 'FLAGS TAG VALUE',
``CNAME`` a target name. Names are case-insensitive and may omit the final dot.

A rebinding server is one call away: ``set_zones(zones, in_turn={"evil.test": [[("A",
"192.0.2.1")], [("A", "127.0.0.1")]]})`` answers the first query of each type for
``evil.test`` from the first list, the next from the second, and so on (the last list
repeats), with TTL 0 so no cache keeps an answer for the next lookup.
"""

from __future__ import annotations

import errno
import ipaddress
import selectors
import socket
import struct
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from dnslib import AAAA, CAA, CNAME, MX, QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.dns import RD

LOOPBACK = "127.0.0.1"
TTL = 60
_CLASSIC_UDP_SIZE = 512  # without EDNS a UDP reply may not exceed 512 bytes (RFC 1035 4.2.1)
_MAX_CNAME_HOPS = 8
_POLL_SECONDS = 0.05  # how often the serving thread checks whether it should stop
_TCP_READ_SECONDS = 2.0

RecordValue = str | Sequence[str]
Zones = Mapping[str, Sequence[tuple[str, RecordValue]]]


def _mx(value: RecordValue) -> RD:
    preference, exchange = str(value).split()
    return MX(exchange, int(preference))


def _txt(value: RecordValue) -> RD:
    strings = [value] if isinstance(value, str) else list(value)
    return TXT(strings)


def _caa(value: RecordValue) -> RD:
    flags, tag, caa_value = str(value).split(maxsplit=2)
    return CAA(int(flags), tag, caa_value.strip('"'))


# How each record type's Python value becomes wire data.
_RDATA: dict[str, Callable[[RecordValue], RD]] = {
    "A": lambda value: A(str(value)),
    # Exploded first: dnslib reads hex groups only, not "::ffff:127.0.0.1".
    "AAAA": lambda value: AAAA(ipaddress.IPv6Address(str(value)).exploded),
    "MX": _mx,
    "TXT": _txt,
    "CAA": _caa,
    "CNAME": lambda value: CNAME(str(value)),
}


def _key(name: object) -> str:
    return str(name).rstrip(".").lower()


@dataclass(frozen=True)
class _Record:
    name: str
    rtype: str
    value: RecordValue
    ttl: int = TTL

    def rr(self, owner: str) -> RR:
        return RR(owner, getattr(QTYPE, self.rtype), rdata=_RDATA[self.rtype](self.value),
                  ttl=self.ttl)


def _records(name: str, entries: Sequence[tuple[str, RecordValue]], ttl: int = TTL
             ) -> list[_Record]:
    for rtype, _value in entries:
        if rtype not in _RDATA:
            raise ValueError(f"the DNS lab cannot serve {rtype} records")
    # Build the wire data now, so a bad value fails in the test rather than in the server thread.
    for rtype, value in entries:
        _RDATA[rtype](value)
    return [_Record(_key(name), rtype, value, ttl) for rtype, value in entries]


@dataclass
class DnsLab:
    """An authoritative server on 127.0.0.1; use as a context manager or call start/stop.

    :param zones: name -> list of (type, value); replace at any time with :meth:`set_zones`.
    :param servfail: names answered with SERVFAIL, as a broken authoritative server would.
    :param silent: names never answered, as a server that drops the query would.
    :param lossy: names whose first query of each type is lost, as a busy network drops one
        packet; the next is answered.
    :param in_turn: names whose answer changes from one query to the next, as a rebinding
        server's does: name -> one list of (type, value) per query, the last repeating;
        served with TTL 0. Only through :meth:`set_zones`.

    ``queries`` lists every (name, type) asked, for tests that care what was asked.
    """

    zones: Zones = field(default_factory=dict)
    servfail: frozenset[str] = frozenset()
    silent: frozenset[str] = frozenset()
    lossy: frozenset[str] = frozenset()
    queries: list[tuple[str, str]] = field(default_factory=list, init=False)
    _records: dict[str, list[_Record]] = field(default_factory=dict, init=False)
    _lost: set[tuple[str, str]] = field(default_factory=set, init=False)
    _in_turn: dict[str, list[list[_Record]]] = field(default_factory=dict, init=False)
    _turns: dict[tuple[str, str], int] = field(default_factory=dict, init=False)
    _udp: socket.socket | None = field(default=None, init=False)
    _tcp: socket.socket | None = field(default=None, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.set_zones(self.zones, servfail=self.servfail, silent=self.silent, lossy=self.lossy)

    @property
    def address(self) -> tuple[str, int]:
        if self._udp is None:
            raise RuntimeError("the DNS lab is not running")
        return LOOPBACK, self._udp.getsockname()[1]

    @property
    def port(self) -> int:
        return self.address[1]

    def set_zones(
        self, zones: Zones, *, servfail: Iterable[str] = (), silent: Iterable[str] = (),
        lossy: Iterable[str] = (),
        in_turn: Mapping[str, Sequence[Sequence[tuple[str, RecordValue]]]] | None = None,
    ) -> None:
        """Serve ``zones`` from now on, in place of whatever was served before."""
        records: dict[str, list[_Record]] = {}
        for name, entries in zones.items():
            records.setdefault(_key(name), []).extend(_records(name, entries))
        turns = {_key(name): [_records(name, entries, ttl=0) for entries in answers]
                 for name, answers in (in_turn or {}).items() if answers}
        with self._lock:
            self.zones = zones
            self._records = records
            self.servfail = frozenset(_key(name) for name in servfail)
            self.silent = frozenset(_key(name) for name in silent)
            self.lossy = frozenset(_key(name) for name in lossy)
            self._lost.clear()
            self._in_turn = turns
            self._turns.clear()

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> DnsLab:
        self._udp, self._tcp = _bind_pair()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(self._udp, self._tcp), name="dns-lab", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = None

    def __enter__(self) -> DnsLab:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- serving ---------------------------------------------------------------------------

    def _serve(self, udp: socket.socket, tcp: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(udp, selectors.EVENT_READ, self._serve_udp)
            selector.register(tcp, selectors.EVENT_READ, self._serve_tcp)
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=_POLL_SECONDS):
                    key.data(key.fileobj)

    def _serve_udp(self, udp: socket.socket) -> None:
        data, peer = udp.recvfrom(65535)
        reply = self._reply(data)
        if reply is not None:
            udp.sendto(_fit_udp(reply, data), peer)

    def _serve_tcp(self, tcp: socket.socket) -> None:
        connection, _ = tcp.accept()
        with connection:
            connection.settimeout(_TCP_READ_SECONDS)
            try:
                (length,) = struct.unpack("!H", _read_exactly(connection, 2))
                reply = self._reply(_read_exactly(connection, length))
                if reply is not None:
                    connection.sendall(struct.pack("!H", len(reply)) + reply)
            except (OSError, struct.error):
                return  # a client that went away mid-query is its own problem

    def _reply(self, data: bytes) -> bytes | None:
        try:
            request = DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 - garbage on the wire gets no answer, like a real server
            return None
        qname, qtype = _key(request.q.qname), QTYPE[request.q.qtype]
        with self._lock:
            self.queries.append((qname, qtype))
            records, servfail, silent = self._records, self.servfail, self.silent
            lose = qname in self.lossy and (qname, qtype) not in self._lost
            if lose:
                self._lost.add((qname, qtype))
            if qname in self._in_turn:
                answers = self._in_turn[qname]
                turn = self._turns.get((qname, qtype), 0)
                self._turns[(qname, qtype)] = turn + 1
                records = {**records, qname: answers[min(turn, len(answers) - 1)]}
        if qname in silent or lose:
            return None
        reply = request.reply()
        if qname in servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply.pack()
        reply.header.rcode = _resolve(records, qname, qtype, reply)
        return reply.pack()


def _resolve(records: dict[str, list[_Record]], qname: str, qtype: str, reply: DNSRecord) -> int:
    """Add the answer for ``qname``/``qtype`` to ``reply``; return the response code."""
    name = qname
    for _ in range(_MAX_CNAME_HOPS):
        entries = records.get(name)
        if entries is None:
            # A name with records below it exists even when it holds none (an empty
            # non-terminal, RFC 8020): NODATA, not NXDOMAIN.
            exists = any(other.endswith("." + name) for other in records)
            return RCODE.NOERROR if exists else RCODE.NXDOMAIN
        cname = [entry for entry in entries if entry.rtype == "CNAME"]
        if cname and qtype not in ("CNAME", "ANY"):
            reply.add_answer(cname[0].rr(name))
            name = _key(cname[0].value)
            continue
        for entry in entries:
            if qtype in (entry.rtype, "ANY"):
                reply.add_answer(entry.rr(name))
        return RCODE.NOERROR
    return RCODE.SERVFAIL  # a CNAME loop: what a real server says when it gives up


def _fit_udp(reply: bytes, request: bytes) -> bytes:
    """Truncate a reply too large for UDP, so the client asks again over TCP (RFC 7766)."""
    limit = _udp_limit(DNSRecord.parse(request))
    if len(reply) <= limit:
        return reply
    truncated = DNSRecord.parse(reply)
    truncated.rr, truncated.auth, truncated.ar = [], [], []
    truncated.header.tc = 1
    return truncated.pack()


def _udp_limit(request: DNSRecord) -> int:
    for record in request.ar:
        if record.rtype == QTYPE.OPT:
            return max(int(record.rclass), _CLASSIC_UDP_SIZE)  # OPT's class is the payload size
    return _CLASSIC_UDP_SIZE


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise OSError("connection closed mid-message")
        data += chunk
    return data


def _bind_pair(attempts: int = 20) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same free port of 127.0.0.1."""
    for _ in range(attempts):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((LOOPBACK, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((LOOPBACK, udp.getsockname()[1]))
        except OSError as exc:
            # Another process holds the TCP side of the port UDP got: try another port.
            udp.close()
            tcp.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        tcp.listen(16)
        return udp, tcp
    raise OSError("no free port on 127.0.0.1 for both UDP and TCP")
