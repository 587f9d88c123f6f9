"""The persistent statistic pool and notification decisions.  Sans-I/O: no sockets, no clock.

* Identical definitions share one engine statistic whoever opened them (the engine pools
  them); the pool adds *subscriptions*: one per (client session, referenceId), each with its
  notification mode.
* A statistic keeps being computed after its last subscription closes; it is removed when
  nobody has requested it for ``old-stats-removal-interval`` seconds (default three days).
* Values are computed once per statistic per round and offered to each subscription, which
  decides whether to send (Changes with insensitivity, Periodical with frequency, Reset at
  Growing resets, None never).
* Only statistics with a Changes-mode subscription are watched for changes by the engine
  (``Engine.watch_changes``): the others cost no change collection per event.

Insensitivity (decision Q4): a new value is sent only when it differs from the last one
sent by at least ``insensitivity`` (absolute: units of the value, seconds for times,
percentage points for percentages); 0 sends every change.  Structures are sent on any change.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from statserver.core.engine import Engine, IntervalEnded, StatisticRequest
from statserver.core.stats.statistic import Statistic
from statserver.protocol.messages import info_body, info_prefix

if TYPE_CHECKING:
    from statserver.protocol.session import ClientSession

__all__ = ["PoolOptions", "StatPool", "Subscription"]


@dataclass(frozen=True)
class PoolOptions:
    old_stats_removal_interval: float = 3 * 24 * 3600.0
    generate_stat_validity_events: bool = True
    default_frequency: float = 10.0


class Subscription:
    __slots__ = (
        "active",
        "due",
        "frequency",
        "info_prefix",
        "insensitivity",
        "last_sent",
        "last_value",
        "mode",
        "ref",
        "sent_any",
        "session",
        "stat",
        "suspended",
        "target_state",
        "targets",
        "valid",
    )

    def __init__(
        self,
        session: ClientSession,
        ref: Any,
        stat: Statistic,
        mode: str,
        frequency: float,
        insensitivity: float,
        now: float,
    ) -> None:
        self.session = session
        self.ref = ref
        #: its ``Info`` events up to the value, encoded once
        self.info_prefix = info_prefix(ref)
        self.stat = stat
        self.mode = mode
        self.frequency = max(0.1, frequency)
        self.insensitivity = max(0.0, insensitivity)
        self.suspended = False
        self.last_value: Any = None
        self.sent_any = False
        self.last_sent = now
        self.due = now + self.frequency
        #: CurrentTargetState: the targets last sent, by agent id
        self.targets: dict[str, Any] | None = None
        self.valid = True
        #: False once closed
        self.active = True
        #: CurrentTargetState subscriptions get target updates instead of values
        self.target_state = stat.definition.category.name == "CurrentTargetState"

    def significant(self, value: Any) -> bool:
        """Whether ``value`` differs enough from the last value sent."""
        if not self.sent_any:
            return True
        last = self.last_value
        if value == last:
            return False
        if self.insensitivity <= 0:
            return True
        if isinstance(value, (int, float)) and isinstance(last, (int, float)):
            return abs(value - last) >= self.insensitivity
        return True

    def record(self, value: Any, now: float) -> None:
        self.last_value = value
        self.sent_any = True
        self.last_sent = now


class StatPool:
    def __init__(
        self,
        engine: Engine,
        options: PoolOptions | None = None,
        *,
        journal: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.engine = engine
        self.options = options or PoolOptions()
        #: statistic id -> its subscriptions
        self.subs: dict[int, list[Subscription]] = {}
        self._journal = journal
        self.pushes = 0
        #: subscriptions in all (kept as they come and go: the metrics read it every second)
        self.subscription_count = 0
        #: Periodical subscriptions by the whole second at which they are next due, and a
        #: heap of those seconds: a tick looks only at what is due
        self._due: dict[int, list[Subscription]] = {}
        self._due_seconds: list[int] = []
        #: statistic id -> its Changes subscriptions whose value moves with time alone
        #: (re-read every tick)
        self._moving: dict[int, list[Subscription]] = {}

    # -- opening and closing ------------------------------------------------------------------
    def open(self, request: StatisticRequest, now: float) -> Statistic:
        """Open (or find) the statistic; counted as a request for the removal timer."""
        at = self.engine_time(request.tenant, now)
        if self._journal is not None:
            self._journal("open", (request, at))
        stat = self.engine.open(request, at=at)
        stat.last_request = now
        return stat

    def engine_time(self, tenant: str, now: float) -> float | None:
        t = self.engine.tenants.get(tenant)
        if t is None or not t.started:
            return now
        return None

    def subscribe(self, sub: Subscription) -> None:
        self.subs.setdefault(sub.stat.id, []).append(sub)
        self.subscription_count += 1
        if sub.mode == "Reset":
            self.engine.watch_resets(sub.stat)
        elif sub.mode == "Periodical":
            self._schedule(sub)
        elif sub.mode == "Changes":
            self.engine.watch_changes(sub.stat)
            if sub.stat.time_dependent and not sub.target_state:
                self._moving.setdefault(sub.stat.id, []).append(sub)

    def _schedule(self, sub: Subscription) -> None:
        """File a Periodical subscription under the whole second in which it is next due
        (the tick of that second looks at it, and files it again if it is not due yet)."""
        second = math.floor(sub.due + 1e-6)
        bucket = self._due.get(second)
        if bucket is None:
            bucket = self._due[second] = []
            heapq.heappush(self._due_seconds, second)
        bucket.append(sub)

    def unsubscribe(self, sub: Subscription, now: float) -> None:
        subs = self.subs.get(sub.stat.id)
        if subs is not None and sub in subs:
            subs.remove(sub)
            self.subscription_count -= 1
            if not subs:
                del self.subs[sub.stat.id]
        sub.active = False  # a Periodical one leaves its due bucket when that comes up
        moving = self._moving.get(sub.stat.id)
        if moving is not None and sub in moving:
            moving.remove(sub)
            if not moving:
                del self._moving[sub.stat.id]
        self.engine.release(sub.stat)
        sub.stat.last_request = now
        left = self.subs.get(sub.stat.id, ())
        if sub.mode == "Reset" and not any(s.mode == "Reset" for s in left):
            self.engine.unwatch_resets(sub.stat)
        if sub.mode == "Changes" and not any(s.mode == "Changes" for s in left):
            self.engine.unwatch_changes(sub.stat)

    def sweep(self, now: float, stats: Iterable[Statistic] | None = None) -> list[Statistic]:
        """Remove statistics nobody requested for ``old-stats-removal-interval`` (among
        ``stats``, by default all of them)."""
        removed = []
        limit = now - self.options.old_stats_removal_interval
        for stat in self.engine.statistics() if stats is None else stats:
            if stat.id in self.subs:
                continue
            last = stat.last_request
            if last < 0:
                stat.last_request = now
            elif last <= limit:
                if self._journal is not None:
                    self._journal("remove", stat.id)
                self.engine.remove(stat)
                removed.append(stat)
        return removed

    # -- values -----------------------------------------------------------------------------
    def value(self, stat: Statistic, now: float) -> Any:
        return self.engine.value(stat, self.engine.read_time(stat, now))

    def interval_start(self, stat: Statistic) -> int | None:
        """Start of the statistic's current interval (None for current categories)."""
        return stat.interval_start(self.engine.now_for(stat))

    def info_body(self, stat: Statistic, value: Any, now: float) -> bytes:
        """The ``Info`` event of ``value`` after the reference id: read and encoded once
        per statistic for all its subscribers."""
        return info_body(value, now, self.interval_start(stat))

    def changed(self, stats: Iterable[Statistic], now: float) -> None:
        """Offer new values of ``stats`` to their Changes-mode subscriptions.  The value
        and the interval start are read once per statistic, whoever subscribed to it."""
        subs_of = self.subs
        for stat in stats:
            subs = subs_of.get(stat.id)
            if not subs:
                continue
            value: Any = _UNSET
            body: bytes | None = None
            for sub in subs:
                if sub.suspended or sub.mode != "Changes":
                    continue
                if sub.target_state:
                    sub.session.target_update(sub, now)
                    continue
                if value is _UNSET:
                    value = self.value(stat, now)
                if sub.significant(value):
                    if body is None:
                        body = self.info_body(stat, value, now)
                    sub.session.send_info(sub, value, now, body)
                    self.pushes += 1

    def tick_work(self, now: float) -> list[list[Subscription]]:
        """What a tick at ``now`` has to look at, grouped by statistic: the Periodical
        subscriptions due by then (taken out of their due buckets: :meth:`tick`
        files them again) and the Changes subscriptions whose value moves with time.
        Neither the statistics nor the subscriptions that have nothing to do are walked."""
        by_stat: dict[int, list[Subscription]] = {}
        heap, due = self._due_seconds, self._due
        while heap and heap[0] <= now + 1e-6:
            for sub in due.pop(heapq.heappop(heap)):
                if sub.active:
                    by_stat.setdefault(sub.stat.id, []).append(sub)
        for stat_id, subs in self._moving.items():
            group = by_stat.get(stat_id)
            by_stat[stat_id] = [*group, *subs] if group else subs
        return list(by_stat.values())

    def tick(self, now: float, part: Iterable[list[Subscription]] | None = None) -> None:
        """Once a second: Periodical subscriptions that are due, and Changes subscriptions
        whose value moves with time alone.  ``part``: groups of :meth:`tick_work` (the
        server runs them in slices); by default all of it."""
        for subs in self.tick_work(now) if part is None else part:
            if not subs:
                continue
            stat = subs[0].stat
            value: Any = _UNSET
            body: bytes | None = None
            moving = stat.time_dependent
            for sub in subs:
                if sub.mode == "Periodical":
                    due = sub.due <= now + 1e-6
                    # filed again under its next due second, whether it sends now or not
                    while sub.due <= now + 1e-6:
                        sub.due += sub.frequency
                    self._schedule(sub)
                    if not due or sub.suspended:
                        continue
                    if value is _UNSET:
                        value = self.value(stat, now)
                    if sub.target_state:
                        sub.session.target_update(sub, now)
                    elif sub.insensitivity <= 0 or sub.significant(value):
                        if body is None:
                            body = self.info_body(stat, value, now)
                        sub.session.send_info(sub, value, now, body)
                        self.pushes += 1
                elif (
                    sub.mode == "Changes" and moving and not sub.target_state and not sub.suspended
                ):
                    if value is _UNSET:
                        value = self.value(stat, now)
                    if sub.significant(value):
                        if body is None:
                            body = self.info_body(stat, value, now)
                        sub.session.send_info(sub, value, now, body)
                        self.pushes += 1

    def resets(self, ended: Iterable[IntervalEnded]) -> None:
        for item in ended:
            for sub in self.subs.get(item.statistic.id, ()):
                if sub.mode == "Reset" and not sub.suspended:
                    sub.session.send_reset(sub, item)
                    self.pushes += 1

    def validity(self, now: float) -> None:
        """After a link change: tell subscriptions whose statistic became (in)valid."""
        if not self.options.generate_stat_validity_events:
            return
        for subs in self.subs.values():
            stat = subs[0].stat
            if stat.definition.category.kind == "structured":
                continue
            valid = self.engine.is_valid(stat)
            for sub in subs:
                if sub.valid != valid:
                    sub.valid = valid
                    sub.session.send_validity(sub, valid)


_UNSET: Any = object()
