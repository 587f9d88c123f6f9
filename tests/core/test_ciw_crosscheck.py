"""Cross-check against an independent model: the Ciw queueing simulator.

Ciw simulates an M/M/c queue with abandonment (reneging after an exponential patience) with a
fixed seed.  Its per-customer records (arrival, service start, service end, server, or the
time it reneged) become T-Server events for one ACD queue and ``c`` agents, ready from the
start:

* arrival: ``EventQueued`` on 8000;
* service start: ``EventDiverted`` on 8000 to the server's DN, ``EventRinging`` and
  ``EventEstablished`` there;
* service end: ``EventReleased`` on the DN;
* renege: ``EventAbandoned`` on 8000.

Ciw's time unit is a second, from 10:01:00 UTC on 2026-11-25, rounded to milliseconds as an
event carries them.  The expected values are computed from Ciw's records alone, with the
documented rule for durations (milliseconds truncated from both timestamps, then the
difference), and compared exactly with what the engine gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ciw
import pytest

from helpers import T0
from statserver.config import load_config_text
from statserver.core.engine import Engine, StatisticRequest
from statserver.events import decode_event_obj

BASE_MS = T0 * 1000 + 60_000  # Ciw time 0 is 10:01:00, a minute after the agents log in


def config_text(c: int) -> str:
    dns = "\n".join(
        f'  - {{number: "{7000 + i}", switch: SW1, type: Extension}}' for i in range(1, c + 1)
    )
    places = "\n".join(f'  - {{name: P{i}, dns: ["{7000 + i}@SW1"]}}' for i in range(1, c + 1))
    agents = "\n".join(
        f'  - {{employeeId: a{i}, userName: u{i}, loginIds: {{SW1: "{5000 + i}"}}}}'
        for i in range(1, c + 1)
    )
    members = ", ".join(f"a{i}" for i in range(1, c + 1))
    return f"""
tenants:
  - name: Resources
switches:
  - {{name: SW1, tenant: Resources, source: TS1}}
sources:
  - {{name: TS1, kind: tserver, tenants: [Resources]}}
dns:
  - {{number: "8000", switch: SW1, type: ACDQueue}}
{dns}
places:
{places}
agents:
{agents}
agentGroups:
  - {{name: Team, agents: [{members}]}}
timeRanges:
  SL20: "0-20"
statTypes:
  Entered: {{Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallEntered}}
  Answered: {{Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallAnswered}}
  Abandoned: {{Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallAbandoned}}
  Distributed: {{Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallDistributed}}
  ASA: {{Objects: Queue, Category: AverageTime, Subject: DNAction, MainMask: CallAnswered}}
  AnsweredTime: {{Objects: Queue, Category: TotalTime, Subject: DNAction, MainMask: CallAnswered}}
  MaxAnswerWait: {{Objects: Queue, Category: MaxTime, Subject: DNAction, MainMask: CallAnswered}}
  MaxWait: {{Objects: Queue, Category: MaxTime, Subject: DNAction, MainMask: CallWait}}
  WaitTime: {{Objects: Queue, Category: TotalTime, Subject: DNAction, MainMask: CallWait}}
  SL: {{Objects: Queue, Category: ServiceFactor1, Subject: DNAction, MainMask: CallAnswered, RelMask: CallAbandoned}}
  Waiting: {{Objects: Queue, Category: CurrentNumber, Subject: DNAction, MainMask: CallWait}}
  OldestWaiting: {{Objects: Queue, Category: CurrentMaxTime, Subject: DNAction, MainMask: CallWait}}
  Talking: {{Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: DNAction, MainMask: CallInbound}}
  TalkTime: {{Objects: "Agent,GroupAgents", Category: TotalTime, Subject: DNAction, MainMask: CallInbound}}
  TalkCalls: {{Objects: "Agent,GroupAgents", Category: TotalNumber, Subject: DNAction, MainMask: CallInbound}}
"""


@dataclass(frozen=True)
class Customer:
    """One Ciw record in milliseconds after Ciw's time 0."""

    conn: str
    arrival: int
    start: int | None  # service start (None: reneged)
    end: int  # service end, or when it reneged
    server: int | None

    @property
    def served(self) -> bool:
        return self.start is not None

    @property
    def wait_end(self) -> int:
        return self.start if self.start is not None else self.end


