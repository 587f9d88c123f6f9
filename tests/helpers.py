"""Test helpers: build an engine from YAML text and drive it with events at given seconds.

    sc = Scenario(CONFIG)                       # T0 = 2026-11-25T10:00:00Z
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ready = sc.open("Agent", "a1", "ReadyTime")  # opened at the scenario's current time
    assert sc.value(ready, 60) == 55

Times are seconds after ``T0``.  Events use the contract's JSON keys and go through the same
validation as events from a file.
"""

from __future__ import annotations

import textwrap
from typing import Any

from statserver.config import load_config_text
from statserver.core.engine import Engine, StatisticRequest
from statserver.core.stats.statistic import Statistic
from statserver.events import decode_event_obj

T0 = 1795600800  # 2026-11-25T10:00:00+00:00

# A small center: one switch, a queue, a routing point, three agents at three places,
# an Interaction Server, and the stat types most tests need.
BASE_CONFIG = """
tenants:
  - name: Resources
switches:
  - {name: SW1, tenant: Resources, source: TS1}
sources:
  - {name: TS1, kind: tserver, tenants: [Resources]}
  - {name: IXN1, kind: interaction, tenants: [Resources]}
  - {name: IXN2, kind: interaction, tenants: [Resources]}
dns:
  - {number: "8000", switch: SW1, type: ACDQueue}
  - {number: "8001", switch: SW1, type: ACDQueue}
  - {number: "9000", switch: SW1, type: RoutingPoint}
  - {number: "7001", switch: SW1, type: Extension}
  - {number: "7002", switch: SW1, type: Extension}
  - {number: "7003", switch: SW1, type: Extension}
places:
  - {name: P1, dns: ["7001@SW1"]}
  - {name: P2, dns: ["7002@SW1"]}
  - {name: P3, dns: ["7003@SW1"]}
agents:
  - {employeeId: a1, userName: ann, loginIds: {SW1: "5001"}, skills: {Spanish: 7}, capacity: {voice: 1, chat: 2, email: 1}}
  - {employeeId: a2, userName: bob, loginIds: {SW1: "5002"}, skills: {Spanish: 3}, capacity: {voice: 1, chat: 2}}
  - {employeeId: a3, userName: cid, loginIds: {SW1: "5003"}}
agentGroups:
  - {name: Team, agents: [a1, a2, a3]}
  - {name: Spanish, script: 'Skill("Spanish")>=5'}
  - {name: OnSales, script: 'LoggedIn("8000@SW1")'}
placeGroups:
  - {name: Floor, places: [P1, P2, P3]}
dnGroups:
  - {name: Queues, dns: ["8000@SW1", "8001@SW1"]}
timeProfiles:
  Default: {type: Growing, value: "00:00"}
  Hourly: {type: Growing, value: "00:00+01:00"}
  Last10Min: {type: Sliding, value: "600:60"}
  Last3: {type: Selection, value: "3"}
  Login: {type: SinceLogin}
timeRanges:
  SL20: "0-20"
  Short5: "0-5"
filters:
  Gold: 'PairExists("Segment","Gold")'
  Break: 'PairExists("ReasonCode","Break")'
"""


def make_config(extra: str = "", base: str = BASE_CONFIG) -> Any:
    return load_config_text(textwrap.dedent(base) + textwrap.dedent(extra), source="<test>")


class Scenario:
    """An engine plus a clock in seconds after T0."""

    def __init__(self, extra: str = "", base: str = BASE_CONFIG, **options: Any) -> None:
        self.config = make_config(extra, base)
        if options:
            from dataclasses import replace

            self.config.engine_options = replace(self.config.engine_options, **options)
        self.engine = Engine(self.config.directory, self.config.catalog, self.config.engine_options)
        self.now = 0.0

    def ev(self, t: float, event: str, source: str = "TS1", **attrs: Any) -> bool:
        """Feed one event at T0 + t; returns whether it was applied."""
        self.now = t
        record = decode_event_obj({"event": event, "time": T0 + t, "source": source, **attrs})
        return self.engine.feed(record)

    def open(
        self,
        object_type: str,
        object_id: str,
        stat_type: str | None = None,
        at: float | None = None,
        *,
        inline: dict[str, Any] | None = None,
        tenant: str = "Resources",
        **kw: Any,
    ) -> Statistic:
        if at is not None:
            self.now = at
        req = StatisticRequest(tenant, object_type, object_id, stat_type, inline=inline, **kw)
        return self.engine.open(req, at=T0 + self.now)

    def value(self, stat: Statistic, t: float | None = None) -> Any:
        return self.engine.value(stat, T0 + (self.now if t is None else t))


def service_missing(reason: str) -> None:
    """A service a test needs (PostgreSQL, NATS, Chromium) is not there: skip, except in CI
    (``STATSERVER_REQUIRE_SERVICES=1``, set by .ci/run), where a missing service must fail
    rather than silently skip the tests that need it."""
    import os

    import pytest

    if os.environ.get("STATSERVER_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)
