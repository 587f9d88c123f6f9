"""The asyncio client: one WebSocket connection, many statistics, automatic reconnection.

::

    async with AsyncStatClient("ws://127.0.0.1:7100/ws", client_name="wallboard") as client:
        waiting = await client.open_statistic(
            object={"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"},
            metric={"statisticType": "CallsWaiting"},
        )
        async for value in waiting:
            print(value)

Requests are answered in order on a connection, so each awaited call gets the reply to its
own request; an ``Error`` event is raised as :class:`StatServerRequestError`.  When the
connection drops the client reconnects with an exponential backoff and opens every
statistic again with the same referenceId: an ``async for`` over a subscription just goes on
(``valid`` is False while the connection is down).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from statserver.client.model import (
    Notification,
    StatisticMetric,
    StatisticMetricEx,
    StatisticObject,
    StatServerConnectionError,
    StatServerRequestError,
    SubscriptionClosed,
    to_json,
    ws_url,
)

__all__ = ["AsyncStatClient", "Subscription"]

log = logging.getLogger("statserver.client")

_encode: Final = msgspec.json.Encoder().encode
_decode: Final = msgspec.json.Decoder().decode

ObjectArg = StatisticObject | Mapping[str, Any]
MetricArg = StatisticMetric | Mapping[str, Any]
MetricExArg = StatisticMetricEx | Mapping[str, Any]
NotificationArg = Notification | Mapping[str, Any] | None

_TARGET_EVENTS: Final = (
    "CurrentTargetStateSnapshot",
    "CurrentTargetStateTargetAdded",
    "CurrentTargetStateTargetUpdated",
    "CurrentTargetStateTargetRemoved",
)


class _ConnectionLost(Exception):
    """Internal: the connection a request was sent on is gone."""


@dataclass
class _Pending:
    future: asyncio.Future[dict[str, Any]]
    expects: frozenset[str]


class Subscription:
    """One open statistic.  Iterate it (``async for value in sub``) or ``await sub.next()``.

    * ``latest`` — the last value received (``None`` before the first); ``last_event`` the
      whole ``Info`` event (``time``, ``intervalStart``, ``intervalEnd`` for Reset mode);
    * ``valid`` — False after ``StatisticInvalid`` and while the connection is down;
    * ``targets`` — CurrentTargetState only: the routing targets by agent id, kept up to
      date from the snapshot and the TargetAdded/Updated/Removed deltas; each update yields
      a copy of this mapping as the value;
    * ``reference_id`` — chosen by the client, unique on the client (also across reconnects).

    Values wait in a buffer of ``buffer`` entries; a consumer that falls further behind loses
    the oldest ones (counted in ``dropped``) — ``latest`` is always the newest.
    """

    def __init__(
        self, client: AsyncStatClient, reference_id: int, request: dict[str, Any], buffer: int
    ) -> None:
        self.client = client
        self.reference_id = reference_id
        #: the OpenStatistic / OpenStatisticEx request (sent again after a reconnection)
        self.request = request
        notification = request.get("notification") or {}
        self.mode: str = str(notification.get("mode", "Changes"))
        self.latest: Any = None
        self.last_event: dict[str, Any] | None = None
        self.valid = True
        self.targets: dict[str, dict[str, Any]] | None = None
        self.suspended = False
        #: opening, open, closing, closed, failed
        self.state = "opening"
        self.error: BaseException | None = None
        self.received = 0
        self.dropped = 0
        self._values: deque[Any] = deque(maxlen=max(1, buffer))
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return (
            f"<Subscription {self.reference_id} {self.request.get('request')} {self.state} "
            f"latest={self.latest!r}>"
        )

    @property
    def closed(self) -> bool:
        return self.state in ("closed", "failed")

    # -- consuming ------------------------------------------------------------------------------
    async def next(self, timeout: float | None = None) -> Any:
        """The next value; raises :class:`SubscriptionClosed` once the statistic is closed
        (and every buffered value was read), ``TimeoutError`` after ``timeout`` seconds, and
        the error when the statistic could not be opened again after a reconnection."""
        async with asyncio.timeout(timeout):
            while True:
                if self._values:
                    return self._values.popleft()
                if self.state == "failed":
                    raise self.error or SubscriptionClosed(f"statistic {self.reference_id} failed")
                if self.state == "closed":
                    raise SubscriptionClosed(f"statistic {self.reference_id} is closed")
                self._changed.clear()
                await self._changed.wait()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.next()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    def pending(self) -> int:
        """Values received and not read yet."""
        return len(self._values)

    # -- fed by the client ----------------------------------------------------------------------
    def _deliver(self, value: Any) -> None:
        if len(self._values) == self._values.maxlen:
            self.dropped += 1
        self._values.append(value)
        self.latest = value
        self.received += 1
        self._changed.set()

    def _event(self, name: str, event: dict[str, Any]) -> None:
        if name == "Info":
            self.last_event = event
            self._deliver(event.get("value"))
        elif name == "StatisticValid":
            self.valid = True
        elif name == "StatisticInvalid":
            self.valid = False
        elif name in _TARGET_EVENTS:
            self._target_event(name, event)

    def _target_event(self, name: str, event: dict[str, Any]) -> None:
        if name == "CurrentTargetStateSnapshot" or self.targets is None:
            self.targets = {}
        if name == "CurrentTargetStateSnapshot":
            for target in event.get("targets") or ():
                self.targets[str(target.get("agentId"))] = target
        else:
            target = event.get("target") or {}
            key = str(target.get("agentId"))
            if name == "CurrentTargetStateTargetRemoved":
                self.targets.pop(key, None)
            else:
                self.targets[key] = target
        self.last_event = event
        self._deliver(dict(self.targets))

    def _end(self, state: str, error: BaseException | None = None) -> None:
        if self.closed:
            return
        self.state = state
        self.error = error
        self._changed.set()


class AsyncStatClient:
    """A client of the Stat Server client protocol (docs/protocol.md) over WebSocket.

    ``url``: ``ws://host:7100/ws`` (``http://host:7100`` and ``host:7100`` work too);
    ``client_name`` is shown in the server's logs.  With ``reconnect`` (default) a lost
    connection is made again with an exponential backoff (``backoff``: first and longest
    delay in seconds, ±20 % jitter) and every open statistic is opened again by itself.
    ``request_timeout`` bounds each awaited request (``TimeoutError``).
    """

    def __init__(
        self,
        url: str,
        *,
        client_name: str | None = None,
        reconnect: bool = True,
        request_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        backoff: tuple[float, float] = (0.1, 5.0),
        buffer: int = 10_000,
        ping_interval: float | None = 20.0,
        max_message_size: int | None = 64 * 1024 * 1024,
    ) -> None:
        self.url = ws_url(url, client_name)
        self.client_name = client_name
        self.reconnect = reconnect
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.backoff = backoff
        self.buffer = buffer
        self.ping_interval = ping_interval
        self.max_message_size = max_message_size
        #: the server's mode from its ServerMode event (``Primary``)
        self.server_mode: str | None = None
        #: how many times the connection was made again
        self.reconnects = 0
        #: close code and reason of the last connection lost (1008: cut off as too slow)
        self.last_close: tuple[int | None, str | None] | None = None
        self._ws: ClientConnection | None = None
        self._ready = asyncio.Event()
        self._manager: asyncio.Task[None] | None = None
        self._closing = False
        self._terminated = False
        self._subs: dict[int, Subscription] = {}
        self._pending: dict[Any, deque[_Pending]] = {}
        self._refs = itertools.count(1)

    # -- connection ---------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._ws is not None and self._ready.is_set() and not self._terminated

    @property
    def subscriptions(self) -> list[Subscription]:
        """The statistics open on this client."""
        return [s for s in self._subs.values() if not s.closed]

    async def connect(self) -> None:
        """Connect (retrying for ``connect_timeout`` seconds when ``reconnect`` is on)."""
        if self._manager is not None and not self._manager.done():
            return
        self._closing = False
        self._terminated = False
        self._ready.clear()
        loop = asyncio.get_running_loop()
        ws = await self._dial(loop.time() + self.connect_timeout)
        assert ws is not None
        self._manager = loop.create_task(self._manage(ws), name="statserver-client")
        await self._ready.wait()

    async def close(self) -> None:
        """Close the connection; every subscription ends (its ``async for`` stops)."""
        self._closing = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5.0)
        manager = self._manager
        if manager is not None and not manager.done():
            manager.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await manager
        self._terminate(None)

    async def __aenter__(self) -> AsyncStatClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _dial(self, deadline: float | None) -> ClientConnection | None:
        """Connect once (no reconnect) or until ``deadline`` (None: until closed)."""
        loop = asyncio.get_running_loop()
        delay = self.backoff[0]
        while True:
            try:
                return await connect(
                    self.url,
                    open_timeout=self.connect_timeout,
                    ping_interval=self.ping_interval,
                    max_size=self.max_message_size,
                    compression=None,
                    proxy=None,
                )
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                problem = exc
            except InvalidURI as exc:
                raise StatServerConnectionError(str(exc)) from exc
            if self._closing:
                return None
            wait = delay * (0.8 + 0.4 * random.random())
            if not self.reconnect or (deadline is not None and loop.time() + wait > deadline):
                msg = f"cannot connect to {self.url}: {problem}"
                raise StatServerConnectionError(msg) from problem
            log.debug("cannot connect to %s (%s); retrying in %.1f s", self.url, problem, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, self.backoff[1])

    async def _manage(self, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        first = True
        while True:
            self._ws = ws
            reader = loop.create_task(self._read(ws), name="statserver-client-reader")
            if not first:
                self.reconnects += 1
                log.info(
                    "reconnected to %s; opening %d statistics again", self.url, len(self._subs)
                )
                await self._restore(ws)
            first = False
            if not reader.done():
                self._ready.set()
            await reader
            if self._closing or not self.reconnect:
                self._terminate(StatServerConnectionError(f"connection to {self.url} lost"))
                return
            try:
                dialed = await self._dial(None)
            except StatServerConnectionError as exc:
                self._terminate(exc)
                return
            if dialed is None:
                self._terminate(None)
                return
            ws = dialed

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                try:
                    event = _decode(message)
                except msgspec.DecodeError:
                    log.warning("ignored a message that is not JSON: %.200r", message)
                    continue
                if isinstance(event, dict):
                    self._dispatch(event)
                elif isinstance(event, list):  # a batched frame (?batch=1)
                    for item in event:
                        if isinstance(item, dict):
                            self._dispatch(item)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("connection to %s failed", self.url)
        finally:
            self._lost(ws)

    def _lost(self, ws: ClientConnection) -> None:
        if self._ws is ws:
            self._ws = None
        self._ready.clear()
        self.last_close = (ws.close_code, ws.close_reason)
        if not self._closing:
            level = logging.WARNING if ws.close_code == 1008 else logging.INFO
            log.log(
                level,
                "connection to %s lost (code %s: %s)",
                self.url,
                ws.close_code,
                ws.close_reason or "no reason",
            )
        pending, self._pending = self._pending, {}
        for queue in pending.values():
            for p in queue:
                if not p.future.done():
                    p.future.set_exception(_ConnectionLost())
        for sub in self._subs.values():
            sub.valid = False

    def _terminate(self, error: StatServerConnectionError | None) -> None:
        """No more connection: end every subscription and wake every waiting request."""
        self._terminated = True
        self._ws = None
        for sub in list(self._subs.values()):
            if error is not None and not self._closing:
                sub._end("failed", error)
            else:
                sub._end("closed")
        self._subs.clear()
        self._ready.set()

    # -- events -------------------------------------------------------------------------------
    def _dispatch(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        if name == "ServerMode":
            self.server_mode = event.get("mode")
            return
        ref = event.get("referenceId")
        handled = self._resolve(ref, str(name), event) if ref is not None else False
        sub = self._subs.get(ref) if isinstance(ref, int) else None
        if sub is not None:
            if name == "StatisticOpened":
                if sub.state == "opening":
                    sub.state = "open"
                sub.valid = True
            else:
                sub._event(str(name), event)
        if name == "Error" and not handled:
            log.warning(
                "server error for referenceId %r: [%s] %s",
                ref,
                event.get("code"),
                event.get("message"),
            )

    def _resolve(self, ref: Any, name: str, event: dict[str, Any]) -> bool:
        queue = self._pending.get(ref)
        if not queue:
            return False
        head = queue[0]
        if name != "Error" and name not in head.expects:
            return False
        queue.popleft()
        if not queue:
            del self._pending[ref]
        if not head.future.done():
            if name == "Error":
                head.future.set_exception(
                    StatServerRequestError(
                        str(event.get("code")), str(event.get("message", "")), ref
                    )
                )
            else:
                head.future.set_result(event)
        return True

    # -- requests -----------------------------------------------------------------------------
    async def _wait_ready(self) -> ClientConnection:
        while True:
            if self._manager is None or self._closing or self._terminated:
                msg = f"not connected to {self.url}"
                raise StatServerConnectionError(msg)
            ws = self._ws
            if ws is not None and self._ready.is_set():
                return ws
            await self._ready.wait()

    def _expect(self, ref: Any, expects: frozenset[str]) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(ref, deque()).append(_Pending(future, expects))
        return future

    async def _call(
        self, message: dict[str, Any], *expects: str, retry: bool = True
    ) -> dict[str, Any]:
        """Send a request and wait for its reply; sent again after a reconnection (unless
        ``retry`` is off)."""
        ref = message["referenceId"]
        data = _encode(message).decode()
        async with asyncio.timeout(self.request_timeout):
            while True:
                ws = await self._wait_ready()
                future = self._expect(ref, frozenset(expects))
                try:
                    await ws.send(data)
                    return await future
                except (ConnectionClosed, _ConnectionLost):
                    _settle(future)
                    if not (retry and self.reconnect) or self._closing:
                        msg = f"connection to {self.url} lost during {message['request']}"
                        raise StatServerConnectionError(msg) from None

    async def _send(self, message: dict[str, Any]) -> None:
        """Send a request that has no reply (Suspend/ResumeNotification), and return once
        the server has handled it: requests are handled in order, so the reply to a small
        GetStatisticProfile sent right after it says so."""
        async with asyncio.timeout(self.request_timeout):
            ws = await self._wait_ready()
            with contextlib.suppress(ConnectionClosed):
                await ws.send(_encode(message).decode())
        with contextlib.suppress(StatServerConnectionError):
            await self.get_profile("TimeRanges")

    def _message(
        self,
        request: str,
        ref: int,
        obj: ObjectArg,
        metric: MetricArg | MetricExArg,
        notification: NotificationArg = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "request": request,
            "referenceId": ref,
            "object": to_json(obj),
            "metric": to_json(metric),
        }
        if notification is not None:
            message["notification"] = to_json(notification)
        return message

    async def _open(self, message: dict[str, Any]) -> Subscription:
        ref = message["referenceId"]
        sub = Subscription(self, ref, message, self.buffer)
        self._subs[ref] = sub
        try:
            await self._call(message, "StatisticOpened")
        except BaseException as exc:
            self._subs.pop(ref, None)
            sub._end("failed", exc)
            raise
        sub.state = "open"
        return sub

    async def open_statistic(
        self, object: ObjectArg, metric: MetricArg, notification: NotificationArg = None
    ) -> Subscription:
        """``OpenStatistic``: a stat type configured on the server (``metric.statisticType``).

        ``notification`` defaults to Changes mode.  Returns once ``StatisticOpened`` came.
        """
        ref = next(self._refs)
        return await self._open(self._message("OpenStatistic", ref, object, metric, notification))

    async def open_statistic_ex(
        self, object: ObjectArg, metric: MetricExArg, notification: NotificationArg = None
    ) -> Subscription:
        """``OpenStatisticEx``: a statistic defined in the request (``metric.category``...)."""
        ref = next(self._refs)
        return await self._open(self._message("OpenStatisticEx", ref, object, metric, notification))

    def _check(self, sub: Subscription) -> None:
        if sub.client is not self or sub.closed or sub.state == "closing":
            raise StatServerRequestError(
                "unknown-reference-id",
                f"statistic {sub.reference_id} is not open on this client",
                sub.reference_id,
            )

    async def close_statistic(self, sub: Subscription) -> None:
        """``CloseStatistic``.  The server keeps computing it for other clients (and for a
        later open) until ``old-stats-removal-interval`` passes unused."""
        self._check(sub)
        sub.state = "closing"
        try:
            if self.connected:
                await self._call(
                    {"request": "CloseStatistic", "referenceId": sub.reference_id},
                    "StatisticClosed",
                    retry=False,
                )
        except StatServerConnectionError:
            pass  # the connection is gone: the server closed it anyway
        finally:
            self._subs.pop(sub.reference_id, None)
            sub._end("closed")

    async def peek(self, sub: Subscription) -> Any:
        """``PeekStatistic``: the current value now (whatever the notification mode); the
        value also goes to the subscription.  Not for CurrentTargetState (``not-supported``)."""
        self._check(sub)
        event = await self._call(
            {"request": "PeekStatistic", "referenceId": sub.reference_id}, "Info"
        )
        return event.get("value")

    async def suspend(self, sub: Subscription) -> None:
        """``SuspendNotification``: no values are pushed until :meth:`resume`."""
        self._check(sub)
        sub.suspended = True
        await self._send({"request": "SuspendNotification", "referenceId": sub.reference_id})

    async def resume(self, sub: Subscription) -> None:
        """``ResumeNotification``: pushing starts again, with the current value (Changes and
        Periodical modes)."""
        self._check(sub)
        sub.suspended = False
        await self._send({"request": "ResumeNotification", "referenceId": sub.reference_id})

    async def get_statistic(self, object: ObjectArg, metric: MetricArg) -> Any:
        """``GetStatistic``: a value once, without keeping the statistic open."""
        ref = next(self._refs)
        event = await self._call(self._message("GetStatistic", ref, object, metric), "Info")
        return event.get("value")

    async def get_statistic_ex(self, object: ObjectArg, metric: MetricExArg) -> Any:
        """``GetStatisticEx``: a value once for an inline definition."""
        ref = next(self._refs)
        event = await self._call(self._message("GetStatisticEx", ref, object, metric), "Info")
        return event.get("value")

    async def get_profile(self, part: str | None = None) -> dict[str, Any]:
        """``GetStatisticProfile``: what the server has configured.  ``part`` is
        ``StatTypes``, ``TimeProfiles``, ``TimeRanges`` or ``Filters`` (None: all); the
        result maps ``statTypes`` / ``timeProfiles`` / ``timeRanges`` / ``filters`` to them."""
        ref = next(self._refs)
        message: dict[str, Any] = {"request": "GetStatisticProfile", "referenceId": ref}
        if part is not None:
            message["profile"] = part
        event = await self._call(message, "StatisticProfile")
        return {k: v for k, v in event.items() if k not in ("event", "referenceId")}

    async def _restore(self, ws: ClientConnection) -> None:
        """After a reconnection: open every statistic again with its referenceId."""
        subs = [s for s in self._subs.values() if s.state == "open"]
        waits: list[tuple[Subscription, asyncio.Future[dict[str, Any]]]] = []
        try:
            for sub in subs:
                future = self._expect(sub.reference_id, frozenset({"StatisticOpened"}))
                waits.append((sub, future))
                await ws.send(_encode(sub.request).decode())
                if sub.suspended:
                    await ws.send(
                        _encode(
                            {"request": "SuspendNotification", "referenceId": sub.reference_id}
                        ).decode()
                    )
        except ConnectionClosed:
            pass
        for sub, future in waits:
            try:
                async with asyncio.timeout(self.request_timeout):
                    await future
            except StatServerRequestError as exc:
                log.error("statistic %s cannot be opened again: %s", sub.reference_id, exc)
                self._subs.pop(sub.reference_id, None)
                sub._end("failed", exc)
            except (_ConnectionLost, TimeoutError):
                for _, other in waits:
                    _settle(other)
                return


def _settle(future: asyncio.Future[Any]) -> None:
    """Cancel a future nobody will await, or mark its exception as seen."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()
