"""The blocking client: the asyncio client driven by a background thread (scripts, tests).

::

    with StatClient("ws://127.0.0.1:7100/ws", client_name="script") as client:
        sub = client.open_statistic(
            object={"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"},
            metric={"statisticType": "CallsWaiting"},
        )
        for value in client.values(sub, timeout=30):
            print(value)

Every method blocks until the server answered.  The :class:`Subscription` objects are those
of the asyncio client: read ``latest``, ``valid`` and ``targets`` from any thread, but get
values through :meth:`StatClient.next` / :meth:`StatClient.values`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar

from statserver.client.aio import (
    AsyncStatClient,
    MetricArg,
    MetricExArg,
    NotificationArg,
    ObjectArg,
    Subscription,
)
from statserver.client.model import SubscriptionClosed

__all__ = ["StatClient"]

T = TypeVar("T")


class StatClient:
    """The same API as :class:`AsyncStatClient`, blocking.  Keyword arguments are those of
    :class:`AsyncStatClient` (``client_name``, ``reconnect``, ``request_timeout``, ...)."""

    def __init__(self, url: str, **options: Any) -> None:
        self.client = AsyncStatClient(url, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- the loop thread ------------------------------------------------------------------------
    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="statserver-client", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
        return self._loop

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        if loop is None:
            coro.close()
            msg = "the client is not connected: call connect() first"
            raise RuntimeError(msg)
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    # -- connection -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.client.url

    @property
    def connected(self) -> bool:
        return self.client.connected

    @property
    def server_mode(self) -> str | None:
        return self.client.server_mode

    def connect(self) -> None:
        self._start()
        self._run(self.client.connect())

    def close(self) -> None:
        """Close the connection and stop the background thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            self._run(self.client.close())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            if not thread.is_alive():
                loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> StatClient:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------------
    def open_statistic(
        self, object: ObjectArg, metric: MetricArg, notification: NotificationArg = None
    ) -> Subscription:
        return self._run(self.client.open_statistic(object, metric, notification))

    def open_statistic_ex(
        self, object: ObjectArg, metric: MetricExArg, notification: NotificationArg = None
    ) -> Subscription:
        return self._run(self.client.open_statistic_ex(object, metric, notification))

    def close_statistic(self, sub: Subscription) -> None:
        self._run(self.client.close_statistic(sub))

    def peek(self, sub: Subscription) -> Any:
        return self._run(self.client.peek(sub))

    def suspend(self, sub: Subscription) -> None:
        self._run(self.client.suspend(sub))

    def resume(self, sub: Subscription) -> None:
        self._run(self.client.resume(sub))

    def get_statistic(self, object: ObjectArg, metric: MetricArg) -> Any:
        return self._run(self.client.get_statistic(object, metric))

    def get_statistic_ex(self, object: ObjectArg, metric: MetricExArg) -> Any:
        return self._run(self.client.get_statistic_ex(object, metric))

    def get_profile(self, part: str | None = None) -> dict[str, Any]:
        return self._run(self.client.get_profile(part))

    # -- values ---------------------------------------------------------------------------------
    def next(self, sub: Subscription, timeout: float | None = None) -> Any:
        """The next value of ``sub``: ``TimeoutError`` after ``timeout`` seconds,
        :class:`SubscriptionClosed` once it is closed."""
        return self._run(sub.next(timeout))

    def values(self, sub: Subscription, timeout: float | None = None) -> Iterator[Any]:
        """Iterate the values of ``sub`` as they come; ends when it is closed.  ``timeout``
        bounds the wait for each value (``TimeoutError``)."""
        while True:
            try:
                yield self.next(sub, timeout)
            except SubscriptionClosed:
                return
