"""The sample configuration (examples/demo/config.yaml) is documentation: the stat types
every contact center uses, each described with its formula and unit, and a center with
several tenants, skills, virtual groups, chat and email that the engine accepts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sim_support import ROOT, T0, config_from, sample_doc

from statserver.core.engine import Engine, StatisticRequest
from statserver.core.model import ObjectType
from statserver.events import decode_event_obj
from statserver.sim.center import Center
from statserver.sim.core import Simulation
from statserver.sim.options import SimOptions

DOC = sample_doc()
STAT_TYPES: dict[str, dict[str, Any]] = DOC["statTypes"]
UNITS = ("count", "s", "%", "calls per hour", "structure")

#: what a contact center needs (the issue's list, docs/stat-types.md "Examples") -> the
#: stat type of the sample and its category
NEEDS = {
    "agents ready": ("AgentsReady", "CurrentNumber"),
    "agents not ready": ("AgentsNotReady", "CurrentNumber"),
    "agents busy": ("AgentsBusy", "CurrentNumber"),
    "agents in ACW": ("AgentsInACW", "CurrentNumber"),
    "calls waiting": ("CallsWaiting", "CurrentNumber"),
    "oldest call": ("OldestCallWaiting", "CurrentMaxTime"),
    "service level": ("ServiceLevel", "ServiceFactor1"),
    "ASA": ("ASA", "AverageTime"),
    "AHT": ("AHT", "Formula"),
    "abandon rate": ("AbandonRate", "RelativeNumberPercentage"),
    "short abandons": ("ShortAbandons", "TotalNumberInTimeRange"),
    "occupancy": ("Occupancy", "RelativeTimePercentage"),
    "calls per logged-in hour": ("CallsPerLoggedInHour", "AverageNumberPerRelativeHour"),
    "time in state": ("TimeInCurrentState", "CurrentContinuousTime"),
    "time ready (total)": ("ReadyTime", "TotalTime"),
    "agent state": ("AgentState", "CurrentStateReasons"),
}


def documented_categories() -> set[str]:
    """The category names of the tables of docs/stat-types.md."""
    text = (ROOT / "docs" / "stat-types.md").read_text(encoding="utf-8")
    text = text[text.index("## Current categories") : text.index("## CurrentState structures")]
    names: set[str] = set()
    for cell in re.findall(r"^\| ([A-Z][\w ,/]*?) \|", text, re.M):
        names.update(n.strip() for n in re.split(r"[,/]", cell))
    return names - {"Category"}


@pytest.mark.parametrize("need", sorted(NEEDS), ids=lambda n: n.replace(" ", "-"))
def test_every_common_need_has_a_stat_type(need: str) -> None:
    """Each statistic every contact center uses has a stat type of the right category."""
    name, category = NEEDS[need]
    assert STAT_TYPES[name]["Category"] == category


@pytest.mark.parametrize("name", sorted(STAT_TYPES))
def test_every_stat_type_says_its_formula_and_unit(name: str) -> None:
    """A Description that states what is computed (a formula or the mask it counts) and
    ends with its unit in parentheses; the category is one of docs/stat-types.md."""
    st = STAT_TYPES[name]
    desc = st["Description"]
    m = re.search(r"\(([^()]*)\)$", desc)
    assert m is not None, desc
    assert m.group(1) in UNITS, desc
    assert ":" in desc, desc  # "<what>: <formula>"
    assert st["Category"] in documented_categories(), st["Category"]
    unit = m.group(1)
    category = st["Category"]
    if category in ("CurrentNumber", "TotalNumber", "TotalNumberInTimeRange"):
        assert unit == "count", name
    elif category.endswith("Percentage") or category == "ServiceFactor1":
        assert unit == "%", name
    elif "Time" in category:
        assert unit == "s", name


def test_the_center_of_the_sample() -> None:
    """Several tenants, each with a T-Server and two Interaction Servers; queues named
    after skills; skill groups as virtual groups (scripts); agents handling chat and
    email with a capacity above one."""
    config = config_from(DOC)
    d = config.directory
    assert len(d.tenants) >= 2
    for tname, model in d.tenants.items():
        kinds = sorted(s.kind.value for s in d.sources.values() if tname in s.tenants)
        assert kinds == ["interaction", "interaction", "tserver"], tname
        assert sum(1 for g in model.agent_groups.values() if g.script and "Skill(" in g.script) >= 2
        assert any(a.capacity.get("chat", 1) > 1 for a in model.agents.values())
    center = Center.from_config(config)
    for tenant in center.tenants.values():
        assert len(tenant.queues) >= 2
        assert all(q.skill is not None for q in tenant.queues)
        assert set(tenant.media_queues) == {"chat", "email"}
        assert any("chat" in a.media for a in tenant.agents)
        assert any("email" in a.media for a in tenant.agents)
        assert any(a.outbound for a in tenant.agents)


def _object_of(config: Any, sim: Simulation, otype: ObjectType) -> tuple[str, str]:
    model = config.directory.tenants["Acme"]
    return {
        ObjectType.AGENT: "acme001",
        ObjectType.GROUP_AGENTS: "AcmeTeamNorth",
        ObjectType.TENANT: "Acme",
        ObjectType.QUEUE: "8101@SW1",
        ObjectType.GROUP_QUEUES: "AcmeQueues",
        ObjectType.STAGING_AREA: "ChatInbound",
        ObjectType.PLACE: next(iter(model.places)),
    }[otype], "Acme"


@pytest.fixture(scope="module")
def values() -> dict[str, list[Any]]:
    """Every stat type opened on every object type it lists, read after an hour of
    simulated traffic."""
    config = config_from(DOC)
    sim = Simulation(Center.from_config(config), SimOptions(seed=1, start=T0))
    engine = Engine(config.directory, config.catalog, config.engine_options)
    stats: dict[str, list[Any]] = {}
    for name, st in STAT_TYPES.items():
        ranges = {
            "ServiceLevel": ("SL20", "ShortAbandon"),
            "ShortAbandons": ("ShortAbandon", None),
        }.get(name, (None, None))
        for text in st["Objects"].split(","):
            otype = ObjectType.parse(text)
            oid, tenant = _object_of(config, sim, otype)
            req = StatisticRequest(
                tenant, otype.value, oid, name, time_range=ranges[0], time_range2=ranges[1]
            )
            stats.setdefault(name, []).append(engine.open(req, at=T0))
    for e in sim.advance((T0 + 3600) * 1000):
        assert engine.feed(decode_event_obj(e.record))
    return {name: [engine.value(s, T0 + 3600) for s in opened] for name, opened in stats.items()}


@pytest.mark.parametrize("name", sorted(STAT_TYPES))
def test_every_stat_type_opens_and_gives_values_of_its_unit(
    name: str, values: dict[str, list[Any]]
) -> None:
    """Each stat type opens on every object type it lists and, after an hour of simulated
    traffic, gives a value of its kind: an integer for counts and times (whole seconds), a
    number for percentages and rates, an object for structures."""
    st = STAT_TYPES[name]
    assert len(values[name]) == len(st["Objects"].split(","))
    m = re.search(r"\(([^()]*)\)$", st["Description"])
    assert m is not None
    unit = m.group(1)
    for value in values[name]:
        if unit == "structure":
            assert isinstance(value, dict)
        elif unit == "count" or (unit == "s" and st["Category"] != "Formula"):
            assert isinstance(value, int), (name, value)
            assert value >= 0, (name, value)
        else:
            assert isinstance(value, (int, float)), (name, value)
            assert value >= 0, (name, value)


def test_the_sample_shows_a_working_center(values: dict[str, list[Any]]) -> None:
    """After an hour the sample's statistics show traffic: calls answered and offered,
    agents' talk time, a service level, chats entered."""
    assert values["CallsAnswered"][0] > 0
    assert values["CallsOffered"][0] >= values["CallsAnswered"][0]
    assert values["InboundTalkTime"][0] > 0
    assert 0 < values["ServiceLevel"][0] <= 100
    assert values["InteractionsEntered"][0] > 0
