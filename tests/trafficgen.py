"""Valid T-Server traffic for the ``tests/helpers.py`` configuration, for property tests.

A traffic is a list of :class:`Step`: events that happen at the same time (seconds after
``T0``, with milliseconds).  It is produced by a small model of the contact center that only
offers what is valid in its current state:

* agents a1..a3 (login ids 5001..5003) log in on DNs 7001..7003 (free seating), to queue
  8000, 8001 or no queue, optionally ready at once; they log into and out of extra queues
  (which moves them in and out of the virtual group ``OnSales`` = ``LoggedIn("8000@SW1")``),
  go Ready, NotReady with a reason code (``Break``/``Lunch``, changed while not ready),
  AfterCallWork, and log out when they have no call;
* inbound calls are queued on 8000/8001 (user data ``Segment`` Gold/Silver, which may change
  while waiting), abandon from the queue, or are diverted to a logged-in DN with no call,
  where they ring, are answered, missed (released while ringing) or abandoned while ringing;
  established calls are held, retrieved, released, or abandoned while on hold;
* outbound calls are dialed from a free DN, connected and released.

``interpret(choices)`` turns a list of ``(delay seconds, milliseconds, choice)`` tuples into
steps: each choice picks one kind of operation among those valid at that moment
(``choice % kinds``), then one of its instances (``choice // kinds % instances``), so every
kind is about equally likely and Hypothesis shrinks a failing traffic to few, simple
operations.  ``traffic()`` is the
Hypothesis strategy; ``random_traffic(seed, n)`` the same with :mod:`random`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from helpers import Scenario

__all__ = [
    "AGENTS",
    "DNS",
    "QUEUES",
    "Step",
    "feed",
    "interpret",
    "random_traffic",
    "traffic",
]

DNS = ("7001", "7002", "7003")
AGENTS = {"5001": "a1", "5002": "a2", "5003": "a3"}
QUEUES = ("8000", "8001")
REASONS = ("Break", "Lunch")
SEGMENTS = ("Gold", "Silver")


@dataclass(frozen=True)
class Event:
    event: str
    attrs: dict[str, Any]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.attrs.items())
        return f"{self.event}({args})"


@dataclass(frozen=True)
class Step:
    """Events at one time ``t`` (seconds after T0)."""

    t: float
    op: str
    events: tuple[Event, ...]

    def __repr__(self) -> str:
        return f"Step({self.t!r}, {self.op!r}, {list(self.events)!r})"


@dataclass
class _Dn:
    login: str | None = None  # login id
    queues: list[str] = field(default_factory=list)
    mode: str = ""  # "", ready, notready, acw
    reason: str = ""
    call: str | None = None  # connection id of the call on the DN


@dataclass
class _Call:
    conn: str
    kind: str  # inbound / outbound
    phase: str  # queued, ringing, established, held, dialing
    queue: str | None
    dn: str | None = None
    segment: str = "Gold"


class _Model:
    def __init__(self) -> None:
        self.dns = {dn: _Dn() for dn in DNS}
        self.calls: dict[str, _Call] = {}
        self.next_call = 1

    def logged_in(self) -> set[str]:
        return {d.login for d in self.dns.values() if d.login}

    # every valid operation now, in a deterministic order: (name, apply function)
    def options(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        free_agents = [a for a in AGENTS if a not in self.logged_in()]
        for dn, s in self.dns.items():
            if s.login is None:
                for agent in free_agents:
                    for queue in (*QUEUES, None):
                        for ready in (False, True):
                            out.append(
                                (
                                    f"login {agent}@{dn} q={queue} ready={ready}",
                                    self._login(dn, agent, queue, ready),
                                )
                            )
                continue
            out.append((f"ready {dn}", self._mode(dn, "ready", "")))
            for reason in REASONS:
                out.append((f"notready {dn} {reason}", self._mode(dn, "notready", reason)))
            out.append((f"acw {dn}", self._mode(dn, "acw", "")))
            if s.call is None:
                out.append((f"logout {dn}", self._logout(dn)))
                out.append((f"dial {dn}", self._dial(dn)))
            for queue in QUEUES:
                if queue not in s.queues:
                    out.append((f"join {dn} {queue}", self._join(dn, queue)))
                elif len(s.queues) > 1:
                    out.append((f"leave {dn} {queue}", self._leave(dn, queue)))
        for queue in QUEUES:
            for seg in SEGMENTS:
                out.append((f"queue {queue} {seg}", self._enqueue(queue, seg)))
        for conn, c in self.calls.items():
            if c.phase == "queued":
                out.append((f"abandon-queue {conn}", self._abandon_queue(conn)))
                out.append((f"data {conn}", self._data(conn)))
                for dn, s in self.dns.items():
                    if s.login is not None and s.call is None:
                        out.append((f"divert {conn}->{dn}", self._divert(conn, dn)))
            elif c.phase == "ringing":
                out.append((f"answer {conn}", self._answer(conn)))
                out.append((f"abandon-ringing {conn}", self._abandon_ringing(conn)))
                out.append((f"miss {conn}", self._release(conn)))
            elif c.phase == "dialing":
                out.append((f"connect {conn}", self._answer(conn)))
                out.append((f"give-up {conn}", self._release(conn)))
            elif c.phase == "established":
                out.append((f"hold {conn}", self._hold(conn)))
                out.append((f"release {conn}", self._release(conn)))
            elif c.phase == "held":
                out.append((f"retrieve {conn}", self._retrieve(conn)))
                out.append((f"release-held {conn}", self._release(conn)))
                out.append((f"abandon-held {conn}", self._abandon_held(conn)))
        return out

    # -- operations: each returns a function that updates the model and gives the events
    def _login(self, dn: str, agent: str, queue: str | None, ready: bool) -> Any:
        def apply() -> list[Event]:
            s = self.dns[dn]
            s.login, s.queues = agent, [queue] if queue else []
            s.mode, s.reason = ("ready" if ready else ""), ""
            attrs: dict[str, Any] = {"thisDN": dn, "agentID": agent}
            if queue:
                attrs["thisQueue"] = queue
            if ready:
                attrs["workMode"] = "ManualIn"
            return [Event("EventAgentLogin", attrs)]

        return apply

    def _logout(self, dn: str) -> Any:
        def apply() -> list[Event]:
            s = self.dns[dn]
            agent = s.login
            self.dns[dn] = _Dn()
            return [Event("EventAgentLogout", {"thisDN": dn, "agentID": agent})]

        return apply

    def _join(self, dn: str, queue: str) -> Any:
        def apply() -> list[Event]:
            s = self.dns[dn]
            s.queues.append(queue)
            return [
                Event("EventAgentLogin", {"thisDN": dn, "agentID": s.login, "thisQueue": queue})
            ]

        return apply

    def _leave(self, dn: str, queue: str) -> Any:
        def apply() -> list[Event]:
            s = self.dns[dn]
            s.queues.remove(queue)
            return [
                Event("EventAgentLogout", {"thisDN": dn, "agentID": s.login, "thisQueue": queue})
            ]

        return apply

    def _mode(self, dn: str, mode: str, reason: str) -> Any:
        def apply() -> list[Event]:
            s = self.dns[dn]
            s.mode, s.reason = mode, reason
            attrs: dict[str, Any] = {"thisDN": dn, "agentID": s.login}
            if mode == "ready":
                return [Event("EventAgentReady", {**attrs, "workMode": "ManualIn"})]
            if mode == "acw":
                return [Event("EventAgentNotReady", {**attrs, "workMode": "AfterCallWork"})]
            attrs.update(workMode="AuxWork", reasons={"ReasonCode": reason})
            return [Event("EventAgentNotReady", attrs)]

        return apply

    def _enqueue(self, queue: str, segment: str) -> Any:
        def apply() -> list[Event]:
            conn = f"c{self.next_call:04d}"
            self.next_call += 1
            self.calls[conn] = _Call(conn, "inbound", "queued", queue, segment=segment)
            return [
                Event(
                    "EventQueued",
                    {
                        "thisDN": queue,
                        "connID": conn,
                        "callType": "Inbound",
                        "ani": "5550100",
                        "dnis": "8005550000",
                        "userData": {"Segment": segment},
                    },
                )
            ]

        return apply

    def _data(self, conn: str) -> Any:
        def apply() -> list[Event]:
            c = self.calls[conn]
            c.segment = "Silver" if c.segment == "Gold" else "Gold"
            return [
                Event(
                    "EventAttachedDataChanged",
                    {"thisDN": c.queue, "connID": conn, "userData": {"Segment": c.segment}},
                )
            ]

        return apply

    def _abandon_queue(self, conn: str) -> Any:
        def apply() -> list[Event]:
            c = self.calls.pop(conn)
            return [Event("EventAbandoned", {"thisDN": c.queue, "connID": conn})]

        return apply

    def _divert(self, conn: str, dn: str) -> Any:
        def apply() -> list[Event]:
            c = self.calls[conn]
            c.phase, c.dn = "ringing", dn
            self.dns[dn].call = conn
            return [
                Event("EventDiverted", {"thisDN": c.queue, "connID": conn, "otherDN": dn}),
                Event(
                    "EventRinging",
                    {
                        "thisDN": dn,
                        "connID": conn,
                        "callType": "Inbound",
                        "thisQueue": c.queue,
                        "otherDN": "5550100",
                        "userData": {"Segment": c.segment},
                    },
                ),
            ]

        return apply

    def _dial(self, dn: str) -> Any:
        def apply() -> list[Event]:
            conn = f"c{self.next_call:04d}"
            self.next_call += 1
            self.calls[conn] = _Call(conn, "outbound", "dialing", None, dn=dn)
            self.dns[dn].call = conn
            return [
                Event(
                    "EventDialing",
                    {"thisDN": dn, "connID": conn, "callType": "Outbound", "otherDN": "5550199"},
                )
            ]

        return apply

    def _answer(self, conn: str) -> Any:
        def apply() -> list[Event]:
            c = self.calls[conn]
            c.phase = "established"
            ctype = "Inbound" if c.kind == "inbound" else "Outbound"
            return [Event("EventEstablished", {"thisDN": c.dn, "connID": conn, "callType": ctype})]

        return apply

    def _hold(self, conn: str) -> Any:
        def apply() -> list[Event]:
            c = self.calls[conn]
            c.phase = "held"
            return [Event("EventHeld", {"thisDN": c.dn, "connID": conn})]

        return apply

    def _retrieve(self, conn: str) -> Any:
        def apply() -> list[Event]:
            c = self.calls[conn]
            c.phase = "established"
            return [Event("EventRetrieved", {"thisDN": c.dn, "connID": conn})]

        return apply

    def _gone(self, conn: str) -> _Call:
        c = self.calls.pop(conn)
        assert c.dn is not None
        self.dns[c.dn].call = None
        return c

    def _release(self, conn: str) -> Any:
        def apply() -> list[Event]:
            c = self._gone(conn)
            return [Event("EventReleased", {"thisDN": c.dn, "connID": conn})]

        return apply

    def _abandon_ringing(self, conn: str) -> Any:
        def apply() -> list[Event]:
            c = self._gone(conn)
            return [Event("EventAbandoned", {"thisDN": c.dn, "connID": conn})]

        return apply

    def _abandon_held(self, conn: str) -> Any:
        return self._abandon_ringing(conn)


Choice = tuple[int, int, int]


def interpret(choices: Iterable[Choice]) -> list[Step]:
    """Steps from ``(delay seconds, milliseconds, choice)`` tuples (see the module doc).

    The time of a step is the previous step's whole second + ``delay`` + ``ms``/1000, never
    earlier than the previous step.
    """
    model = _Model()
    steps: list[Step] = []
    t = 0.0
    for delay, ms, choice in choices:
        t = max(t, int(t) + delay + ms / 1000)
        groups: dict[str, list[tuple[str, Any]]] = {}
        for name, apply in model.options():
            groups.setdefault(name.split()[0], []).append((name, apply))
        kinds = list(groups.values())
        options = kinds[choice % len(kinds)]
        name, apply = options[(choice // len(kinds)) % len(options)]
        steps.append(Step(t, name, tuple(apply())))
    return steps


def traffic(
    min_size: int = 1, max_size: int = 60, max_delay: int = 40
) -> st.SearchStrategy[list[Step]]:
    """Hypothesis strategy for a valid traffic of ``min_size``..``max_size`` steps."""
    choice = st.tuples(
        st.integers(0, max_delay),
        st.integers(0, 999),
        st.integers(0, 1 << 16),
    )
    return st.lists(choice, min_size=min_size, max_size=max_size).map(interpret)


def random_traffic(seed: int, n: int, max_delay: int = 40) -> list[Step]:
    rng = random.Random(seed)
    return interpret(
        (rng.randint(0, max_delay), rng.randint(0, 999), rng.randint(0, 1 << 16)) for _ in range(n)
    )


def feed(sc: Scenario, steps: Sequence[Step]) -> None:
    """Feed every event of ``steps``; each must be applied (the traffic is valid)."""
    for step in steps:
        for ev in step.events:
            applied = sc.ev(step.t, ev.event, **ev.attrs)
            assert applied, f"rejected {ev} at {step.t}: {sc.engine.counters.rejected}"
