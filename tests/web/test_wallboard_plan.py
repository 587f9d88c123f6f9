"""The wallboard's plan (GET /api/v1/wallboard) and the ``wallboard:`` configuration key.

The built-in columns are checked end to end: the plan's requests are sent as a protocol
client would, a day of calls is fed, and each value is compared with the definition in
docs/wallboard.md worked out by hand.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import T0
from statserver.errors import ConfigError
from statserver.service.wallboard import DEFAULT_STATISTICS, build_plan
from web.conftest import STAT_TYPES, Served


def plan_of(served: Served) -> dict[str, Any]:
    server = served.server
    return build_plan(
        server.config.raw.wallboard,
        server.engine.catalog,
        server.engine.directory,
        now=served.clock(),
    )


def column(plan: dict[str, Any], table: str, key: str) -> dict[str, Any]:
    return next(c for c in plan[table]["columns"] if c["key"] == key)


# ------------------------------------------------------------------------------ defaults
def test_without_stat_types_every_column_is_an_inline_definition():
    """A configuration without statTypes still gets a full wallboard (OpenStatisticEx)."""
    plan = plan_of(Served(extra=""))
    for table in ("queues", "groups"):
        for col in plan[table]["columns"]:
            assert col["requests"], col["key"]
            assert {r["request"] for r in col["requests"].values()} == {"OpenStatisticEx"}, col[
                "key"
            ]
    assert plan["agentState"] == {
        "request": "OpenStatisticEx",
        "metric": {"category": "CurrentStateReasons", "subject": "AgentStatus", "mainMask": "*"},
    }
    waiting = column(plan, "queues", "waiting")
    assert waiting["requests"]["Queue"]["metric"] == {
        "category": "CurrentNumber",
        "subject": "DNAction",
        "mainMask": "CallWait",
    }
    assert waiting["unit"] == "count"
    assert waiting["thresholds"] == {"warning": 3, "alarm": 6, "direction": "above"}
    sl = column(plan, "queues", "serviceLevel")
    assert sl["unit"] == "percent"
    assert sl["thresholds"]["direction"] == "below"  # alarm 70 < warning 80: lower is worse
    assert "COUNT(CallAnswered; duration < 20)" in sl["requests"]["Queue"]["metric"]["expression"]
    assert "timeRange" not in sl["requests"]["Queue"]["metric"]  # a Formula takes none
    assert column(plan, "queues", "aht")["unit"] == "seconds"


def test_default_rows_are_queues_dn_groups_agent_groups_and_agents():
    """Queues (not routing points) and DN groups; agent groups; every agent."""
    plan = plan_of(Served())
    assert [(r["id"], r["objectType"]) for r in plan["queues"]["rows"]] == [
        ("8000@SW1", "Queue"),
        ("Queues", "GroupQueues"),
    ]
    assert [(r["id"], r["objectType"]) for r in plan["groups"]["rows"]] == [
        ("Team", "GroupAgents"),
        ("Spanish", "GroupAgents"),
    ]
    assert [(a["id"], a["name"]) for a in plan["agents"]] == [("a1", "ann"), ("a2", "bob")]
    assert [c["key"] for c in plan["queues"]["columns"]] == [
        "waiting",
        "oldest",
        "serviceLevel",
        "asa",
        "aht",
        "abandonRate",
    ]
    assert [c["key"] for c in plan["groups"]["columns"]] == [
        "loggedIn",
        "ready",
        "notReady",
        "busy",
        "acw",
        "aht",
    ]


def test_a_configured_stat_type_with_a_usual_name_is_used():
    """CallsWaiting (CurrentNumber) replaces the inline waiting column for Queue and GroupQueues;
    a 'ServiceLevel' of another category (even ServiceFactor1, 0 % on a quiet queue) is not taken
    for the service level unless the wallboard names it."""
    extra = (
        STAT_TYPES
        + "  ServiceLevel: {Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallAnswered}\n"
    )
    plan = plan_of(Served(extra=extra))
    waiting = column(plan, "queues", "waiting")["requests"]
    assert waiting["Queue"] == {
        "request": "OpenStatistic",
        "metric": {"statisticType": "CallsWaiting"},
    }
    assert waiting["GroupQueues"] == {
        "request": "OpenStatistic",
        "metric": {"statisticType": "CallsWaiting"},
    }
    assert (
        column(plan, "queues", "serviceLevel")["requests"]["Queue"]["request"] == "OpenStatisticEx"
    )
    assert (
        plan["agentState"]["request"] == "OpenStatisticEx"
    )  # AgentState is CurrentState: no reasons
    extra = STAT_TYPES.replace("Category: CurrentState,", "Category: CurrentStateReasons,")
    assert plan_of(Served(extra=extra))["agentState"] == {
        "request": "OpenStatistic",
        "metric": {"statisticType": "AgentState"},
    }
    extra = (
        STAT_TYPES
        + "  ServiceLevel: {Objects: Queue, Category: ServiceFactor1, Subject: DNAction}\n"
    )
    assert (
        column(plan_of(Served(extra=extra)), "queues", "serviceLevel")["requests"]["Queue"][
            "request"
        ]
        == "OpenStatisticEx"
    )
    named = (
        extra
        + "wallboard:\n  statistics:\n    serviceLevel: {statType: ServiceLevel, timeRange: SL20}\n"
    )
    sl = column(plan_of(Served(extra=named)), "queues", "serviceLevel")["requests"]["Queue"]
    assert sl == {
        "request": "OpenStatistic",
        "metric": {"statisticType": "ServiceLevel", "timeRange": "SL20"},
    }


WALLBOARD = """
wallboard:
  title: Floor 2
  agents: [a2]
  groups: [Floor]
  queues: ["9000@SW1", Queues]
  agentState: AgentState
  queueColumns: [waiting, gold, serviceLevel]
  groupColumns: [ready]
  trend: gold
  trendMinutes: 5
  statistics:
    waiting: {label: In queue, warning: 1, alarm: 2}
    serviceLevel: {definition: {Category: ServiceFactor1, Subject: DNAction}, timeRange: SL20, warning: 90, alarm: 80}
    gold: {label: Gold waiting, definition: {Category: CurrentNumber, Subject: DNAction, MainMask: CallWait}, filter: Gold, alarm: 1}
  statusTime:
    NotReadyForNextCall: {warning: 60}
