"""One client connection, sans-I/O: messages in, events out.

:meth:`ClientSession.receive` takes one message (bytes or text) and queues the events to
send in :attr:`ClientSession.outbox`; the pool calls :meth:`send_info` and friends when a
value must be pushed.  The transport (WebSocket) only moves bytes: it drains the outbox and
closes the connection when :attr:`overflowed` is set (the client is too slow and its bounded
queue is full: it is cut off without slowing the others).

Events are queued already encoded as JSON (bytes): an ``Info`` event is put together from
its subscription's encoded prefix and a body that the pool encodes once for all the
subscribers of a statistic, and the queue holds nothing for the cyclic garbage collector
to walk.  :meth:`ClientSession.take_encoded` drains it for a transport;
:meth:`ClientSession.take` gives the events decoded.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Final

import msgspec

from statserver.errors import ErrorCode, RequestError
from statserver.protocol.messages import Request, decode_request, error_event
from statserver.protocol.requests import statistic_request
from statserver.service.pool import StatPool, Subscription

if TYPE_CHECKING:
    from statserver.core.engine import IntervalEnded

__all__ = ["ClientSession"]

log = logging.getLogger("statserver.clients")

_PROFILE_PARTS = ("StatTypes", "TimeProfiles", "TimeRanges", "Filters")
_encoder: Final = msgspec.json.Encoder()
_decoder: Final = msgspec.json.Decoder()


class ClientSession:
    def __init__(
        self,
        pool: StatPool,
        *,
        name: str = "",
        max_queue: int = 10_000,
        default_tenant: str | None = None,
        validity_events: bool = True,
    ) -> None:
        self.pool = pool
        self.name = name
        self.max_queue = max_queue
        self.default_tenant = default_tenant
        self.validity_events = validity_events
        #: the events to send, each encoded as JSON
        self.outbox: deque[bytes] = deque()
        self.overflowed = False
        self.subs: dict[Any, Subscription] = {}
        self.closed = False

    # -- output ---------------------------------------------------------------------------------
    def _put(self, event: dict[str, Any]) -> None:
        self._put_encoded(_encoder.encode(event))

    def _put_encoded(self, data: bytes) -> None:
        if self.overflowed or self.closed:
            return
        if len(self.outbox) >= self.max_queue:
            self.overflowed = True
            return
        self.outbox.append(data)

    def take_encoded(self) -> list[bytes]:
        """Every queued event, as JSON, in order; the queue is emptied."""
        out = list(self.outbox)
        self.outbox.clear()
        return out

    def take(self) -> list[dict[str, Any]]:
        """Every queued event, decoded, in order; the queue is emptied."""
        return [_decoder.decode(data) for data in self.take_encoded()]

    def send_info(self, sub: Subscription, value: Any, now: float, body: bytes) -> None:
        """An ``Info`` event: ``body`` is the event encoded after the reference id
        (:meth:`StatPool.info_body`, once for every subscriber of a statistic)."""
        self._put_encoded(sub.info_prefix + body)
        sub.record(value, now)

    def _send_current(self, sub: Subscription, now: float) -> None:
        value = self.pool.value(sub.stat, now)
        self.send_info(sub, value, now, self.pool.info_body(sub.stat, value, now))

    def send_reset(self, sub: Subscription, ended: IntervalEnded) -> None:
        self._put(
            {
                "event": "Info",
                "referenceId": sub.ref,
                "value": ended.value,
                "time": ended.boundary,
                "intervalEnd": ended.boundary,
            }
        )
        sub.record(ended.value, ended.boundary)

    def send_validity(self, sub: Subscription, valid: bool) -> None:
        if self.validity_events:
            event = "StatisticValid" if valid else "StatisticInvalid"
            self._put({"event": event, "referenceId": sub.ref})

    def target_update(self, sub: Subscription, now: float) -> None:
        """CurrentTargetState: send the targets that were added, removed or changed."""
        current = self.pool.engine.target_states(sub.stat)
        previous = sub.targets
        sub.targets = current
        if previous is None:
            self._put(
                {
                    "event": "CurrentTargetStateSnapshot",
                    "referenceId": sub.ref,
                    "targets": list(current.values()),
                    "time": int(now),
                }
            )
            return
        for key, target in current.items():
            old = previous.get(key)
            if old is None:
                self._put(
                    {
                        "event": "CurrentTargetStateTargetAdded",
                        "referenceId": sub.ref,
                        "target": target,
                        "time": int(now),
                    }
                )
            elif old != target:
                self._put(
                    {
                        "event": "CurrentTargetStateTargetUpdated",
                        "referenceId": sub.ref,
                        "target": target,
                        "time": int(now),
                    }
                )
        for key in previous.keys() - current.keys():
            self._put(
                {
                    "event": "CurrentTargetStateTargetRemoved",
                    "referenceId": sub.ref,
                    "target": {"agentId": key},
                    "time": int(now),
                }
            )

    # -- input ----------------------------------------------------------------------------------
    def receive(self, data: bytes | str, now: float) -> None:
        """Handle one client message; replies go to the outbox."""
        try:
            req = decode_request(data)
        except RequestError as exc:
            self._put(error_event(_reference_of(data), exc.code, exc.message))
            return
        try:
            self._dispatch(req, now)
        except RequestError as exc:
            self._put(error_event(req.reference_id, exc.code, exc.message))
        except Exception as exc:  # a bug must not cost the client its connection
            log.exception("%s %r failed", req.request, req.reference_id)
            self._put(
                error_event(
                    req.reference_id,
                    ErrorCode.INTERNAL,
                    f"{req.request} failed on the server: {type(exc).__name__}: {exc}",
                )
            )

    def _dispatch(self, req: Request, now: float) -> None:
        name = req.request
        if name in ("OpenStatistic", "OpenStatisticEx"):
            self._open(req, now, inline=name.endswith("Ex"))
        elif name in ("GetStatistic", "GetStatisticEx"):
            self._get(req, now, inline=name.endswith("Ex"))
        elif name == "GetStatisticProfile":
            self._put(self.profile_event(req.reference_id, req.profile))
        else:
            sub = self._sub(req)
            if name == "CloseStatistic":
                self._close(sub, now)
                self._put({"event": "StatisticClosed", "referenceId": req.reference_id})
            elif name == "PeekStatistic":
                if sub.target_state:
                    raise RequestError(
                        ErrorCode.NOT_SUPPORTED,
                        "PeekStatistic is not supported for CurrentTargetState (as in Genesys)",
                    )
                self._send_current(sub, now)
            elif name == "SuspendNotification":
                sub.suspended = True
            elif name == "ResumeNotification":
                sub.suspended = False
                if sub.mode in ("Changes", "Periodical"):
                    if sub.target_state:
                        self.target_update(sub, now)
                    else:
                        self._send_current(sub, now)

    def _sub(self, req: Request) -> Subscription:
        if req.reference_id is None:
            raise RequestError(ErrorCode.MALFORMED_REQUEST, f"{req.request} needs referenceId")
        sub = self.subs.get(req.reference_id)
        if sub is None:
            raise RequestError(
                ErrorCode.UNKNOWN_REFERENCE_ID,
                f"no statistic open with referenceId {req.reference_id!r} on this connection",
            )
        return sub

    def _request(self, req: Request, inline: bool) -> Any:
        if req.object is None or req.metric is None:
            raise RequestError(
                ErrorCode.MALFORMED_REQUEST, f"{req.request} needs object and metric"
            )
        return statistic_request(
            req.object, req.metric, default_tenant=self.default_tenant, inline=inline
        )

    def _open(self, req: Request, now: float, *, inline: bool) -> None:
        if req.reference_id is None:
            raise RequestError(ErrorCode.MALFORMED_REQUEST, f"{req.request} needs referenceId")
        if req.reference_id in self.subs:
            raise RequestError(
                ErrorCode.DUPLICATE_REFERENCE_ID,
                f"referenceId {req.reference_id!r} is already open on this connection; "
                "close it first or use another",
            )
        notification = req.notification
        mode = notification.mode if notification else "Changes"
        frequency = (notification.frequency if notification else None) or (
            self.pool.options.default_frequency
        )
        insensitivity = notification.insensitivity if notification else 0.0
        request = self._request(req, inline)
        stat = self.pool.open(request, now)
        cat = stat.definition.category
        if mode == "Reset" and not (cat.historical and self.pool.engine.watch_resets(stat)):
            self.pool.engine.release(stat)
            raise RequestError(
                ErrorCode.INVALID_DEFINITION,
                "Reset notification needs a historical category with a Growing time profile",
            )
        sub = Subscription(self, req.reference_id, stat, mode, frequency, insensitivity, now)
        self.subs[req.reference_id] = sub
        self.pool.subscribe(sub)
        self._put({"event": "StatisticOpened", "referenceId": req.reference_id})
        if cat.kind != "structured" and self.pool.options.generate_stat_validity_events:
            sub.valid = self.pool.engine.is_valid(stat)
            if not sub.valid:
                self.send_validity(sub, False)
        if mode in ("Changes", "Periodical"):
            if sub.target_state:
                self.target_update(sub, now)
            else:
                self._send_current(sub, now)

    def _get(self, req: Request, now: float, *, inline: bool) -> None:
        stat = self.pool.open(self._request(req, inline), now)
        try:
            if stat.definition.category.name == "CurrentTargetState":
                value: Any = {"targets": list(self.pool.engine.target_states(stat).values())}
            else:
                value = self.pool.value(stat, now)
        finally:
            self.pool.engine.release(stat)
        self._put(
            {"event": "Info", "referenceId": req.reference_id, "value": value, "time": int(now)}
        )

    def _close(self, sub: Subscription, now: float) -> None:
        del self.subs[sub.ref]
        self.pool.unsubscribe(sub, now)

    def close(self, now: float) -> None:
        """The connection is gone: its statistics stay in the pool."""
        for sub in list(self.subs.values()):
            self._close(sub, now)
        self.closed = True

    def profile_event(self, reference_id: Any, part: str | None) -> dict[str, Any]:
        if part is not None and part not in _PROFILE_PARTS:
            raise RequestError(
                ErrorCode.MALFORMED_REQUEST,
                f"profile {part!r}; accepted: {', '.join(_PROFILE_PARTS)} (or none for all)",
            )
        catalog = self.pool.engine.catalog
        event: dict[str, Any] = {"event": "StatisticProfile", "referenceId": reference_id}
        if part in (None, "StatTypes"):
            event["statTypes"] = {
                name: {
                    "Category": d.category.name,
                    "Subject": d.subject.value,
                    "Objects": ",".join(sorted(o.value for o in d.objects)),
                    "MainMask": d.main_text,
                    "RelMask": d.rel_text,
                    "MediaType": ",".join(sorted(d.media)) if d.media else "",
                    "Description": d.description,
                    "unit": d.category.unit,
                }
                for name, d in catalog.stat_types.items()
            }
        if part in (None, "TimeProfiles"):
            event["timeProfiles"] = {
                name: {"type": p.kind.value, "description": p.describe()}
                for name, p in catalog.profiles.items()
            }
        if part in (None, "TimeRanges"):
            event["timeRanges"] = {name: f"{lo}-{hi}" for name, (lo, hi) in catalog.ranges.items()}
        if part in (None, "Filters"):
            event["filters"] = {name: f.text for name, f in catalog.filters.items()}
        return event


def _reference_of(data: bytes | str) -> Any:
    import msgspec

    try:
        obj = msgspec.json.decode(data)
    except msgspec.DecodeError:
        return None
    return obj.get("referenceId") if isinstance(obj, dict) else None
