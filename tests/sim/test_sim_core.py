"""The simulation core, fed straight into the engine (no network): every event is valid,
the traffic has every feature the issue lists, and the statistics of the sample
configuration equal the simulator's own ground truth (counted in whole seconds with the
milliseconds truncated on both timestamps, as docs/stat-types.md says)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sim_support import STATUS_STATS, T0, config_from, expected_count, groups, sample_doc

from statserver.config.load import LoadedConfig
from statserver.core.engine import Engine, StatisticRequest
from statserver.core.stats.statistic import Statistic
from statserver.events import decode_event_obj
from statserver.sim.center import Center, scale_agents
from statserver.sim.core import Simulation
from statserver.sim.options import DAY_PROFILE, FLAT_PROFILE, SimOptions, profile_factor

HOURS = 8


@dataclass
class Day:
    """An 8-hour simulated day of the sample center, applied to an engine."""

    config: LoadedConfig
    sim: Simulation
    engine: Engine
    stats: dict[tuple[str, ...], Statistic]
    #: (time, tenant, object kind, object, stat type, engine value, expected)
    samples: list[tuple[int, str, str, str, str, Any, int]] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    #: (tenant, agent, media) -> most interactions in hand at once
    most_in_hand: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    #: (queue number, agent dn) of every inbound call that rang at an agent
    rang: list[tuple[str, str, str]] = field(default_factory=list)
    arrivals_by_hour: Counter[int] = field(default_factory=Counter)
    hours: int = HOURS

    def open(self, tenant: str, kind: str, oid: str, stat_type: str, **kw: Any) -> Statistic:
        key = (tenant, kind, oid, stat_type, *(f"{k}={v}" for k, v in sorted(kw.items())))
        if key not in self.stats:
            self.stats[key] = self.engine.open(
                StatisticRequest(tenant, kind, oid, stat_type, **kw), at=T0
            )
        return self.stats[key]

    def value(self, tenant: str, kind: str, oid: str, stat_type: str, **kw: Any) -> Any:
        key = (tenant, kind, oid, stat_type, *(f"{k}={v}" for k, v in sorted(kw.items())))
        return self.engine.value(self.stats[key], T0 + self.hours * 3600)


QUEUE_STATS = (
    "CallsOffered",
    "CallsDistributed",
    "CallsAnswered",
    "CallsAbandoned",
    "CallsAbandonedRinging",
    "CallsMissed",
    "CallsWaiting",
    "ASA",
    "AbandonRate",
    "MaxWaitAnswered",
)
AGENT_STATS = ("InboundTalkTime", "OutboundTalkTime", "ConsultTime", "AHT", "CallsHandled")
AREA_STATS = (
    "InteractionsEntered",
    "InteractionsDistributed",
    "InteractionsDone",
    "InteractionsWaiting",
)


def simulate_day(seed: int = 5, doc: dict[str, Any] | None = None, hours: int = HOURS) -> Day:
    config = config_from(doc or sample_doc())
    sim = Simulation(Center.from_config(config), SimOptions(seed=seed, start=T0))
    engine = Engine(config.directory, config.catalog, config.engine_options)
    day = Day(config, sim, engine, {}, hours=hours)
    for a in sim.agents():
        for st in AGENT_STATS:
            day.open(a.spec.tenant, "Agent", a.id, st)
    for q in sim.queues():
        key = f"{q.spec.number}@{q.spec.switch}"
        for st in QUEUE_STATS:
            day.open(q.spec.tenant, "Queue", key, st)
        day.open(
            q.spec.tenant,
            "Queue",
            key,
            "ServiceLevel",
            time_range="SL20",
            time_range2="ShortAbandon",
        )
        day.open(q.spec.tenant, "Queue", key, "ShortAbandons", time_range="ShortAbandon")
    for tname, tenant in sim.tenants.items():
        for mq in tenant.media.values():
            for st in AREA_STATS:
                day.open(tname, "StagingArea", mq.spec.name, st)
    for tenant, kind, name in groups(config):
        for st in STATUS_STATS:
            day.open(tenant, kind, name, st)
    for minute in range(hours * 60):
        t = T0 + 60 * minute + 37
        for e in sim.advance(t * 1000):
            rec = e.record
            day.events[rec["event"]] += 1
            assert engine.feed(decode_event_obj(rec)), (rec, engine.counters.rejected)
            if rec["event"] == "EventQueued":
                day.arrivals_by_hour[(int(rec["time"][11:13]))] += 1
            if rec["event"] == "EventRinging" and rec.get("callType") == "Inbound":
                day.rang.append((e.tenant, rec["thisQueue"], rec["thisDN"]))
        for a in sim.agents():
            for m, ch in a.channels.items():
                key = (a.spec.tenant, a.id, m)
                day.most_in_hand[key] = max(day.most_in_hand[key], len(ch.parties))
        if minute % 3 == 0:
            for tenant, kind, name in groups(config):
                for st in STATUS_STATS:
                    got = engine.value(day.stats[(tenant, kind, name, st)], t)
                    want = expected_count(config, sim, tenant, kind, name, st)
                    day.samples.append((t, tenant, kind, name, st, got, want))
    for e in sim.advance((T0 + hours * 3600) * 1000):  # up to the end, where values are read
        assert engine.feed(decode_event_obj(e.record))
    return day


@pytest.fixture(scope="module")
def day() -> Day:
    return simulate_day()


def test_every_event_is_applied_without_warning(day: Day) -> None:
    """A working day of the sample center: the engine applies every event, rejects none,
    counts no warning (unknown call, implicit login, ...) and never sees time go back."""
    c = day.engine.counters
    assert c.rejected == {}
    assert c.warnings == {}
    assert c.clock_went_back == 0
    assert c.applied == c.received == day.sim.emitted > 5000


def test_traffic_has_every_feature(day: Day) -> None:
    """The day has what the issue lists: ring-no-answer, abandons (queue, ringing, hold),
    holds, transfers, consultations, conferences, after-call work, breaks with every reason
    code, logins and logouts, outbound calls, chats and emails (including revoked and
    abandoned chats)."""
    counts = day.sim.counts
    for feature in (
        "rona",
        "abandon",
        "abandon_ringing",
        "hold",
        "transfer",
        "consult",
        "conference",
        "acw",
        "login",
        "logout",
        "outbound",
        "outbound_answered",
        "revoked",
        "chat_abandon",
        *(f"break:{r}" for r in SimOptions().breaks),
    ):
        assert counts[feature] > 0, feature
    for name in (
        "EventAgentLogin",
        "EventAgentLogout",
        "EventAgentReady",
        "EventAgentNotReady",
        "EventQueued",
        "EventDiverted",
        "EventRinging",
        "EventEstablished",
        "EventHeld",
        "EventRetrieved",
        "EventReleased",
        "EventAbandoned",
        "EventDialing",
        "EventPartyChanged",
        "EventPartyAdded",
        "EventPartyDeleted",
        "EventPlacedInQueue",
        "EventTakenFromQueue",
        "EventAgentInvited",
        "EventPartyRemoved",
        "EventProcessingStopped",
        "EventRevoked",
        "EventReadyForMedia",
        "EventNotReadyForMedia",
    ):
        assert day.events[name] > 0, name
    # several tenants are simulated
    assert {t for t, _, _ in day.rang} == {"Acme", "Globex"}


def test_queue_counts_equal_the_simulator(day: Day) -> None:
    """Per queue, the server's counts are the simulator's, and both satisfy
    offered = answered + abandoned (in queue or while ringing) + ring-no-answer + waiting +
    ringing now (a call queued again after a ring-no-answer is offered again)."""
    for q in day.sim.queues():
        key = f"{q.spec.number}@{q.spec.switch}"
        tr = q.truth
        got = {st: day.value(q.spec.tenant, "Queue", key, st) for st in QUEUE_STATS[:7]}
        assert got == {
            "CallsOffered": tr.entered,
            "CallsDistributed": tr.distributed,
            "CallsAnswered": tr.answered,
            "CallsAbandoned": tr.abandoned,
            "CallsAbandonedRinging": tr.abandoned_ringing,
            "CallsMissed": tr.missed,
            "CallsWaiting": len(q.waiting),
        }, key
        ringing = q.ringing()
        assert (
            tr.entered
            == tr.answered
            + tr.abandoned
            + tr.abandoned_ringing
            + tr.missed
            + len(q.waiting)
            + ringing
        )
        assert got["CallsOffered"] == (
            got["CallsAnswered"]
            + got["CallsAbandoned"]
            + got["CallsAbandonedRinging"]
            + got["CallsMissed"]
            + got["CallsWaiting"]
            + ringing
        )
        assert tr.answered > 50, key  # a busy day, not an empty one


def test_queue_service_statistics_of_the_sample(day: Day) -> None:
    """ASA, longest answered wait, abandon rate, short abandons and service level of the
    sample configuration, computed by hand from the simulator's per-call waits (whole
    seconds from queue entry to answer / abandon)."""
    for q in day.sim.queues():
        key = f"{q.spec.number}@{q.spec.switch}"
        t, tr = q.spec.tenant, q.truth
        assert day.value(t, "Queue", key, "ASA") == sum(tr.answer_waits) // len(tr.answer_waits)
        assert day.value(t, "Queue", key, "MaxWaitAnswered") == max(tr.answer_waits)
        assert day.value(t, "Queue", key, "AbandonRate") == pytest.approx(
            100 * tr.abandoned / tr.entered
        )
        short = sum(1 for w in tr.abandon_waits if w < 5)
        assert day.value(t, "Queue", key, "ShortAbandons", time_range="ShortAbandon") == short
        within = sum(1 for w in tr.answer_waits if w < 20)
        assert day.value(
            t, "Queue", key, "ServiceLevel", time_range="SL20", time_range2="ShortAbandon"
        ) == pytest.approx(100 * within / (tr.answered + tr.abandoned - short))


def test_agent_talk_times_equal_the_simulator(day: Day) -> None:
    """Each agent's TotalTime of CallInbound, CallOutbound and CallConsult is the sum of the
    simulator's completed call segments (answer or transfer to release, holds included),
    and the sample's AHT = (talk + after-call work) / calls."""
    checked = Counter[str]()
    for a in day.sim.agents():
        t = a.spec.tenant
        got = {
            "Inbound": day.value(t, "Agent", a.id, "InboundTalkTime"),
            "Outbound": day.value(t, "Agent", a.id, "OutboundTalkTime"),
            "Consult": day.value(t, "Agent", a.id, "ConsultTime"),
        }
        assert got == {k: a.talk[k] for k in got}, a.id
        assert day.value(t, "Agent", a.id, "CallsHandled") == a.calls["Inbound"], a.id
        if a.calls["Inbound"]:
            aht = day.value(t, "Agent", a.id, "AHT")
            assert aht == pytest.approx((a.talk["Inbound"] + a.acw_time) / a.calls["Inbound"]), a.id
        checked.update(k for k, v in got.items() if v > 0)
    assert checked["Inbound"] == len(day.sim.agents())
    assert checked["Outbound"] >= 3
    assert checked["Consult"] >= 10


