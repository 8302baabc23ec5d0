"""A listening socket that only records who connected: the proof that nobody did.

An SSRF test aims something the scanner must refuse at a loopback address and port where a
:class:`Trap` listens. The trap accepts every connection, notes the address it was made to,
and hangs up at once (so a scanner that wrongly connects fails fast instead of waiting for a
reply). Nothing is ever sent.

    with Trap([("127.0.0.1", port), ("::1", port)]) as trap:
        ...  # run the scan
    assert trap.connections == []
"""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Iterable
from types import TracebackType

_POLL_SECONDS = 0.05


def free_port(addresses: Iterable[str], attempts: int = 20) -> int:
    """A TCP port free on every one of ``addresses`` at the moment of asking."""
    addresses = list(addresses)
    for _ in range(attempts):
        with socket.socket(_family(addresses[0]), socket.SOCK_STREAM) as first:
            first.bind((addresses[0], 0))
            port: int = first.getsockname()[1]
            try:
                for address in addresses[1:]:
                    with socket.socket(_family(address), socket.SOCK_STREAM) as other:
                        other.bind((address, port))
            except OSError:
                continue
        return port
    raise OSError(f"no port free on all of {', '.join(addresses)}")


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


class Trap:
    """TCP listeners on loopback (address, port) pairs that record every connection made."""

    def __init__(self, endpoints: Iterable[tuple[str, int]]) -> None:
        self.endpoints = list(endpoints)
        bad = [a for a, _ in self.endpoints if a not in ("::1",) and not a.startswith("127.")]
        if bad:
            raise ValueError(f"a trap listens on loopback only, not on {', '.join(bad)}")
        self.connections: list[tuple[str, int]] = []  # (address, port) connected to
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Trap:
        for address, port in self.endpoints:
            sock = socket.socket(_family(address), socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(16)
            sock.setblocking(False)
            self._sockets.append(sock)
        self._thread = threading.Thread(target=self._serve, name="ssrf-trap", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in self._sockets:
            sock.close()

    def __enter__(self) -> Trap:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def seen(self) -> list[tuple[str, int]]:
        """The connections so far, after one more look for any the kernel has queued."""
        self._accept_all()
        with self._lock:
            return list(self.connections)

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            for sock in self._sockets:
                selector.register(sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                if selector.select(timeout=_POLL_SECONDS):
                    self._accept_all()

    def _accept_all(self) -> None:
        for sock in self._sockets:
            while True:
                try:
                    connection, _ = sock.accept()
                except (BlockingIOError, OSError):
                    break
                with connection, self._lock:
                    self.connections.append(connection.getsockname()[:2])
