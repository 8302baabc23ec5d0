"""An asyncio event loop on a background thread, for lab servers the tests start and stop.

Subclasses implement :meth:`LoopThread._open` (bind and serve, called on the test's thread)
and list their servers in ``_servers`` and their raw sockets in ``_sockets``; this class runs
the loop, closes everything on :meth:`stop` and makes the lab a context manager.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from contextlib import ExitStack
from types import TracebackType
from typing import Any, Self, TypeVar

START_SECONDS = 5.0
T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.Server] = []
        self._sockets: list[socket.socket] = []
        self._exit = ExitStack()

    def _open(self) -> None:
        raise NotImplementedError

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the lab's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(START_SECONDS)

    def start(self) -> Self:
        self._thread.start()
        self._open()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._run(self._close_servers())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_SECONDS)
        self._loop.close()
        for sock in self._sockets:
            sock.close()
        self._exit.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _close_servers(self) -> None:
        for server in self._servers:
            server.close()
        # Let the sessions still running see their connections close.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