def test_group_counts_equal_the_members_states(day: Day) -> None:
    """Sampled every 3 minutes of the day: the number of ready / not ready / busy / ACW /
    logged-in agents of each group and tenant is the number of its members the simulator
    has in that state (virtual groups included)."""
    wrong = [s for s in day.samples if s[5] != s[6]]
    assert wrong == []
    assert len(day.samples) > 1000
    # the samples are not all zeros
    assert sum(1 for s in day.samples if s[4] == "AgentsReady" and s[6] > 0) > 100
    assert sum(1 for s in day.samples if s[4] == "AgentsNotReady" and s[6] > 0) > 50


def test_interaction_queues_equal_the_simulator(day: Day) -> None:
    """Chat and email queues (staging areas): entered = distributed + abandoned + waiting,
    and the server's counts are the simulator's."""
    for tname, tenant in day.sim.tenants.items():
        for mq in tenant.media.values():
            tr = mq.truth
            got = {st: day.value(tname, "StagingArea", mq.spec.name, st) for st in AREA_STATS}
            assert got == {
                "InteractionsEntered": tr.entered,
                "InteractionsDistributed": tr.distributed,
                "InteractionsDone": tr.completed + tr.abandoned,
                "InteractionsWaiting": len(mq.waiting),
            }, (tname, mq.spec.name)
            assert tr.entered == tr.distributed + tr.abandoned + len(mq.waiting)
            assert tr.completed > 20


