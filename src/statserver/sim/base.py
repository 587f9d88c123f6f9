"""What every part of the simulation shares: its state, its clock (a heap of scheduled
calls), its random draws, and how it emits event records."""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from statserver.sim.center import Center
from statserver.sim.model import (
    Agent,
    Channel,
    Emitted,
    Interaction,
    MediaQueue,
    Queue,
    Switch,
    Tenant,
    VoiceCall,
    iso_time,
)
from statserver.sim.options import SimOptions, profile_factor

__all__ = ["SimulationBase"]


class SimulationBase:
    def __init__(self, center: Center, options: SimOptions | None = None) -> None:
        self.center = center
        self.options = opt = options or SimOptions()
        self.rng = random.Random(opt.seed)
        self.start = round(opt.start * 1000)
        self.now = self.start
        self.emitted = 0
        #: how often each notable thing happened ("transfer", "rona", "break:Lunch", ...)
        self.counts: Counter[str] = Counter()
        self._heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self._ids = 0
        self._out: list[Emitted] = []
        self._iso_ms = -1
        self._iso = ""
        self.tenants: dict[str, Tenant] = {}

    # -- the clock ---------------------------------------------------------------------------
    def next_time(self) -> int | None:
        """When the next scheduled thing happens (ms), or None."""
        return self._heap[0][0] if self._heap else None

    def advance(self, until: int) -> list[Emitted]:
        """Run to ``until`` (ms since the epoch); the records of what happened, in order."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            t, _, fn, args = heapq.heappop(heap)
            self.now = t
            fn(*args)
        self.now = max(self.now, until)
        out, self._out = self._out, []
        self.emitted += len(out)
        return out

    def _at(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self._at_ms(self.now + max(0, round(delay * 1000)), fn, *args)

    def _at_ms(self, t: int, fn: Callable[..., None], *args: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, fn, args))

    def _next_arrival(self, rate: float, fn: Callable[..., None], arg: Any) -> None:
        """Schedule the next arrival of a Poisson process of ``rate`` per second (at a
        profile factor of 1) modulated by the time-of-day profile (thinning)."""
        if rate <= 0:
            return
        o = self.options
        peak = max(o.profile)
        t = self.now
        while True:
            t += max(1, int(self.rng.expovariate(rate * peak) * 1000))
            if self.rng.random() * peak <= profile_factor(o.profile, t / 1000.0, o.utc_offset):
                break
        self._at_ms(t, fn, arg)

    # -- random helpers ----------------------------------------------------------------------
    def _lognormal(self, mean: float, sigma: float = 0.5) -> float:
        mu = math.log(max(mean, 1e-3)) - sigma * sigma / 2
        return self.rng.lognormvariate(mu, sigma)

    def _uniform(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi)

    def _new_id(self) -> str:
        self._ids += 1
        return f"{self._ids:016x}"

    def _phone(self) -> str:
        return f"+1555{self.rng.randrange(10**7):07d}"

    # -- emitting ----------------------------------------------------------------------------
    def _time(self) -> str:
        if self._iso_ms != self.now:
            self._iso_ms = self.now
            self._iso = iso_time(self.now)
        return self._iso

    def _record(self, source: str, event: str, attrs: dict[str, Any]) -> dict[str, Any]:
        rec: dict[str, Any] = {"event": event, "time": self._time(), "source": source}
        for key, value in attrs.items():
            if value is not None:
                rec[key] = value
        return rec

    def _t(self, a: Agent | Switch, event: str, **attrs: Any) -> None:
        """A T-Server event (the source of the agent's or the switch's T-Server)."""
        spec = a.spec
        self._out.append(Emitted(spec.tenant, self._record(spec.source, event, attrs)))

    def _wait_in(
        self, queue: Queue | MediaQueue, item: VoiceCall | Interaction, *, front: bool
    ) -> None:
        """A call or an interaction joins a queue's waiting line (at its head when it comes
        back from an agent who did not take it)."""
        queue.truth.entered += 1
        item.state, item.entered, item.agent = "waiting", self.now, None
        item.token += 1
        waiting: list[Any] = queue.waiting
        if front:
            waiting.insert(0, item)
        else:
            waiting.append(item)

    def _i(self, tenant: str, source: str, tag: bool, event: str, **attrs: Any) -> None:
        """An Interaction Server event."""
        if tag:
            attrs["tenant"] = tenant
        self._out.append(Emitted(tenant, self._record(source, event, attrs)))

    def _ch(self, a: Agent, ch: Channel, event: str, **attrs: Any) -> None:
        mq = self.tenants[a.spec.tenant].media[ch.media]
        self._i(
            a.spec.tenant,
            ch.source,
            mq.tag_tenant,
            event,
            agentID=a.id,
            mediaType=ch.media,
            **attrs,
        )