def whole(ms: int) -> int:
    """Unix whole seconds of a time in ms after Ciw's 0 (milliseconds truncated)."""
    return (BASE_MS + ms) // 1000


def simulate(
    c: int, seed: int, customers: int, arrival_s: float, service_s: float, patience_s: float
) -> list[Customer]:
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=1 / arrival_s)],
        service_distributions=[ciw.dists.Exponential(rate=1 / service_s)],
        number_of_servers=[c],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1 / patience_s)],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(customers, method="Finish")
    out = []
    for r in sorted(sim.get_all_records(), key=lambda r: r.id_number):
        ms = lambda x: round(x * 1000)  # noqa: E731
        if r.record_type == "service":
            out.append(
                Customer(
                    f"c{r.id_number:04d}",
                    ms(r.arrival_date),
                    ms(r.service_start_date),
                    ms(r.service_end_date),
                    r.server_id,
                )
            )
        else:
            assert r.record_type == "renege", r
            out.append(
                Customer(f"c{r.id_number:04d}", ms(r.arrival_date), None, ms(r.exit_date), None)
            )
    assert len(out) == customers
    return out


def events(customers: list[Customer]) -> list[tuple[int, int, dict[str, Any]]]:
    """(ms, rank, event) sorted by time; at one millisecond releases come first (a server
    freed at t takes the next call at t), then arrivals, abandons and service starts."""
    out: list[tuple[int, int, dict[str, Any]]] = []
    for cu in customers:
        q = {"thisDN": "8000", "connID": cu.conn}
        out.append((cu.arrival, 1, {"event": "EventQueued", **q, "callType": "Inbound"}))
        if cu.start is None:
            assert cu.end >= cu.arrival
            out.append((cu.end, 2, {"event": "EventAbandoned", **q}))
            continue
        dn = {"thisDN": str(7000 + (cu.server or 0)), "connID": cu.conn}
        assert cu.arrival <= cu.start < cu.end, f"degenerate Ciw record {cu}"
        out.append((cu.start, 3, {"event": "EventDiverted", **q, "otherDN": dn["thisDN"]}))
        out.append(
            (
                cu.start,
                3,
                {"event": "EventRinging", **dn, "callType": "Inbound", "thisQueue": "8000"},
            )
        )
        out.append((cu.start, 3, {"event": "EventEstablished", **dn, "callType": "Inbound"}))
        out.append((cu.end, 0, {"event": "EventReleased", **dn}))
    out.sort(key=lambda e: (e[0], e[1]))  # stable: a customer's own events keep their order
    return out


class Center:
    def __init__(self, c: int) -> None:
        config = load_config_text(config_text(c), source="<ciw>")
        self.engine = Engine(config.directory, config.catalog, config.engine_options)
        self.c = c

    def feed(self, ms: int, ev: dict[str, Any]) -> None:
        record = decode_event_obj({**ev, "time": (BASE_MS + ms) / 1000, "source": "TS1"})
        assert self.engine.feed(record), (ms, ev, self.engine.counters.rejected)

    def open(self, otype: str, oid: str, stat_type: str, **kw: Any) -> Any:
        return self.engine.open(StatisticRequest("Resources", otype, oid, stat_type, **kw), at=T0)

    def value(self, stat: Any, ms: int) -> Any:
        return self.engine.value(stat, (BASE_MS + ms) / 1000)