def test_agents_handle_several_interactions_within_capacity(day: Day) -> None:
    """Chats and emails are handled concurrently: some agents hold several at once, none
    more than its capacity for the media."""
    caps = {
        (a.spec.tenant, a.id, m): ch.capacity
        for a in day.sim.agents()
        for m, ch in a.channels.items()
    }
    assert caps
    assert all(day.most_in_hand[k] <= cap for k, cap in caps.items())
    assert any(day.most_in_hand[k] >= 2 for k in caps)


def test_calls_are_routed_by_skill(day: Day) -> None:
    """A call of a queue named after a skill only rings at agents who have that skill."""
    skill_of = {(q.spec.tenant, q.spec.number): q.spec.skill for q in day.sim.queues()}
    agent_at = {(a.spec.tenant, a.spec.dn): a for a in day.sim.agents()}
    for tenant, queue, dn in day.rang:
        skill = skill_of[(tenant, queue)]
        assert skill is not None
        assert agent_at[(tenant, dn)].spec.skills.get(skill, 0) >= 1, (queue, dn)
    # a secondary skill takes calls too (overflow), not only the best one
    secondary = [1 for t, q, dn in day.rang if agent_at[(t, dn)].spec.login_queue != q]
    assert secondary


def test_arrivals_follow_the_time_of_day() -> None:
    """With the day profile, the late-morning hour gets several times the calls of the
    night; the profile is interpolated between hour midpoints."""
    assert profile_factor(DAY_PROFILE, 10.5 * 3600) == pytest.approx(DAY_PROFILE[10])
    assert profile_factor(DAY_PROFILE, 11 * 3600) == pytest.approx(
        (DAY_PROFILE[10] + DAY_PROFILE[11]) / 2
    )
    config = config_from(sample_doc())
    start = T0 - 8 * 3600  # midnight
    sim = Simulation(Center.from_config(config), SimOptions(seed=2, start=start))
    by_hour = Counter[int]()
    for e in sim.advance((start + 12 * 3600) * 1000):
        if e.record["event"] == "EventQueued":
            by_hour[int(e.record["time"][11:13])] += 1
    assert by_hour[10] > 3 * by_hour[3] > 0
    flat = Simulation(
        Center.from_config(config), SimOptions(seed=2, start=start, profile=FLAT_PROFILE)
    )
    flat_hours = Counter(
        int(e.record["time"][11:13])
        for e in flat.advance((start + 12 * 3600) * 1000)
        if e.record["event"] == "EventQueued"
    )
    assert flat_hours[3] > by_hour[3]


