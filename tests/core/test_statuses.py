"""Statuses: DN status by the priority table, monitoring, agent / place / group statuses,
several Interaction Servers, link loss, registration, virtual groups and propagation.

The DN status priority table (ascending, docs/actions.md):
NotMonitored < Monitored < LoggedIn < OnHook < WaitForNextCall < OffHook < CallDialing <
CallRinging < NotReadyForNextCall < AfterCallWork < CallOnHold < CallUnknown < CallConsult <
CallInternal < CallOutbound < CallInbound (< LoggedOut for agents).
Statuses are read with CurrentState (the ``status`` of the root node) or counted with
CurrentNumber / TotalTime / TotalNumber on a status subject.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import BASE_CONFIG, T0, Scenario
from statserver.core.stats.statistic import Statistic

DN1 = "7001@SW1"

SUBJECT = {
    "RegularDN": "DNStatus",
    "Queue": "DNStatus",
    "Agent": "AgentStatus",
    "AgentPlace": "PlaceStatus",
    "GroupAgents": "GroupStatus",
}


def state(sc: Scenario, otype: str, oid: str, subject: str | None = None) -> Statistic:
    """CurrentState of an object with its natural status subject."""
    inline = {"Category": "CurrentState", "Subject": subject or SUBJECT[otype]}
    return sc.open(otype, oid, inline=inline)


def status(sc: Scenario, st: Statistic) -> str:
    value = sc.value(st)
    assert isinstance(value, dict)
    return str(value["status"])


def stat(
    sc: Scenario, otype: str, oid: str, category: str, mask: str, subject: str, **kw: Any
) -> Statistic:
    inline = {"Category": category, "Subject": subject, "MainMask": mask}
    return sc.open(otype, oid, inline=inline, **kw)


def ev(sc: Scenario, t: float, event: str, **attrs: Any) -> None:
    assert sc.ev(t, event, **attrs), event


# ============================================================================ DN status
LOGIN = ("EventAgentLogin", {"agentID": "5001"})
READY = ("EventAgentReady", {})
NOT_READY = ("EventAgentNotReady", {"workMode": "AuxWork"})
ACW = ("EventAgentNotReady", {"workMode": "AfterCallWork"})


def ring(conn: str = "c1", ct: str = "Inbound") -> tuple[str, dict[str, Any]]:
    return ("EventRinging", {"connID": conn, "callType": ct})


def talk(conn: str = "c1", ct: str = "Inbound") -> tuple[str, dict[str, Any]]:
    return ("EventEstablished", {"connID": conn, "callType": ct})


def hold(conn: str = "c1") -> tuple[str, dict[str, Any]]:
    return ("EventHeld", {"connID": conn})


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param([("EventRegistered", {})], "OnHook", id="registered-is-on-hook"),
        pytest.param([LOGIN, ("EventOnHook", {})], "OnHook", id="logged-in-ranks-below-on-hook"),
        pytest.param([LOGIN, READY], "WaitForNextCall", id="ready"),
        pytest.param([LOGIN, READY, ("EventOffHook", {})], "OffHook", id="off-hook-over-ready"),
        pytest.param([LOGIN, READY, ring()], "CallRinging", id="ringing-over-ready"),
        pytest.param(
            [LOGIN, NOT_READY, ring()], "NotReadyForNextCall", id="not-ready-over-ringing"
        ),
        pytest.param(
            [LOGIN, NOT_READY, ("EventDialing", {"connID": "c1", "callType": "Outbound"})],
            "NotReadyForNextCall",
            id="not-ready-over-dialing",
        ),
        pytest.param([LOGIN, ACW, ring()], "AfterCallWork", id="acw-over-ringing"),
        pytest.param([LOGIN, NOT_READY, talk()], "CallInbound", id="talking-over-not-ready"),
        pytest.param([LOGIN, READY, talk(), hold()], "CallOnHold", id="hold-hides-inbound"),
        pytest.param([LOGIN, talk(), hold(), ACW], "CallOnHold", id="on-hold-over-acw"),
        pytest.param(
            [LOGIN, talk(), hold(), ("EventRetrieved", {"connID": "c1"})],
            "CallInbound",
            id="retrieved-shows-inbound-again",
        ),
        pytest.param(
            [LOGIN, talk(), hold(), talk("c2", "Consult")], "CallConsult", id="consult-over-hold"
        ),
        pytest.param(
            [LOGIN, talk(), hold(), talk("c2", "Unknown")], "CallUnknown", id="unknown-over-hold"
        ),
        pytest.param(
            [LOGIN, talk("c1", "Internal"), talk("c2", "Outbound")],
            "CallOutbound",
            id="outbound-over-internal",
        ),
        pytest.param(
            [LOGIN, talk("c1", "Inbound"), talk("c2", "Outbound")],
            "CallInbound",
            id="inbound-over-outbound",
        ),
        pytest.param(
            [LOGIN, talk("c1", "Consult"), talk("c2", "Internal")],
            "CallInternal",
            id="internal-over-consult",
        ),
        pytest.param([LOGIN, READY, ("EventDNDOn", {})], "WaitForNextCall", id="dnd-not-a-status"),
    ],
)
def test_dn_status_is_the_highest_priority_action(
    events: list[tuple[str, dict[str, Any]]], expected: str
) -> None:
    """The DN status (and a voice-only agent's status) is the top action of the table."""
    sc = Scenario()
    dn = state(sc, "RegularDN", DN1)
    agent = state(sc, "Agent", "a1")
    for i, (event, attrs) in enumerate(events):
        ev(sc, i, event, thisDN="7001", **attrs)
    assert status(sc, dn) == expected
    if any(e == "EventAgentLogin" for e, _ in events):
        assert status(sc, agent) == expected


def test_held_call_hidden_from_status_but_not_from_actions() -> None:
    """While held, the DN shows CallOnHold: the CallInbound action goes on, its status pauses."""
    sc = Scenario()
    action_now = stat(sc, "RegularDN", DN1, "CurrentNumber", "CallInbound", "DNAction")
    status_now = stat(sc, "RegularDN", DN1, "CurrentNumber", "CallInbound", "DNStatus")
    hold_now = stat(sc, "RegularDN", DN1, "CurrentNumber", "CallOnHold", "DNStatus")
    inbound_time = stat(sc, "RegularDN", DN1, "TotalTime", "CallInbound", "DNStatus")
    inbound_n = stat(sc, "RegularDN", DN1, "TotalNumber", "CallInbound", "DNStatus")
    hold_time = stat(sc, "RegularDN", DN1, "TotalTime", "CallOnHold", "DNStatus")
    ev(sc, 0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ev(sc, 10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    ev(sc, 20, "EventHeld", thisDN="7001", connID="c1")
    assert [sc.value(s) for s in (action_now, status_now, hold_now)] == [1, 0, 1]
    ev(sc, 35, "EventRetrieved", thisDN="7001", connID="c1")
    assert [sc.value(s) for s in (action_now, status_now, hold_now)] == [1, 1, 0]
    ev(sc, 50, "EventReleased", thisDN="7001", connID="c1")
    assert sc.value(inbound_time, 60) == (20 - 10) + (50 - 35)
    assert sc.value(inbound_n, 60) == 2  # two CallInbound status episodes
    assert sc.value(hold_time, 60) == 35 - 20


def test_status_starts_when_its_action_becomes_top() -> None:
    """A status episode starts when its action becomes the top one: after a call the agent's
    WaitForNextCall status restarts, while the WaitForNextCall action has gone on since 10."""
    sc = Scenario()
    status_for = stat(sc, "Agent", "a1", "CurrentTime", "WaitForNextCall", "AgentStatus")
    action_for = stat(sc, "Agent", "a1", "CurrentTime", "WaitForNextCall", "DNAction")
    episodes = stat(sc, "Agent", "a1", "TotalNumber", "WaitForNextCall", "AgentStatus")
    agent = state(sc, "Agent", "a1")
    ev(sc, 0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ev(sc, 10, "EventAgentReady", thisDN="7001")
    ev(sc, 20, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    ev(sc, 25, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    ev(sc, 40, "EventReleased", thisDN="7001", connID="c1")
    assert sc.value(status_for, 50) == 50 - 40
    assert sc.value(action_for, 50) == 50 - 10
    assert sc.value(episodes, 50) == 2
    assert (sc.value(agent, 50)["status"], sc.value(agent, 50)["startTime"] - T0) == (
        "WaitForNextCall",
        40,
    )


# ============================================================================ monitoring
def test_not_monitored_monitored_registered() -> None:
    """NotMonitored before any event; Monitored after EventLinkConnected; OnHook once
    registered, by EventRegistered or implicitly by any event naming the DN."""
    sc = Scenario()
    dns = {n: state(sc, "RegularDN", f"{n}@SW1") for n in ("7001", "7002", "7003")}
    queue = state(sc, "Queue", "8000@SW1")
    assert [status(sc, s) for s in dns.values()] == ["NotMonitored"] * 3
    assert status(sc, queue) == "NotMonitored"
    ev(sc, 5, "EventLinkConnected")
    assert [status(sc, s) for s in dns.values()] == ["Monitored"] * 3
    ev(sc, 10, "EventRegistered", thisDN="7001")
    ev(sc, 11, "EventOffHook", thisDN="7002")  # registers 7002 implicitly
    ev(sc, 12, "EventRegistered", thisDN="8000")
    assert [status(sc, s) for s in dns.values()] == ["OnHook", "OffHook", "Monitored"]
    assert status(sc, queue) == "Monitored"  # the mediation table has only two statuses


def test_agent_logged_out_when_logged_in_nowhere() -> None:
    """An agent is LoggedOut until it logs in somewhere and after it logs out everywhere."""
    sc = Scenario()
    agent = state(sc, "Agent", "a1")
    logged_out = stat(sc, "Agent", "a1", "TotalTime", "LoggedOut", "AgentStatus")
    assert status(sc, agent) == "LoggedOut"
    ev(sc, 10, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")
    assert status(sc, agent) == "WaitForNextCall"
    ev(sc, 15, "EventAgentLogin", source="IXN1", agentID="a1", mediaType="chat")
    ev(sc, 20, "EventAgentLogout", thisDN="7001")
    assert status(sc, agent) == "NotReadyForNextCall"  # still logged in on chat
    ev(sc, 30, "EventAgentLogout", source="IXN1", agentID="a1")
    assert status(sc, agent) == "LoggedOut"
    assert sc.value(logged_out, 50) == (10 - 0) + (50 - 30)


# ============================================================================ place status
PLACE_BASE = BASE_CONFIG.replace("places:\n", "places:\n  - {name: P0, dns: []}\n")


def test_place_without_devices_is_not_monitored() -> None:
    """Rule 1: a place with no devices and no media channels is NotMonitored."""
    assert PLACE_BASE != BASE_CONFIG
    sc = Scenario(base=PLACE_BASE)
    p0 = state(sc, "AgentPlace", "P0")
    ev(sc, 0, "EventRegistered", thisDN="7001")
    assert status(sc, p0) == "NotMonitored"


def _voice(sc: Scenario, t: float, setup: str) -> None:
    """a1 on 7001 (place P1): ``ready``, ``not-ready``, ``on-hold``, ``off-hook``
    (logged in, no mode) or ``device-only`` (7001 off hook, nobody logged in)."""
    if setup == "device-only":
        ev(sc, t, "EventOffHook", thisDN="7001")
        return
    ev(sc, t, "EventAgentLogin", thisDN="7001", agentID="5001")
    if setup == "ready":
        ev(sc, t, "EventAgentReady", thisDN="7001")
    elif setup == "not-ready":
        ev(sc, t, "EventAgentNotReady", thisDN="7001")
    elif setup == "on-hold":
        ev(sc, t, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
        ev(sc, t, "EventHeld", thisDN="7001", connID="c1")
    elif setup == "off-hook":
        ev(sc, t, "EventOffHook", thisDN="7001")


def _media(sc: Scenario, t: float, setup: str) -> None:
    """a1 on chat (IXN1) at place P1: ``ready``, ``not-ready``, ``delivering``, ``handling``."""
    mode = {} if setup == "not-ready" else {"workMode": "ManualIn"}
    ev(sc, t, "EventAgentLogin", source="IXN1", agentID="a1", mediaType="chat", place="P1", **mode)
    if setup == "delivering":
        ev(
            sc,
            t,
            "EventAgentInvited",
            source="IXN1",
            agentID="a1",
            mediaType="chat",
            interactionID="i1",
        )
    elif setup == "handling":
        ev(
            sc,
            t,
            "EventPartyAdded",
            source="IXN1",
            agentID="a1",
            mediaType="chat",
            interactionID="i1",
        )


@pytest.mark.parametrize(
    ("voice", "media", "expected"),
    [
        pytest.param("ready", None, "WaitForNextCall", id="4-voice-only"),
        pytest.param(None, "ready", "WaitForNextCall", id="5-media-only"),
        pytest.param(None, "handling", "CallInbound", id="5-media-only-handling"),
        pytest.param("on-hold", "handling", "CallOnHold", id="6a-voice-above-not-ready-wins"),
        pytest.param("ready", "delivering", "CallRinging", id="6b-media-above-voice"),
        pytest.param("not-ready", "handling", "CallInbound", id="6b-media-handling-over-not-ready"),
        pytest.param("not-ready", "ready", "NotReadyForNextCall", id="6d-voice-not-ready-kept"),
        pytest.param("device-only", "ready", "WaitForNextCall", id="6c-nobody-on-voice"),
        pytest.param("off-hook", "ready", "OffHook", id="6d-logged-on-voice"),
    ],
)
def test_place_and_agent_status_rules(voice: str | None, media: str | None, expected: str) -> None:
    """Place status rules 4–6 of the documented algorithm; the agent's status is the same."""
    sc = Scenario()
    place = state(sc, "AgentPlace", "P1")
    agent = state(sc, "Agent", "a1")
    if voice:
        _voice(sc, 1, voice)
    if media:
        _media(sc, 2, media)
    assert status(sc, place) == expected
    assert status(sc, agent) == expected


# ============================================================================ several servers
def test_one_agent_on_two_interaction_servers() -> None:
    """a1 reported by IXN1 (chat) and IXN2 (email) is one agent whose status composes both;
    losing IXN1 drops only the chat part."""
    sc = Scenario()
    agent = state(sc, "Agent", "a1")
    team = stat(sc, "GroupAgents", "Team", "CurrentNumber", "*,~LoggedOut", "AgentStatus")
    team_ringing = stat(sc, "GroupAgents", "Team", "CurrentNumber", "CallRinging", "AgentStatus")
    logged = {
        m: sc.open(
            "Agent",
            "a1",
            inline={
                "Category": "CurrentNumber",
                "Subject": "DNAction",
                "MainMask": "LoggedIn",
                "MediaType": m,
            },
        )
        for m in ("chat", "email")
    }
    chat_login_time = sc.open(
        "Agent",
        "a1",
        inline={
            "Category": "TotalTime",
            "Subject": "DNAction",
            "MainMask": "LoggedIn",
            "MediaType": "chat",
        },
    )
    chat = {"source": "IXN1", "agentID": "a1", "mediaType": "chat"}
    email = {"source": "IXN2", "agentID": "a1", "mediaType": "email"}
    ev(sc, 0, "EventAgentLogin", **chat)
    ev(sc, 5, "EventAgentLogin", workMode="ManualIn", **email)
    assert status(sc, agent) == "NotReadyForNextCall"  # chat not ready ranks above email ready
    ev(sc, 10, "EventReadyForMedia", **chat)
    assert status(sc, agent) == "WaitForNextCall"
    ev(sc, 20, "EventAgentInvited", interactionID="e1", **email)
    assert status(sc, agent) == "CallRinging"
    assert (sc.value(team), sc.value(team_ringing)) == (1, 1)  # one agent, not two
    ev(sc, 30, "EventLinkDisconnected", source="IXN1")
    assert [sc.value(logged[m]) for m in ("chat", "email")] == [0, 1]
    assert sc.value(chat_login_time) == 30 - 0  # the chat login ended with the link
    assert status(sc, agent) == "CallRinging"  # the email part is untouched
    ev(sc, 35, "EventRevoked", interactionID="e1", **email)
    assert status(sc, agent) == "WaitForNextCall"
    ev(sc, 40, "EventLinkDisconnected", source="IXN2")
    assert status(sc, agent) == "LoggedOut"
    assert sc.value(team) == 0


# ============================================================================ link, registration
def test_tserver_link_disconnected_ends_actions() -> None:
    """EventLinkDisconnected from the T-Server ends every action on its DNs (calls, logins,
    calls waiting in queues) and makes the DNs NotMonitored; media logins survive."""
    sc = Scenario()
    dn = state(sc, "RegularDN", DN1)
    queue = state(sc, "Queue", "8000@SW1")
    a1, a2 = state(sc, "Agent", "a1"), state(sc, "Agent", "a2")
    talk_time = stat(sc, "RegularDN", DN1, "TotalTime", "CallInbound", "DNAction")
    completed = stat(sc, "RegularDN", DN1, "TotalNumber", "CallInboundCompleted", "DNAction")
    logged_in = stat(sc, "RegularDN", DN1, "CurrentNumber", "LoggedIn", "DNAction")
    wait_time = stat(sc, "Queue", "8000@SW1", "TotalTime", "CallWait", "DNAction")
    waiting = stat(sc, "Queue", "8000@SW1", "CurrentNumber", "CallWait", "DNAction")
    ev(sc, 0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")
    ev(sc, 0, "EventAgentLogin", thisDN="7002", agentID="5002", workMode="ManualIn")
    ev(sc, 1, "EventAgentLogin", source="IXN1", agentID="a2", mediaType="chat", workMode="ManualIn")
    ev(sc, 5, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    ev(sc, 20, "EventEstablished", thisDN="7001", connID="c2", callType="Inbound")
    assert status(sc, dn) == "CallInbound"
    ev(sc, 50, "EventLinkDisconnected")
    assert status(sc, dn) == "NotMonitored"
    assert status(sc, queue) == "NotMonitored"
    assert status(sc, a1) == "LoggedOut"
    assert status(sc, a2) == "WaitForNextCall"  # still ready on chat
    assert sc.value(talk_time, 60) == 50 - 20
    assert sc.value(completed, 60) == 1
    assert sc.value(logged_in, 60) == 0
    assert sc.value(waiting, 60) == 0
    assert sc.value(wait_time, 60) == 50 - 5
    ev(sc, 70, "EventLinkConnected")
    assert status(sc, dn) == "Monitored"
    ev(sc, 80, "EventRegistered", thisDN="7001")
    assert status(sc, dn) == "OnHook"


def test_registered_with_extensions_reconciles_state() -> None:
    """EventRegistered carrying agentID, workMode and calls sets the DN to that state; a later
    one drops calls it no longer reports and applies the new work mode; loggedOut logs out."""
    sc = Scenario()
    dn = state(sc, "RegularDN", DN1)
    agent = state(sc, "Agent", "a1")
    talk_time = stat(sc, "RegularDN", DN1, "TotalTime", "CallInbound", "DNAction")
    ready_time = stat(sc, "RegularDN", DN1, "TotalTime", "WaitForNextCall", "DNAction")
    logged_in = stat(sc, "RegularDN", DN1, "CurrentNumber", "LoggedIn", "DNAction")
    call = {"connID": "c9", "callType": "Inbound", "state": "Established"}
    ext = {"agentID": "5001", "workMode": "ManualIn", "calls": [call]}
    ev(sc, 10, "EventRegistered", thisDN="7001", extensions=ext)
    assert (status(sc, dn), status(sc, agent), sc.value(logged_in)) == (
        "CallInbound",
        "CallInbound",
        1,
    )
    ext = {"agentID": "5001", "workMode": "AuxWork", "calls": []}
    ev(sc, 40, "EventRegistered", thisDN="7001", extensions=ext)
    assert status(sc, dn) == "NotReadyForNextCall"
    assert sc.value(talk_time) == 40 - 10
    assert sc.value(ready_time) == 40 - 10
    ev(sc, 50, "EventRegistered", thisDN="7001", extensions={"loggedOut": True})
    assert (status(sc, dn), status(sc, agent), sc.value(logged_in)) == ("OnHook", "LoggedOut", 0)


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        pytest.param(
            {"calls": [{"connID": "c1", "state": "Held", "callType": "Inbound"}]},
            "CallOnHold",
            id="held-call",
        ),
        pytest.param(
            {"calls": [{"connID": "c1", "state": "Ringing"}]}, "CallRinging", id="ringing-call"
        ),
        pytest.param(
            {"calls": [{"connID": "c1", "state": "Dialing"}]}, "CallDialing", id="dialing-call"
        ),
        pytest.param({"offHook": True}, "OffHook", id="off-hook"),
    ],
)
def test_registered_extensions_device_state(ext: dict[str, Any], expected: str) -> None:
    """EventRegistered extensions describe calls (by state) and the hook of the DN."""
    sc = Scenario()
    dn = state(sc, "RegularDN", DN1)
    ev(sc, 10, "EventRegistered", thisDN="7001", extensions=ext)
    assert status(sc, dn) == expected


# ============================================================================ groups
@pytest.mark.parametrize(
    "ignore_logged_out", [True, False], ids=["ignores-logged-out", "option-off"]
)
def test_group_status(ignore_logged_out: bool) -> None:
    """GroupStatus is the top status of the logged-in members, LoggedOut when none is
    (with group-status-ignores-logged-out off, any logged-out member makes it LoggedOut)."""
    sc = Scenario(group_status_ignores_logged_out=ignore_logged_out)
    team = state(sc, "GroupAgents", "Team")
    assert status(sc, team) == "LoggedOut"
    ev(sc, 0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")
    want = "WaitForNextCall" if ignore_logged_out else "LoggedOut"
    assert status(sc, team) == want
    ev(sc, 10, "EventAgentLogin", thisDN="7002", agentID="5002")
    ev(sc, 10, "EventAgentNotReady", thisDN="7002")
    assert status(sc, team) == ("NotReadyForNextCall" if ignore_logged_out else "LoggedOut")
    ev(sc, 20, "EventAgentLogout", thisDN="7002")
    assert status(sc, team) == want
    ev(sc, 30, "EventAgentLogout", thisDN="7001")
    assert status(sc, team) == "LoggedOut"


def test_virtual_group_by_skill() -> None:
    """Spanish = Skill("Spanish")>=5: a1 (7) is a member, a2 (3) is not."""
    sc = Scenario()
    spanish = stat(sc, "GroupAgents", "Spanish", "CurrentNumber", "*,~LoggedOut", "AgentStatus")
    team = stat(sc, "GroupAgents", "Team", "CurrentNumber", "*,~LoggedOut", "AgentStatus")
    members = state(sc, "GroupAgents", "Spanish")
    ev(sc, 0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ev(sc, 0, "EventAgentLogin", thisDN="7002", agentID="5002")
    assert (sc.value(spanish), sc.value(team)) == (1, 2)
    assert [a["agentId"] for a in sc.value(members)["agents"]] == ["a1"]


def test_virtual_group_by_queue_login() -> None:
    """OnSales = LoggedIn("8000@SW1"): membership follows logins on the queue, and the
    member's status joins and leaves the group's numbers at that moment."""
    sc = Scenario()
    ready = stat(sc, "GroupAgents", "OnSales", "CurrentNumber", "WaitForNextCall", "AgentStatus")
    ready_time = stat(sc, "GroupAgents", "OnSales", "TotalTime", "WaitForNextCall", "AgentStatus")
    ready_n = stat(sc, "GroupAgents", "OnSales", "TotalNumber", "WaitForNextCall", "AgentStatus")
    members = state(sc, "GroupAgents", "OnSales")
    queue_ready = stat(sc, "Queue", "8000@SW1", "CurrentNumber", "AgentReady", "DNAction")

    def who() -> list[str]:
        return [a["agentId"] for a in sc.value(members)["agents"]]

    ev(sc, 0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    ev(sc, 0, "EventAgentLogin", thisDN="7002", agentID="5002")
    ev(sc, 10, "EventAgentReady", thisDN="7001")
    ev(sc, 10, "EventAgentReady", thisDN="7002")
    assert (who(), sc.value(ready)) == (["a1"], 1)
    assert sc.value(queue_ready) == 1
    ev(sc, 30, "EventAgentLogin", thisDN="7002", agentID="5002", thisQueue="8000")
    assert (who(), sc.value(ready)) == (["a1", "a2"], 2)
    assert sc.value(queue_ready) == 2  # a2 was already ready when it joined the queue
    assert sc.value(ready_time, 60) == (60 - 10) + (60 - 30)  # a2 counts from joining
    ev(sc, 70, "EventAgentLogout", thisDN="7001")
    assert (who(), sc.value(ready)) == (["a2"], 1)
    # a1's episode stays in the interval up to its leaving; episodes overlapping it count
    assert sc.value(ready_time, 100) == (70 - 10) + (100 - 30)
    assert sc.value(ready_n, 100) == 2


# ============================================================================ propagation
def test_dn_action_and_status_propagate_dn_place_agent_groups_tenant() -> None:
    """A call on 7001 (a1 at P1) is seen on the DN, its place, its agent, their groups and
    the tenant; the statuses follow DN → place → agent → groups."""
    sc = Scenario()
    objects = [
        ("RegularDN", DN1, 1),
        ("RegularDN", "7002@SW1", 0),
        ("AgentPlace", "P1", 1),
        ("AgentPlace", "P2", 0),
        ("Agent", "a1", 1),
        ("Agent", "a2", 0),
        ("GroupAgents", "Team", 1),
        ("GroupAgents", "Spanish", 1),
        ("GroupPlaces", "Floor", 1),
        ("Tenant", "Resources", 1),
    ]
    actions = [
        (stat(sc, o, i, "CurrentNumber", "CallInbound", "DNAction"), n) for o, i, n in objects
    ]
    statuses = [
        (stat(sc, "Agent", "a1", "CurrentNumber", "CallInbound", "AgentStatus"), 1),
        (stat(sc, "GroupAgents", "Team", "CurrentNumber", "CallInbound", "AgentStatus"), 1),
        (stat(sc, "Tenant", "Resources", "CurrentNumber", "CallInbound", "AgentStatus"), 1),
        (stat(sc, "AgentPlace", "P1", "CurrentNumber", "CallInbound", "PlaceStatus"), 1),
        (stat(sc, "GroupPlaces", "Floor", "CurrentNumber", "CallInbound", "PlaceStatus"), 1),
        (stat(sc, "GroupAgents", "Team", "CurrentNumber", "CallInbound", "GroupStatus"), 1),
    ]
    ev(sc, 0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ev(sc, 0, "EventAgentLogin", thisDN="7002", agentID="5002")
    ev(sc, 10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    assert [sc.value(s) for s, _ in actions] == [n for _, n in actions]
    assert [sc.value(s) for s, _ in statuses] == [n for _, n in statuses]
    ev(sc, 40, "EventReleased", thisDN="7001", connID="c1")
    assert [sc.value(s) for s, _ in actions + statuses] == [0] * len(actions + statuses)


def test_mediation_actions_propagate_to_dn_group_and_tenant() -> None:
    """Calls waiting on 8000 and 8001 are seen on each queue, on GroupQueues and the tenant."""
    sc = Scenario()
    objects = [("Queue", "8000@SW1", 1), ("Queue", "8001@SW1", 1), ("GroupQueues", "Queues", 2)]
    objects.append(("Tenant", "Resources", 2))
    waiting = [(stat(sc, o, i, "CurrentNumber", "CallWait", "DNAction"), n) for o, i, n in objects]
    ev(sc, 10, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    ev(sc, 11, "EventQueued", thisDN="8001", connID="c2", callType="Inbound")
    assert [sc.value(s) for s, _ in waiting] == [n for _, n in waiting]


def test_current_state_with_dn_status_is_touched_by_media_channels() -> None:
    """An agent's CurrentState over DNStatus shows its media channels, so a change on a
    media channel must mark the statistic changed (for Changes notification)."""
    sc = Scenario(
        """
statTypes:
  AgentTree: {Objects: Agent, Category: CurrentState, Subject: DNStatus}
"""
    )
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    tree = sc.open("Agent", "a1", "AgentTree")
    sc.engine.watch_changes(tree)
    sc.engine.take_changes()
    sc.ev(5, "EventMediaAdded", source="IXN1", agentID="a1", mediaType="chat")
    assert tree in sc.engine.take_changes()
    media = sc.value(tree)["media"]
    assert [(m["mediaType"], m["status"]) for m in media] == [("chat", "NotReadyForNextCall")]