SCENARIOS = {
    # c, seed, customers, mean inter-arrival, mean service, mean patience (seconds)
    "4-agents-busy": (4, 1, 300, 25.0, 80.0, 60.0),
    "2-agents-overloaded": (2, 7, 250, 30.0, 75.0, 45.0),
    "6-agents-light": (6, 2026, 400, 12.0, 60.0, 90.0),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_engine_agrees_with_ciw(scenario: str) -> None:
    """Offered, answered, abandoned, ASA, service level (20 s), per-agent talk time and calls,
    the longest waits, and at sample instants the calls waiting and talking, as computed from
    Ciw's records, are exactly what the engine gives for the same calls as events."""
    c, seed, n, arrival_s, service_s, patience_s = SCENARIOS[scenario]
    customers = simulate(c, seed, n, arrival_s, service_s, patience_s)
    served = [cu for cu in customers if cu.served]
    reneged = [cu for cu in customers if not cu.served]
    assert served, "the scenario should have answers"
    assert reneged, "the scenario should have abandons"

    center = Center(c)
    for i in range(1, c + 1):  # logged in and ready on the queue at 10:00:00
        center.feed(
            -60_000,
            {
                "event": "EventAgentLogin",
                "thisDN": str(7000 + i),
                "agentID": str(5000 + i),
                "thisQueue": "8000",
                "workMode": "ManualIn",
            },
        )
    queue = {
        name: center.open("Queue", "8000@SW1", name)
        for name in (
            "Entered",
            "Answered",
            "Abandoned",
            "Distributed",
            "ASA",
            "AnsweredTime",
            "MaxAnswerWait",
            "MaxWait",
            "WaitTime",
            "Waiting",
            "OldestWaiting",
        )
    }
    queue["SL"] = center.open("Queue", "8000@SW1", "SL", time_range="SL20")
    agents = {
        i: {n: center.open("Agent", f"a{i}", n) for n in ("TalkTime", "TalkCalls", "Talking")}
        for i in range(1, c + 1)
    }
    team = {n: center.open("GroupAgents", "Team", n) for n in ("TalkTime", "TalkCalls", "Talking")}

    evs = events(customers)
    last = evs[-1][0]
    samples = list(range(30_500, last, 397_250))  # every 6 min 37.25 s
    checked = 0
    k = 0
    for sample in [*samples, last + 1000]:
        while k < len(evs) and evs[k][0] <= sample:
            center.feed(evs[k][0], evs[k][2])
            k += 1
        # Ciw's state at the sample from its records (events at the sample included)
        waiting = [cu for cu in customers if cu.arrival <= sample < cu.wait_end]
        talking = [cu for cu in served if cu.start is not None and cu.start <= sample < cu.end]
        assert center.value(queue["Waiting"], sample) == len(waiting), sample
        oldest = whole(sample) - min(whole(cu.arrival) for cu in waiting) if waiting else 0
        assert center.value(queue["OldestWaiting"], sample) == oldest, sample
        assert center.value(team["Talking"], sample) == len(talking), sample
        for i in range(1, c + 1):
            assert center.value(agents[i]["Talking"], sample) == sum(
                1 for cu in talking if cu.server == i
            )
        checked += bool(waiting)
    assert checked >= 2, "some samples should see calls waiting"
    assert k == len(evs)

    end = last + 1000
    v = {name: center.value(stat, end) for name, stat in queue.items()}
    answer_waits = [whole(cu.wait_end) - whole(cu.arrival) for cu in served]
    all_waits = [whole(cu.wait_end) - whole(cu.arrival) for cu in customers]
    in_sl = sum(1 for w in answer_waits if 0 <= w < 20)
    assert v["Entered"] == len(customers)
    assert v["Answered"] == len(served)
    assert v["Distributed"] == len(served)
    assert v["Abandoned"] == len(reneged)
    assert v["AnsweredTime"] == sum(answer_waits)
    assert v["ASA"] == sum(answer_waits) // len(served)  # average of times, truncated
    assert v["MaxAnswerWait"] == max(answer_waits)
    assert v["MaxWait"] == max(all_waits)
    assert v["WaitTime"] == sum(all_waits)
    assert v["SL"] == pytest.approx(100.0 * in_sl / (len(served) + len(reneged)))
    for i in range(1, c + 1):
        mine = [cu for cu in served if cu.server == i]
        assert center.value(agents[i]["TalkCalls"], end) == len(mine), i
        assert center.value(agents[i]["TalkTime"], end) == sum(
            whole(cu.end) - whole(cu.wait_end) for cu in mine
        ), i
    assert center.value(team["TalkCalls"], end) == len(served)
    assert center.value(team["TalkTime"], end) == sum(
        whole(cu.end) - whole(cu.wait_end) for cu in served
    )
    assert center.engine.counters.rejected_total == 0