def test_same_seed_same_events_other_seed_other_events() -> None:
    """The simulation is reproducible: the same seed and start give the same records."""
    config = config_from(sample_doc())

    def run(seed: int) -> list[dict[str, Any]]:
        sim = Simulation(Center.from_config(config), SimOptions(seed=seed, start=T0))
        return [e.record for e in sim.advance((T0 + 3600) * 1000)]

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert len(first) > 500


def test_registration_snapshot_reproduces_the_state() -> None:
    """An engine that only receives the registration snapshots (EventRegistered for every
    DN, the Interaction Servers' agent-state report) after 90 minutes shows the same current
    state as one that received every event: agent statuses, group counts, calls waiting,
    interactions waiting and in hand."""
    config = config_from(sample_doc())
    sim = Simulation(Center.from_config(config), SimOptions(seed=11, start=T0))
    full = Engine(config.directory, config.catalog, config.engine_options)
    for e in sim.advance((T0 + 5400) * 1000):
        assert full.feed(decode_event_obj(e.record))
    snap = Engine(config.directory, config.catalog, config.engine_options)
    kinds = Counter[str]()
    for name, source in sim.center.sources.items():
        if source.kind == "tserver":
            records = [
                r for dn in config.directory.dns_of_source(name) for r in sim.registration(name, dn)
            ]
        else:
            records = sim.reporting_snapshot(name)
        for e in records:
            kinds[e.record["event"]] += 1
            assert snap.feed(decode_event_obj(e.record)), e.record
    assert snap.counters.warnings == {}
    assert kinds["EventRegistered"] == sum(
        len(config.directory.dns_of_source(n)) for n in ("TS1", "TS2")
    )
    assert kinds["EventAgentLogin"] > 0
    t = T0 + 5400

    def both(tenant: str, kind: str, oid: str, st: str) -> tuple[Any, Any]:
        req = StatisticRequest(tenant, kind, oid, st)
        return full.value(full.open(req, at=t), t), snap.value(snap.open(req, at=t), t)

    statuses = []
    for tname, model in config.directory.tenants.items():
        objs = [("Tenant", tname), *(("GroupAgents", g) for g in model.agent_groups)]
        for kind, oid in objs:
            for st in (*STATUS_STATS, "ChatsInProgress", "EmailsInProgress"):
                a, b = both(tname, kind, oid, st)
                assert a == b, (tname, kind, oid, st)
        for emp in model.agents:
            a, b = both(tname, "Agent", emp, "AgentState")
            assert a["status"] == b["status"], emp
            statuses.append(a["status"])
        for q in model.dns.values():
            if q.type == "ACDQueue":
                assert (
                    both(tname, "Queue", q.key, "CallsWaiting")[0]
                    == both(tname, "Queue", q.key, "CallsWaiting")[1]
                )
        for area in ("ChatInbound", "EmailInbound"):
            a, b = both(tname, "StagingArea", area, "InteractionsWaiting")
            assert a == b, area
    assert len(set(statuses)) >= 3  # a mix of states, not everybody idle