"""


def test_the_wallboard_key_overrides_everything():
    """Title, rows, columns, thresholds, a new column with a filter, the trend and status times."""
    plan = plan_of(Served(extra=STAT_TYPES + WALLBOARD))
    assert plan["title"] == "Floor 2"
    assert [a["id"] for a in plan["agents"]] == ["a2"]
    assert [(r["id"], r["objectType"]) for r in plan["groups"]["rows"]] == [
        ("Floor", "GroupPlaces")
    ]
    assert [(r["id"], r["objectType"]) for r in plan["queues"]["rows"]] == [
        ("9000@SW1", "RoutePoint"),
        ("Queues", "GroupQueues"),
    ]
    assert plan["agentState"] == {
        "request": "OpenStatistic",
        "metric": {"statisticType": "AgentState"},
    }
    waiting = column(plan, "queues", "waiting")
    assert waiting["label"] == "In queue"
    assert waiting["thresholds"] == {"warning": 1, "alarm": 2, "direction": "above"}
    # CallsWaiting applies to Queue and GroupQueues: the routing point gets the inline definition
    assert waiting["requests"]["GroupQueues"]["request"] == "OpenStatistic"
    assert waiting["requests"]["RoutePoint"]["request"] == "OpenStatisticEx"
    gold = column(plan, "queues", "gold")
    assert gold["requests"]["RoutePoint"]["metric"] == {
        "category": "CurrentNumber",
        "subject": "DNAction",
        "mainMask": "CallWait",
        "filter": "Gold",
    }
    sl = column(plan, "queues", "serviceLevel")
    assert sl["requests"]["GroupQueues"]["metric"] == {
        "category": "ServiceFactor1",
        "subject": "DNAction",
        "timeRange": "SL20",
    }
    assert sl["thresholds"] == {"warning": 90, "alarm": 80, "direction": "below"}
    assert [c["key"] for c in plan["groups"]["columns"]] == ["ready"]
    assert plan["trend"]["key"] == "gold"
    assert plan["trend"]["minutes"] == 5
    assert plan["statusTime"]["NotReadyForNextCall"] == {"warning": 60}
    assert plan["statusTime"]["AfterCallWork"] == {"warning": 60, "alarm": 180}  # built-in kept


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        (
            "  queueColumns: [waiting, nope]\n",
            "wallboard.queueColumns[1]",
            "no wallboard statistic 'nope'",
        ),
        (
            "  statistics:\n    waiting: {statType: Nope}\n",
            "wallboard.statistics.waiting.statType",
            "no stat type 'Nope'",
        ),
        (
            "  statistics:\n    x: {label: X}\n",
            "wallboard.statistics.x",
            "needs statType or definition",
        ),
        (
            "  statistics:\n    x: {definition: {Category: Nope}}\n",
            "wallboard.statistics.x.definition",
            "unknown Category",
        ),
        (
            "  statistics:\n    x: {definition: {Category: CurrentNumber, MainMask: CallWait, Objects: Desk}}\n",
            "wallboard.statistics.x.definition.Objects",
            "unknown object type",
        ),
        (
            "  statistics:\n    waiting: {direction: sideways}\n",
            "wallboard.statistics.waiting.direction",
            "expected above or below",
        ),
        (
            "  statistics:\n    waiting: {timeProfile: Weekly}\n",
            "wallboard.statistics.waiting.timeProfile",
            "no time profile 'Weekly'",
        ),
        ("  agents: [a9]\n", "wallboard.agents[0]", "no agent 'a9'"),
        ("  queues: ['8000']\n", "wallboard.queues[0]", "number@switch"),
        ("  groups: [Nobody]\n", "wallboard.groups[0]", "no agent group or place group 'Nobody'"),
        ("  agentState: CallsWaiting\n", "wallboard.agentState", "CurrentState"),
        ("  tenant: Other\n", "wallboard.tenant", "no tenant 'Other'"),
        ("  colour: red\n", "wallboard.colour", "unknown key 'colour'"),
    ],
    ids=[
        "column",
        "stat-type",
        "new-without-metric",
        "definition",
        "objects",
        "direction",
        "profile",
        "agent",
        "queue",
        "group",
        "agent-state",
        "tenant",
        "unknown-key",
    ],
)
def test_configuration_errors_name_the_path(section: str, path: str, words: str):
    """A wrong wallboard section is refused when the configuration loads, with its path."""
    with pytest.raises(ConfigError) as info:
        Served(extra=STAT_TYPES + "wallboard:\n" + section)
    assert info.value.path == path
    assert words in info.value.problem


# ------------------------------------------------------------------------------ values
def open_plan(served: Served, plan: dict[str, Any]) -> tuple[Any, dict[tuple[str, str], int]]:
    """Send every request of the plan, as the page does; returns the session and the
    referenceIds by (object, column)."""
    session = served.session()
    refs: dict[tuple[str, str], int] = {}
    ref = 0
    for table in ("queues", "groups"):
        for row in plan[table]["rows"]:
            for col in plan[table]["columns"]:
                req = col["requests"].get(row["objectType"])
                if req is None:
                    continue
                ref += 1
                refs[(row["id"], col["key"])] = ref
                obj = {
                    "objectId": row["id"],
                    "objectType": row["objectType"],
                    "tenant": row["tenant"],
                }
                events = served.send(
                    session,
                    {
                        "request": req["request"],
                        "referenceId": ref,
                        "object": obj,
                        "metric": req["metric"],
                        "notification": {"mode": "Changes"},
                    },
                )
                assert [e["event"] for e in events if e["event"] == "Error"] == [], events
    for agent in plan["agents"]:
        ref += 1
        refs[(agent["id"], "state")] = ref
        obj = {"objectId": agent["id"], "objectType": "Agent", "tenant": agent["tenant"]}
        req = plan["agentState"]
        events = served.send(
            session,
            {"request": req["request"], "referenceId": ref, "object": obj, "metric": req["metric"]},
        )
        assert [e for e in events if e["event"] == "Error"] == []
    return session, refs


def peek(served: Served, session: Any, ref: int) -> Any:
    session.take()  # what Changes notification pushed so far
    events = served.send(session, {"request": "PeekStatistic", "referenceId": ref})
    (info,) = [e for e in events if e["event"] == "Info"]
    return info["value"]


def a_morning(s: Served) -> None:
    """Calls on queue 8000, agents a1 (7001) and a2 (7002) of Team (times after T0):

    c1 queued 1, to a1 at 6, answered 11 (10 s in queue), released 71, a1 in ACW 71-91;
    c2 queued 2, to a2 at 32, answered 42 (40 s in queue), still talking;
    c3 queued 3, abandoned 13; c4 queued 50, still waiting.
    """
    s.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    s.ev(0, "EventAgentLogin", thisDN="7002", agentID="5002", thisQueue="8000")
    s.ev(0.5, "EventAgentReady", thisDN="7001", agentID="5001")
    s.ev(0.5, "EventAgentReady", thisDN="7002", agentID="5002")
    call = {"callType": "Inbound", "otherDN": "+15550001"}
    s.ev(1, "EventQueued", thisDN="8000", connID="c1", **call)
    s.ev(2, "EventQueued", thisDN="8000", connID="c2", **call)
    s.ev(3, "EventQueued", thisDN="8000", connID="c3", **call)
    s.ev(6, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    s.ev(6, "EventRinging", thisDN="7001", connID="c1", thisQueue="8000", **call)
    s.ev(11, "EventEstablished", thisDN="7001", connID="c1", thisQueue="8000", **call)
    s.ev(13, "EventAbandoned", thisDN="8000", connID="c3", **call)
    s.ev(32, "EventDiverted", thisDN="8000", connID="c2", otherDN="7002")
    s.ev(32, "EventRinging", thisDN="7002", connID="c2", thisQueue="8000", **call)
    s.ev(42, "EventEstablished", thisDN="7002", connID="c2", thisQueue="8000", **call)
    s.ev(50, "EventQueued", thisDN="8000", connID="c4", **call)


def test_the_built_in_columns_compute_what_their_labels_say():
    """Queue 8000 at T0+60, then Team at T0+100, against the definitions by hand."""
    served = Served(extra="")  # inline definitions only
    plan = plan_of(served)
    session, refs = open_plan(served, plan)
    served.at(0)
    assert (
        peek(served, session, refs[("8000@SW1", "serviceLevel")]) is None
    )  # no call yet: no data, no alarm
    a_morning(served)
    served.at(60)
    q = {
        key: peek(served, session, refs[("8000@SW1", key)])
        for key in ("waiting", "oldest", "serviceLevel", "asa", "abandonRate")
    }
    assert q == {
        "waiting": 1,  # c4
        "oldest": 60 - 50,  # c4 waits since 50
        "serviceLevel": pytest.approx(
            100 * 1 / (2 + 1)
        ),  # c1 answered in 10 s < 20; 2 answered + 1 abandoned
        "asa": (10 + 40) // 2,
        "abandonRate": pytest.approx(100 * 1 / 4),  # c3 of 4 calls entered
    }
    assert peek(served, session, refs[("Queues", "waiting")]) == 1  # the DN group holds 8000
    assert (
        peek(served, session, refs[("8000@SW1", "aht")]) is None
    )  # no call completed yet: no data
    served.ev(71, "EventReleased", thisDN="7001", connID="c1", callType="Inbound")
    served.ev(71, "EventAgentNotReady", thisDN="7001", agentID="5001", workMode="AfterCallWork")
    served.ev(91, "EventAgentReady", thisDN="7001", agentID="5001")
    served.at(100)
    assert (
        peek(served, session, refs[("8000@SW1", "aht")]) == 60 + 20
    )  # talk 11→71 + ACW 71→91, one call
    team = {
        key: peek(served, session, refs[("Team", key)])
        for key in ("loggedIn", "ready", "notReady", "busy", "acw", "aht")
    }
    assert team == {
        "loggedIn": 2,
        "ready": 1,
        "notReady": 0,
        "busy": 1,
        "acw": 0,
        "aht": 60 + 20,
    }  # a1 ready, a2 on c2
    state = peek(served, session, refs[("a2", "state")])
    assert (state["status"], state["startTime"]) == ("CallInbound", T0 + 42)


def test_reason_codes_reach_the_agents_state():
    """The default agent state is CurrentStateReasons: a NotReady reason code is in the value."""
    served = Served(extra="")
    session, refs = open_plan(served, plan_of(served))
    served.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    served.ev(
        5, "EventAgentNotReady", thisDN="7001", agentID="5001", reasons={"ReasonCode": "Break"}
    )
    state = peek(served, session, refs[("a1", "state")])
    assert (state["status"], state["startTime"], state["reasons"]) == (
        "NotReadyForNextCall",
        T0 + 5,
        {"ReasonCode": "Break"},
    )


def test_every_built_in_statistic_opens_for_its_object_types():
    """No built-in definition is refused by the engine, for any object type it names."""
    served = Served(extra="")
    plan = build_plan(
        None, served.server.engine.catalog, served.server.engine.directory, now=served.clock()
    )
    assert len(DEFAULT_STATISTICS) >= 12
    session = served.session()
    objects = {
        "Queue": "8000@SW1",
        "RoutePoint": "9000@SW1",
        "GroupQueues": "Queues",
        "GroupAgents": "Team",
        "GroupPlaces": "Floor",
    }
    ref = 0
    for spec in DEFAULT_STATISTICS.values():
        for otype in spec.object_types:
            ref += 1
            from statserver.service.wallboard import _metric

            req = _metric(spec, otype, served.server.engine.catalog)
            assert req is not None, (spec.key, otype)
            obj = {"objectId": objects[otype.value], "objectType": otype.value}
            events = served.send(
                session,
                {
                    "request": req["request"],
                    "referenceId": ref,
                    "object": obj,
                    "metric": req["metric"],
                },
            )
            assert events[0]["event"] == "StatisticOpened", (spec.key, otype, events)
    assert plan["trend"]["column"]["key"] == "waiting"
