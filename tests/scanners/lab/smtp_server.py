"""SMTP servers on 127.0.0.1 for the SMTP probe's tests, each showing one kind of mail host.

One background thread runs an event loop that serves every kind in :class:`SmtpKind` with
aiosmtpd, each on its own port; certificates come from a trustme test CA whose PEM file is
:attr:`SmtpLab.ca_file` (give it to the probe as an extra trust anchor). Two more ports
misbehave below SMTP: :attr:`SmtpLab.dead_port` is bound but never listens (connections are
refused) and :attr:`SmtpLab.stall_port` listens but never accepts, so a client connects and
then waits for a banner that never comes.

    with SmtpLab() as lab:
        port = lab.port(SmtpKind.GOOD)  # on lab.address, certificate for lab.mx_name
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Callable
from enum import StrEnum

import trustme
from aiosmtpd.smtp import SMTP

from tests.scanners.lab.certificates import server_context
from tests.scanners.lab.loop_thread import LoopThread

LOOPBACK = "127.0.0.1"
MX_NAME = "mx.lab.test"


class SmtpKind(StrEnum):
    """The mail hosts the lab serves."""

    GOOD = "good"  # STARTTLS, TLS 1.2+, a certificate for MX_NAME from the lab CA
    PLAIN = "plain"  # no STARTTLS at all
    WRONG_NAME = "wrong_name"  # STARTTLS, lab CA, certificate for another name
    UNTRUSTED = "untrusted"  # STARTTLS, certificate for MX_NAME from a CA nobody trusts
    EXPIRED = "expired"  # STARTTLS, lab CA, certificate for MX_NAME that expired
    OUTDATED_TLS = "outdated_tls"  # STARTTLS that still accepts TLS 1.0 and 1.1 (and newer)


class _Handler:
    """Accepts the envelope commands; the probe never gets as far as DATA."""


def _contexts(ca: trustme.CA) -> dict[SmtpKind, ssl.SSLContext | None]:
    now = dt.datetime.now(dt.UTC)
    expired = ca.issue_cert(
        MX_NAME, not_before=now - dt.timedelta(days=60), not_after=now - dt.timedelta(days=1)
    )
    return {
        SmtpKind.GOOD: server_context(ca.issue_cert(MX_NAME)),
        SmtpKind.PLAIN: None,
        SmtpKind.WRONG_NAME: server_context(ca.issue_cert("other.lab.test")),
        SmtpKind.UNTRUSTED: server_context(trustme.CA().issue_cert(MX_NAME)),
        SmtpKind.EXPIRED: server_context(expired),
        SmtpKind.OUTDATED_TLS: server_context(ca.issue_cert(MX_NAME), outdated=True),
    }


class SmtpLab(LoopThread):
    """Every kind of SMTP server on loopback, plus a dead port and a stalling one."""

    address = LOOPBACK
    mx_name = MX_NAME

    def __init__(self) -> None:
        super().__init__()
        self.ca = trustme.CA()
        self.connections: dict[SmtpKind, int] = dict.fromkeys(SmtpKind, 0)
        self._ports: dict[SmtpKind, int] = {}
        self.ca_file = ""
        self.dead_port = 0
        self.stall_port = 0

    def port(self, kind: SmtpKind) -> int:
        return self._ports[kind]

    def _open(self) -> None:
        self.ca_file = str(self._exit.enter_context(self.ca.cert_pem.tempfile()))
        self.dead_port = self._raw_socket(listen=False)
        self.stall_port = self._raw_socket(listen=True)
        for kind, context in _contexts(self.ca).items():
            self._ports[kind] = self._run(self._serve(kind, context))

    # --- inside the loop thread ------------------------------------------------------------

    def _factory(self, kind: SmtpKind, context: ssl.SSLContext | None) -> Callable[[], SMTP]:
        def make() -> SMTP:
            self.connections[kind] += 1
            return SMTP(
                _Handler(), hostname=MX_NAME, tls_context=context, timeout=10, loop=self._loop
            )

        return make

    async def _serve(self, kind: SmtpKind, context: ssl.SSLContext | None) -> int:
        server = await self._loop.create_server(self._factory(kind, context), LOOPBACK, 0)
        self._servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    def _raw_socket(self, *, listen: bool) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sockets.append(sock)
        sock.bind((LOOPBACK, 0))
        if listen:
            sock.listen(8)  # the kernel completes handshakes; nobody ever accepts
        port: int = sock.getsockname()[1]
        return port