def test_center_from_the_sample_configuration() -> None:
    """How the simulator reads the sample: queues served by the skill of their name, each
    agent at its place and logged in to its best skill's queue, chat on the tenant's first
    Interaction Server and email on the second, Outbound agents."""
    center = Center.from_config(config_from(sample_doc()))
    acme = center.tenants["Acme"]
    assert [(q.number, q.skill) for q in acme.queues] == [
        ("8101", "Sales"),
        ("8102", "Support"),
        ("8103", "Billing"),
    ]
    ava = next(a for a in acme.agents if a.employee_id == "acme001")
    assert (ava.dn, ava.place, ava.login_id, ava.login_queue, ava.outbound) == (
        "71001",
        "AcmeP001",
        "51001",
        "8101",
        True,
    )
    assert {m: (q.source, q.name) for m, q in acme.media_queues.items()} == {
        "chat": ("IXN1", "ChatInbound"),
        "email": ("IXN2", "EmailInbound"),
    }
    lea = next(a for a in acme.agents if a.employee_id == "acme012")
    assert lea.media == {"chat": 3, "email": 2}  # skills Chat and Email, capacity from the agent
    assert center.sources["TS2"].switches == ("SW2",)
    assert len(center.tenants["Globex"].agents) == 8


@pytest.mark.parametrize("n", [1, 5, 30], ids=["one", "fewer", "more"])
def test_scale_agents(n: int) -> None:
    """``scale_agents`` gives each tenant n agents numbered after the first one, with the
    templates' skills and teams; the result is a valid configuration the simulator uses."""
    doc = scale_agents(sample_doc(), n)
    config = config_from(doc)
    for model in config.directory.tenants.values():
        assert len(model.agents) == n
        assert len(model.places) == n
    acme = config.directory.tenants["Acme"]
    assert sorted(acme.agents)[:2] == (["acme001", "acme002"] if n > 1 else ["acme001"])
    last = f"acme{n:03d}"
    assert acme.agents[last].login_ids == {"SW1": str(51000 + n)}
    assert f"{71000 + n}@SW1" in acme.places[f"AcmeP{n:03d}"].dns
    teams = (
        acme.agent_groups["AcmeTeamNorth"].members
        + acme.agent_groups.get("AcmeTeamSouth", acme.agent_groups["AcmeTeamNorth"]).members
    )
    assert "acme001" in teams
    center = Center.from_config(config)
    assert sum(len(t.agents) for t in center.tenants.values()) == 2 * n
    sim = Simulation(center, SimOptions(seed=1, start=T0))
    engine = Engine(config.directory, config.catalog, config.engine_options)
    for e in sim.advance((T0 + 1800) * 1000):
        assert engine.feed(decode_event_obj(e.record))
    assert engine.counters.warnings == {}


@pytest.mark.slow
def test_a_large_center_for_a_day_is_valid_and_true() -> None:
    """100 agents per tenant for 10 hours (the morning and afternoon peaks included): no
    event rejected, no warning, and the group, queue and talk-time truths hold."""
    doc = scale_agents(sample_doc(), 100)
    day = simulate_day(seed=21, doc=doc, hours=10)
    c = day.engine.counters
    assert (c.rejected, c.warnings, c.clock_went_back) == ({}, {}, 0)
    assert [s for s in day.samples if s[5] != s[6]] == []
    for a in day.sim.agents():
        assert day.value(a.spec.tenant, "Agent", a.id, "InboundTalkTime") == a.talk["Inbound"]
    for q in day.sim.queues():
        key = f"{q.spec.number}@{q.spec.switch}"
        assert day.value(q.spec.tenant, "Queue", key, "CallsAnswered") == q.truth.answered
    assert math.isfinite(sum(day.sim.summary().values()))


def test_options_change_the_traffic() -> None:
    """The load option scales the voice arrival rate."""
    config = config_from(sample_doc())
    base = Simulation(Center.from_config(config), SimOptions(seed=1, start=T0))
    busy = Simulation(
        Center.from_config(config), replace(SimOptions(seed=1, start=T0), voice_load=1.7)
    )
    assert busy.queues()[0].rate == pytest.approx(2 * base.queues()[0].rate)
