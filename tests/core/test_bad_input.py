"""Bad input from event sources (docs/event-link.md, "Bad input" and "Time").

An event source is a peer: whatever it sends, the engine never raises, rejects what it
cannot apply, counts it by reason, and goes on.  A rejected T-Server event that names a
configured DN leaves an InputError action there (TotalNumberErrors counts it).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import T0, Scenario, make_config
from statserver.core.engine import Engine
from statserver.errors import EventRejected
from statserver.events import decode_event, decode_event_obj, parse_time
from statserver.replay import parse_queries, replay

STATS = """
statTypes:
  Errors: {Objects: "RegularDN,Agent,AgentPlace,Queue,Tenant", Category: TotalNumberErrors, Subject: DNAction}
  LoggedIn: {Objects: "RegularDN,Agent", Category: CurrentNumber, Subject: DNAction, MainMask: LoggedIn}
  ReadyTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  NotReadyTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  Unknown: {Objects: RegularDN, Category: TotalNumber, Subject: DNAction, MainMask: CallUnknownStarted}
"""

CONFIG = make_config(STATS)
GOOD = {"event": "EventAgentReady", "time": T0, "source": "TS1", "thisDN": "7001"}


def line(obj: dict[str, Any], **changes: Any) -> str:
    import json

    data = {**obj, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...})


# ------------------------------------------------------------------------------ at the edge
EDGE = [
    ("not-json", "this is not JSON", "malformed-json"),
    ("truncated", '{"event": "EventAgentReady", "time": 1', "malformed-json"),
    ("array", "[1, 2]", "not-an-object"),
    ("string", '"EventAgentReady"', "not-an-object"),
    ("number", "42", "not-an-object"),
    ("null", "null", "not-an-object"),
    ("missing-event", line(GOOD, event=...), "missing-field"),
    ("missing-time", line(GOOD, time=...), "missing-field"),
    ("missing-source", line(GOOD, source=...), "missing-field"),
    ("dn-as-number", line(GOOD, thisDN=7001), "bad-field"),
    ("user-data-not-an-object", line(GOOD, userData="Gold"), "bad-field"),
    ("event-not-a-string", line(GOOD, event=12), "bad-field"),
    ("time-boolean", line(GOOD, time=True), "bad-field"),
    ("time-not-iso", line(GOOD, time="yesterday"), "bad-time"),
    ("time-without-offset", line(GOOD, time="2026-11-25T10:00:00"), "bad-time"),
    ("unknown-event", line(GOOD, event="EventAgentBored"), "unknown-event"),
    ("lowercase-event", line(GOOD, event="eventagentready"), "unknown-event"),
]


@pytest.mark.parametrize(("raw", "reason"), [pytest.param(r, why, id=i) for i, r, why in EDGE])
def test_a_bad_record_is_rejected_with_its_reason(raw: str, reason: str):
    """decode_event refuses the record with the documented reason (EventRejected only)."""
    with pytest.raises(EventRejected) as info:
        decode_event(raw)
    assert info.value.reason == reason
    assert info.value.message  # says what was wrong


def test_the_good_record_of_the_table_is_accepted():
    """The base record the table mutates is itself valid (so each row tests one mistake)."""
    assert decode_event(line(GOOD)).this_dn == "7001"


def test_an_object_already_parsed_that_is_not_a_mapping():
    """decode_event_obj (for adapters that parse JSON themselves) refuses a list too."""
    with pytest.raises(EventRejected) as info:
        decode_event_obj(["EventAgentReady"])
    assert info.value.reason == "not-an-object"


def test_unknown_keys_are_ignored():
    """Keys the engine does not know are not errors: sources may send more."""
    record = decode_event(line(GOOD, colour="blue", TServerVersion="8.5"))
    assert record.event == "EventAgentReady"


def test_iso_and_number_times_are_the_same_instant():
    """'time' may be ISO-8601 with any offset, 'Z', or seconds since the epoch."""
    assert parse_time("2026-11-25T10:00:00+00:00") == T0
    assert parse_time("2026-11-25T11:00:00+01:00") == T0
    assert parse_time("2026-11-25T10:00:00Z") == T0
    assert parse_time(T0 + 0.25) == T0 + 0.25
    assert parse_time("2026-11-25T10:00:00.250+00:00") == T0 + 0.25


# ------------------------------------------------------------------------------ in the engine
# (id, event, source, attributes, reason, objects whose TotalNumberErrors becomes 1)
DN_OBJECTS = [("RegularDN", "7001@SW1"), ("Agent", "a1"), ("AgentPlace", "P1"), ("Tenant", "")]
REJECTED = [
    ("unknown-source", "EventAgentReady", "TS9", {"thisDN": "7001"}, "unknown-source", []),
    ("unknown-dn", "EventRinging", "TS1", {"thisDN": "7999", "connID": "c1"}, "unknown-dn", []),
    ("missing-thisdn", "EventRinging", "TS1", {"connID": "c1"}, "missing-field", []),
    (
        "missing-connid",
        "EventEstablished",
        "TS1",
        {"thisDN": "7001"},
        "missing-field",
        DN_OBJECTS,
    ),
    (
        "queue-event-on-an-extension",
        "EventQueued",
        "TS1",
        {"thisDN": "7001", "connID": "c1"},
        "wrong-dn-type",
        DN_OBJECTS,
    ),
    (
        "agent-event-on-a-queue",
        "EventAgentReady",
        "TS1",
        {"thisDN": "8000"},
        "wrong-dn-type",
        [("Queue", "8000@SW1"), ("Tenant", "")],
    ),
    (
        "multimedia-event-from-a-tserver",
        "EventPlacedInQueue",
        "TS1",
        {"thisDN": "7001", "interactionID": "i1", "queue": "Inbound"},
        "not-a-tserver-event",
        [],
    ),
    (
        "voice-event-from-an-interaction-server",
        "EventRinging",
        "IXN1",
        {"thisDN": "7001", "connID": "c1"},
        "not-an-interaction-server-event",
        [],
    ),
    (
        "unknown-agent-on-an-interaction-server",
        "EventAgentLogin",
        "IXN1",
        {"agentID": "nobody", "mediaType": "chat"},
        "unknown-agent",
        [],
    ),
    (
        "media-login-without-agent",
        "EventAgentLogin",
        "IXN1",
        {"mediaType": "chat"},
        "missing-field",
        [],
    ),
    (
        "invitation-without-interaction",
        "EventAgentInvited",
        "IXN1",
        {"agentID": "a1", "mediaType": "chat"},
        "missing-field",
        [],
    ),
    (
        "placed-in-no-queue",
        "EventPlacedInQueue",
        "IXN1",
        {"interactionID": "i1", "mediaType": "email"},
        "missing-field",
        [],
    ),
    (
        "tenant-not-served",
        "EventAgentLogin",
        "IXN1",
        {"agentID": "a1", "mediaType": "chat", "tenant": "Elsewhere"},
        "unknown-tenant",
        [],
    ),
]


@pytest.mark.parametrize(
    ("event", "source", "attrs", "reason", "errors_on"),
    [pytest.param(*r[1:], id=r[0]) for r in REJECTED],
)
def test_the_engine_rejects_counts_and_goes_on(
    event: str,
    source: str,
    attrs: dict[str, Any],
    reason: str,
    errors_on: list[tuple[str, str]],
):
    """feed returns False without raising, counts the reason once, leaves an InputError on
    the named DN (and what it belongs to) when the DN is configured, and the next event is
    applied normally."""
    sc = Scenario(STATS)
    assert sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    objects = [("RegularDN", "7001@SW1"), ("Agent", "a1"), ("AgentPlace", "P1")]
    objects += [("Queue", "8000@SW1"), ("Tenant", "")]
    errors = {
        o: sc.open(o[0], o[1] or "Resources", "Errors", time_profile="Default") for o in objects
    }
    before = sc.engine.counters.applied
    assert sc.ev(5, event, source=source, **attrs) is False
    assert sc.engine.counters.rejected == {reason: 1}
    assert sc.engine.counters.applied == before
    for obj, stat in errors.items():
        assert sc.value(stat, 6) == (1 if obj in errors_on else 0), obj
    # the engine goes on: the next event is applied
    assert sc.ev(10, "EventAgentReady", thisDN="7001")


def test_input_errors_accumulate_per_dn():
    """Three bad events on 7001 and one on 7002 count 3 and 1 (TotalNumberErrors)."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    on_7001 = sc.open("RegularDN", "7001@SW1", "Errors")
    on_7002 = sc.open("RegularDN", "7002@SW1", "Errors")
    tenant = sc.open("Tenant", "Resources", "Errors")
    for t in (1, 2, 3):
        assert not sc.ev(t, "EventEstablished", thisDN="7001")  # no connID
    assert not sc.ev(4, "EventHeld", thisDN="7002")  # no connID
    assert sc.value(on_7001, 5) == 3
    assert sc.value(on_7002, 5) == 1
    assert sc.value(tenant, 5) == 3 + 1


# ------------------------------------------------------------------------------ warnings
def test_login_of_an_unknown_agent_is_applied_and_counted():
    """A T-Server login with an agentID nobody has: the DN is logged in, no agent follows
    it, and the warning unknown-agent is counted."""
    sc = Scenario(STATS)
    dn_logged = sc.open("RegularDN", "7002@SW1", "LoggedIn", at=0)
    a2_logged = sc.open("Agent", "a2", "LoggedIn", at=0)
    assert sc.ev(1, "EventAgentLogin", thisDN="7002", agentID="9999")
    assert sc.engine.counters.warnings == {"unknown-agent": 1}
    assert sc.engine.counters.rejected == {}
    assert sc.value(dn_logged, 2) == 1
    assert sc.value(a2_logged, 2) == 0  # a2's login id is 5002, not 9999


@pytest.mark.parametrize(
    ("events", "warning"),
    [
        pytest.param(
            [("EventAgentLogout", {"thisDN": "7001"})], "logout-without-login", id="logout"
        ),
        pytest.param(
            [("EventReleased", {"thisDN": "7001", "connID": "never-seen"})],
            "unknown-call",
            id="release-unknown-call",
        ),
        pytest.param(
            [("EventAgentReady", {"thisDN": "7001"})], "agent-not-logged-in", id="ready-nobody"
        ),
        pytest.param(
            [("EventAgentReady", {"thisDN": "7001", "agentID": "5001"})],
            "implicit-login",
            id="implicit-login",
        ),
    ],
)
def test_odd_but_applicable_events_are_warnings(
    events: list[tuple[str, dict[str, Any]]], warning: str
):
    """These events are applied (feed returns True) and counted as warnings."""
    sc = Scenario(STATS)
    for i, (event, attrs) in enumerate(events):
        assert sc.ev(i, event, **attrs)
    assert sc.engine.counters.warnings == {warning: 1}
    assert sc.engine.counters.rejected == {}


def test_an_unknown_call_type_counts_as_unknown():
    """callType 'Weird' is not an error: the call is of type Unknown."""
    sc = Scenario(STATS)
    unknown = sc.open("RegularDN", "7001@SW1", "Unknown", at=0)
    assert sc.ev(1, "EventEstablished", thisDN="7001", connID="c1", callType="Weird")
    assert sc.value(unknown, 2) == 1


# ------------------------------------------------------------------------------ late events
def test_a_late_event_is_applied_at_the_tenant_clock():
    """NotReady stamped 10 s before the Ready that preceded it is applied when the clock
    already is (100 s): ReadyTime is 0, not −10, and the late event is counted."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ready = sc.open("Agent", "a1", "ReadyTime")
    not_ready = sc.open("Agent", "a1", "NotReadyTime")
    assert sc.ev(100, "EventAgentReady", thisDN="7001")
    assert sc.ev(90, "EventAgentNotReady", thisDN="7001")  # late: applied, not rejected
    assert sc.engine.counters.clock_went_back == 1
    assert sc.engine.counters.rejected == {}
    assert sc.value(ready, 200) == 0  # ready 100 -> 100
    assert sc.value(not_ready, 200) == 200 - 100  # from the clock's time, 100


def test_sources_with_skewed_clocks_never_make_negative_durations():
    """Two sources of one tenant, the second 5 s behind: every duration stays >= 0."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ready = sc.open("Agent", "a1", "ReadyTime")
    sc.ev(50, "EventAgentReady", thisDN="7001")
    sc.ev(45, "EventPlacedInQueue", source="IXN1", interactionID="i1", queue="Mail")  # late
    sc.ev(60, "EventAgentNotReady", thisDN="7001")
    assert sc.engine.counters.clock_went_back == 1
    assert sc.value(ready, 100) == 60 - 50


# ------------------------------------------------------------------------------ replay files
QUERY = (
    '{"request": "OpenStatistic", "referenceId": 1, "object": {"objectId": "a1", '
    '"objectType": "Agent", "tenant": "Resources"}, "metric": {"statisticType": "ReadyTime"}, '
    f'"at": [{T0 + 100}]}}\n'
    '{"request": "OpenStatistic", "referenceId": 2, "object": {"objectId": "7001@SW1", '
    '"objectType": "RegularDN", "tenant": "Resources"}, "metric": {"statisticType": "Errors"}, '
    f'"at": [{T0 + 100}]}}\n'
)


def run_replay(lines: list[str]) -> tuple[str, Any]:
    sc = Scenario(STATS)
    out = io.StringIO()
    report = replay(sc.config, lines, parse_queries(QUERY.splitlines()), out)
    return out.getvalue(), report


def ev(t: float, event: str, **attrs: Any) -> str:
    return line({"event": event, "time": T0 + t, "source": "TS1", **attrs})


def test_a_replay_file_with_garbage_goes_on_and_counts_every_reason():
    """Bad lines between good ones: the replay reads to the end, the good events give the
    same values as without the garbage, and the summary counts every reason."""
    good = [
        ev(0, "EventAgentLogin", thisDN="7001", agentID="5001"),
        ev(10, "EventAgentReady", thisDN="7001"),
        ev(70, "EventAgentNotReady", thisDN="7001"),
    ]
    garbage = [
        "{not json",
        "[1, 2, 3]",
        '"EventAgentReady"',
        line({"time": T0 + 20, "source": "TS1", "thisDN": "7001"}),  # no event
        ev(30, "EventAgentBored", thisDN="7001"),
        line({"event": "EventAgentReady", "time": "soon", "source": "TS1", "thisDN": "7001"}),
        ev(40, "EventRinging", thisDN="7999", connID="c1"),
        line({"event": "EventAgentReady", "time": T0 + 50, "source": "TS9", "thisDN": "7001"}),
        ev(55, "EventEstablished", thisDN="7001"),  # no connID: InputError on 7001
        ev(60, "EventAgentLogin", thisDN="7002", agentID="9999"),  # applied, warning
    ]
    clean_out, _ = run_replay(good)
    mixed = good[:2] + garbage + good[2:]
    out, report = run_replay(mixed)
    ready_line = out.splitlines()[0]
    assert ready_line == clean_out.splitlines()[0]
    assert ready_line.endswith('"value":60}')  # ready from 10 to 70
    assert out.splitlines()[1].endswith('"value":1}')  # one InputError on 7001
    assert report.events == len(mixed)
    assert report.skipped == {
        "malformed-json": 1,
        "not-an-object": 2,
        "missing-field": 2,  # no event (edge), no connID (engine)
        "unknown-event": 1,
        "bad-time": 1,
        "unknown-dn": 1,
        "unknown-source": 1,
    }
    assert report.applied == len(good) + 1  # the login of the unknown agent
    assert report.warnings == {"unknown-agent": 1}
    summary = report.summary()
    assert summary.startswith(f"replay: {len(mixed)} events, {len(good) + 1} applied, 9 skipped")
    assert "malformed-json: 1" in summary
    assert "warnings: unknown-agent: 1" in summary


def test_a_replay_file_going_back_in_time_is_reported():
    """A line earlier than the previous one is applied at the clock and reported."""
    lines = [
        ev(0, "EventAgentLogin", thisDN="7001", agentID="5001"),
        ev(20, "EventAgentReady", thisDN="7001"),
        ev(10, "EventAgentNotReady", thisDN="7001"),
    ]
    out, report = run_replay(lines)
    assert out.splitlines()[0].endswith('"value":0}')  # ready 20 -> 20
    assert report.clock_went_back == 1
    assert "1 with a time before the previous event" in report.summary()


# ------------------------------------------------------------------------------ never raises
KEYS = ["event", "time", "source", "thisDN", "connID", "agentID", "otherDN", "thisQueue"]
KEYS += ["callType", "workMode", "userData", "reasons", "extensions", "mediaType"]
KEYS += ["interactionID", "queue", "tenant", "previousConnID", "partyType"]
EVENTS = ["EventRinging", "EventEstablished", "EventReleased", "EventAgentLogin", "EventHeld"]
EVENTS += ["EventAgentReady", "EventQueued", "EventDiverted", "EventRegistered", "EventFoo"]
EVENTS += ["EventPartyChanged", "EventAgentInvited", "EventPlacedInQueue", "EventAbandoned"]
VALUES = st.one_of(
    st.sampled_from(["7001", "7002", "8000", "9000", "7999", "5001", "a1", "c1", "c2", ""]),
    st.sampled_from(["TS1", "IXN1", "TS9", "Inbound", "chat", "AfterCallWork", "Resources"]),
    st.sampled_from([*EVENTS, "Established", "Held"]),
    st.integers(-5, 5).map(lambda d: T0 + d),
    st.none(),
    st.integers(),
    st.dictionaries(st.sampled_from(["calls", "agentID", "dnd", "Segment"]), st.none(), max_size=2),
    st.lists(st.none(), max_size=2),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8).map(
            lambda d: {"event": "EventRinging", "time": T0, "source": "TS1", **d}
        ),
        max_size=12,
    )
)
def test_no_sequence_of_records_makes_the_engine_raise(records: list[dict[str, Any]]):
    """Random records: decoding raises only EventRejected, feeding never raises, and every
    record fed is either applied or rejected (counted)."""
    engine = Engine(CONFIG.directory, CONFIG.catalog, CONFIG.engine_options)
    fed = 0
    for obj in records:
        try:
            record = decode_event_obj(obj)
        except EventRejected:
            continue
        engine.feed(record)
        fed += 1
    c = engine.counters
    assert c.received == fed
    assert c.applied + c.rejected_total == fed
    assert c.rejected.get("internal-error", 0) == 0, engine.last_internal_error


# ------------------------------------------------------------------------------ the page
DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "event-link.md"


def doc_section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def test_the_page_lists_the_events_of_each_kind_of_source():
    """docs/event-link.md names every event each kind of source handles."""
    from statserver.core.ixn import IXN_HANDLERS
    from statserver.core.tlib import TLIB_HANDLERS
    from statserver.events import EVENT_NAMES

    section = doc_section("## Events the engine understands")
    tserver = section[section.index("**From a T-Server**") : section.index("**From an Interaction")]
    interaction = section[section.index("**From an Interaction") :]
    for name in TLIB_HANDLERS:
        assert f"`{name}`" in tserver, name
    for name in IXN_HANDLERS:
        assert f"`{name}`" in interaction, name
    for name in EVENT_NAMES:
        assert f"`{name}`" in section, name


def test_the_page_lists_every_rejection_reason_seen_here():
    """Each reason these tests produce has a row in the page's Bad input table."""
    section = doc_section("## Bad input")
    reasons = {r for _, _, r in EDGE} | {r[4] for r in REJECTED} | {"internal-error"}
    for reason in reasons:
        assert f"`{reason}`" in section, reason


def test_the_registration_snapshot_example_applies():
    """The EventRegistered example of the page: agent 5001 logged in and ready, off hook,
    one call established and one held."""
    import json
    import re

    section = doc_section("### The registration snapshot")
    example = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    sc = Scenario(
        STATS
        + """
  OnCall: {Objects: RegularDN, Category: CurrentNumber, Subject: DNAction, MainMask: "CallInbound,CallConsult"}
  Held: {Objects: RegularDN, Category: CurrentNumber, Subject: DNAction, MainMask: CallOnHold}
  OffHook: {Objects: RegularDN, Category: CurrentNumber, Subject: DNAction, MainMask: OffHook}
  Ready: {Objects: Agent, Category: CurrentNumber, Subject: DNAction, MainMask: WaitForNextCall}
"""
    )
    assert sc.engine.feed(decode_event_obj(example))
    t = parse_time(example["time"]) - T0 + 1
    values = {
        name: sc.value(sc.open(otype, oid, name, at=t), t)
        for name, otype, oid in [
            ("LoggedIn", "Agent", "a1"),
            ("Ready", "Agent", "a1"),
            ("OffHook", "RegularDN", "7001@SW1"),
            ("OnCall", "RegularDN", "7001@SW1"),
            ("Held", "RegularDN", "7001@SW1"),
        ]
    }
    assert values == {"LoggedIn": 1, "Ready": 1, "OffHook": 1, "OnCall": 2, "Held": 1}
