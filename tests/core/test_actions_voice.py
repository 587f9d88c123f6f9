"""Regular-DN and mediation-DN actions from T-Server events (docs/actions.md).

Every test drives the engine with T-Library events at seconds after T0 and observes the actions
through CurrentNumber / TotalNumber / TotalTime statistics (Subject DNAction) opened before the
first event, so nothing is clipped.  Expected values are worked out by hand from the event
times: an action's duration is its end time minus its start time in whole seconds.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import BASE_CONFIG, Scenario
from statserver.core.stats.statistic import Statistic

DN1, DN2 = "7001@SW1", "7002@SW1"
Q1, Q2, RP = "8000@SW1", "8001@SW1", "9000@SW1"


def stat(
    sc: Scenario,
    otype: str,
    oid: str,
    category: str,
    mask: str,
    subject: str = "DNAction",
    **kw: Any,
) -> Statistic:
    """Open an inline statistic (OpenStatisticEx) at the scenario's current time."""
    return sc.open(
        otype, oid, inline={"Category": category, "Subject": subject, "MainMask": mask}, **kw
    )


def totals(sc: Scenario, otype: str, oid: str, masks: list[str]) -> dict[str, Statistic]:
    """TotalTime and TotalNumber of each mask: keys ``"time:Mask"`` and ``"num:Mask"``."""
    out: dict[str, Statistic] = {}
    for mask in masks:
        out[f"time:{mask}"] = stat(sc, otype, oid, "TotalTime", mask)
        out[f"num:{mask}"] = stat(sc, otype, oid, "TotalNumber", mask)
    return out


def read(sc: Scenario, stats: dict[str, Statistic], t: float) -> dict[str, Any]:
    return {k: sc.value(s, t) for k, s in stats.items()}


def login(sc: Scenario, t: float, dn: str = "7001", agent: str = "5001", **kw: Any) -> None:
    sc.ev(t, "EventAgentLogin", thisDN=dn, agentID=agent, **kw)


def queued_call(
    sc: Scenario, conn: str, queued: float, diverted: float, answered: float, dn: str = "7001"
) -> None:
    """A call queued on 8000, diverted to ``dn`` (rings there) and answered."""
    sc.ev(queued, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
    sc.ev(diverted, "EventDiverted", thisDN="8000", connID=conn, otherDN=dn)
    sc.ev(diverted, "EventRinging", thisDN=dn, connID=conn, callType="Inbound")
    sc.ev(answered, "EventEstablished", thisDN=dn, connID=conn, callType="Inbound")


# ============================================================================ agent state
def test_login_ready_not_ready_durations() -> None:
    """LoggedIn lasts login → logout; WaitForNextCall and NotReadyForNextCall alternate."""
    sc = Scenario()
    s = totals(sc, "RegularDN", DN1, ["LoggedIn", "WaitForNextCall", "NotReadyForNextCall"])
    now_logged = stat(sc, "RegularDN", DN1, "CurrentNumber", "LoggedIn")
    login(sc, 0)
    sc.ev(10, "EventAgentReady", thisDN="7001")
    sc.ev(30, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    sc.ev(50, "EventAgentReady", thisDN="7001")
    assert sc.value(now_logged, 60) == 1
    sc.ev(80, "EventAgentLogout", thisDN="7001")
    assert sc.value(now_logged, 100) == 0
    assert read(sc, s, 100) == {
        "time:LoggedIn": 80 - 0,
        "num:LoggedIn": 1,
        "time:WaitForNextCall": (30 - 10) + (80 - 50),
        "num:WaitForNextCall": 2,
        "time:NotReadyForNextCall": 50 - 30,
        "num:NotReadyForNextCall": 1,
    }


def test_login_with_work_mode_starts_ready() -> None:
    """EventAgentLogin with workMode AutoIn starts WaitForNextCall at the login."""
    sc = Scenario()
    ready_for = stat(sc, "RegularDN", DN1, "CurrentTime", "WaitForNextCall")
    ready = stat(sc, "RegularDN", DN1, "TotalTime", "WaitForNextCall")
    login(sc, 0, workMode="AutoIn")
    assert sc.value(ready_for, 25) == 25 - 0
    assert sc.value(ready, 25) == 0  # an action in progress is not projected
    sc.ev(30, "EventAgentLogout", thisDN="7001")
    assert sc.value(ready, 40) == 30 - 0


def test_not_ready_reasons_filter_follows_the_reason_code() -> None:
    """A NotReady reason change inside NotReadyForNextCall: a filter counts only its part."""
    sc = Scenario()
    nr = stat(sc, "RegularDN", DN1, "TotalTime", "NotReadyForNextCall")
    nr_break = stat(sc, "RegularDN", DN1, "TotalTime", "NotReadyForNextCall", filter="Break")
    nr_break_n = stat(sc, "RegularDN", DN1, "TotalNumber", "NotReadyForNextCall", filter="Break")
    nr_n = stat(sc, "RegularDN", DN1, "TotalNumber", "NotReadyForNextCall")
    login(sc, 0)
    sc.ev(10, "EventAgentNotReady", thisDN="7001", reasons={"ReasonCode": "Break"})
    sc.ev(40, "EventAgentNotReady", thisDN="7001", reasons={"ReasonCode": "Lunch"})
    sc.ev(70, "EventAgentNotReady", thisDN="7001", reasons={"ReasonCode": "Break"})
    sc.ev(80, "EventAgentReady", thisDN="7001")
    assert sc.value(nr, 100) == 80 - 10  # one action, the reason changes do not end it
    assert sc.value(nr_n, 100) == 1
    assert sc.value(nr_break, 100) == (40 - 10) + (80 - 70)  # only while the code was Break
    assert sc.value(nr_break_n, 100) == 2  # became Break twice


def test_after_call_work_and_acw_completed_on_dn_and_queue() -> None:
    """ACWCompleted carries the ACW time, on the DN and on the queue that distributed the call."""
    sc = Scenario()
    dn = totals(sc, "RegularDN", DN1, ["AfterCallWork", "ACWCompleted", "ACWMissed"])
    q = totals(sc, "Queue", Q1, ["ACWCompleted", "ACWMissed"])
    login(sc, 0, thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    queued_call(sc, "c1", queued=10, diverted=15, answered=18)
    sc.ev(60, "EventReleased", thisDN="7001", connID="c1")
    sc.ev(60, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(95, "EventAgentReady", thisDN="7001")
    acw = 95 - 60
    assert read(sc, dn, 100) == {
        "time:AfterCallWork": acw,
        "num:AfterCallWork": 1,
        "time:ACWCompleted": acw,
        "num:ACWCompleted": 1,
        "time:ACWMissed": 0,
        "num:ACWMissed": 0,
    }
    assert read(sc, q, 100) == {
        "time:ACWCompleted": acw,
        "num:ACWCompleted": 1,
        "time:ACWMissed": 0,
        "num:ACWMissed": 0,
    }


def test_acw_after_a_direct_call_is_not_credited_to_an_earlier_queue() -> None:
    """ACWCompleted goes to the queue that distributed the *last* call: after a direct
    internal call, the queue of an earlier call gets nothing."""
    sc = Scenario()
    dn = stat(sc, "RegularDN", DN1, "TotalNumber", "ACWCompleted")
    q = stat(sc, "Queue", Q1, "TotalTime", "ACWCompleted")
    login(sc, 0, thisQueue="8000")
    queued_call(sc, "c1", queued=10, diverted=15, answered=18)
    sc.ev(60, "EventReleased", thisDN="7001", connID="c1")
    sc.ev(60, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(70, "EventAgentReady", thisDN="7001")
    sc.ev(80, "EventRinging", thisDN="7001", connID="c2", callType="Internal")
    sc.ev(85, "EventEstablished", thisDN="7001", connID="c2", callType="Internal")
    sc.ev(90, "EventReleased", thisDN="7001", connID="c2")
    sc.ev(90, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(95, "EventAgentReady", thisDN="7001")
    assert sc.value(dn, 100) == 2
    assert sc.value(q, 100) == 70 - 60  # only the ACW after the queue's call


def test_acw_ended_by_not_ready_completes_it() -> None:
    """AfterCallWork ended by NotReady (another work mode) also yields ACWCompleted."""
    sc = Scenario()
    done = stat(sc, "RegularDN", DN1, "TotalTime", "ACWCompleted")
    login(sc, 0)
    sc.ev(10, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(22, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    assert sc.value(done, 30) == 22 - 10


def test_acw_missed_while_call_established() -> None:
    """Going to ACW while the distributed call is still established is ACWMissed (DN + queue)."""
    sc = Scenario()
    dn = stat(sc, "RegularDN", DN1, "TotalNumber", "ACWMissed")
    q = stat(sc, "Queue", Q1, "TotalNumber", "ACWMissed")
    login(sc, 0, thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    queued_call(sc, "c1", queued=10, diverted=15, answered=18)
    sc.ev(40, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    assert sc.value(dn, 50) == 1
    assert sc.value(q, 50) == 1


# ============================================================================ hook, DND
def test_off_hook_on_hook() -> None:
    """OnHook lasts EventOnHook → EventOffHook, OffHook lasts EventOffHook → EventOnHook."""
    sc = Scenario()
    s = totals(sc, "RegularDN", DN1, ["OnHook", "OffHook"])
    sc.ev(0, "EventRegistered", thisDN="7001")
    sc.ev(0, "EventOnHook", thisDN="7001")
    sc.ev(10, "EventOffHook", thisDN="7001")
    sc.ev(25, "EventOnHook", thisDN="7001")
    assert read(sc, s, 40) == {
        # actions count when they complete: the second OnHook (since 25) is not counted yet
        "time:OnHook": 10 - 0,
        "num:OnHook": 1,
        "time:OffHook": 25 - 10,
        "num:OffHook": 1,
    }


def test_do_not_disturb() -> None:
    """DoNotDisturb lasts EventDNDOn → EventDNDOff."""
    sc = Scenario()
    dnd = stat(sc, "RegularDN", DN1, "TotalTime", "DoNotDisturb")
    dnd_now = stat(sc, "RegularDN", DN1, "CurrentNumber", "DoNotDisturb")
    login(sc, 0)
    sc.ev(5, "EventDNDOn", thisDN="7001")
    sc.ev(20, "EventDNDOff", thisDN="7001")
    sc.ev(30, "EventDNDOn", thisDN="7001")
    assert sc.value(dnd_now, 35) == 1
    sc.ev(38, "EventDNDOff", thisDN="7001")
    assert sc.value(dnd_now, 40) == 0
    assert sc.value(dnd, 40) == (20 - 5) + (38 - 30)


# ============================================================================ calls
def test_outbound_call_dialing_originated_started_completed() -> None:
    """Dialing → established → released: CallDialing, CallOutbound and their momentary forms."""
    sc = Scenario()
    names = [
        "CallDialing",
        "CallDialingStarted",
        "CallOutboundOriginated",
        "CallOutbound",
        "CallOutboundStarted",
        "CallOutboundCompleted",
        "CallInbound",
    ]
    s = totals(sc, "RegularDN", DN1, names)
    dialing_now = stat(sc, "RegularDN", DN1, "CurrentNumber", "CallDialing")
    login(sc, 0)
    sc.ev(10, "EventDialing", thisDN="7001", connID="c1", callType="Outbound", otherDN="5551")
    assert sc.value(dialing_now, 12) == 1
    sc.ev(16, "EventEstablished", thisDN="7001", connID="c1", callType="Outbound")
    assert sc.value(dialing_now, 17) == 0
    sc.ev(76, "EventReleased", thisDN="7001", connID="c1")
    assert read(sc, s, 100) == {
        "time:CallDialing": 16 - 10,
        "num:CallDialing": 1,
        "time:CallDialingStarted": 0,
        "num:CallDialingStarted": 1,
        "time:CallOutboundOriginated": 0,
        "num:CallOutboundOriginated": 1,
        "time:CallOutbound": 76 - 16,
        "num:CallOutbound": 1,
        "time:CallOutboundStarted": 0,
        "num:CallOutboundStarted": 1,
        "time:CallOutboundCompleted": 76 - 16,  # retrospective: carries the talk time
        "num:CallOutboundCompleted": 1,
        "time:CallInbound": 0,
        "num:CallInbound": 0,
    }


@pytest.mark.parametrize("call_type", ["Inbound", "Outbound", "Internal", "Consult", "Unknown"])
def test_call_type_selects_the_talking_action(call_type: str) -> None:
    """callType of the call selects Call<Type>, Call<Type>Started and Call<Type>Completed."""
    sc = Scenario()
    types = ["Inbound", "Outbound", "Internal", "Consult", "Unknown"]
    names = ["CallRinging", "CallRingingStarted", "CallAnswered"]
    for ct in types:
        names += [f"Call{ct}", f"Call{ct}Started", f"Call{ct}Completed"]
    s = totals(sc, "RegularDN", DN1, names)
    received = {
        ct: stat(sc, "RegularDN", DN1, "TotalNumber", f"Call{ct}Received")
        for ct in ("Outbound", "Internal", "Consult")
    }
    login(sc, 0)
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType=call_type)
    sc.ev(14, "EventEstablished", thisDN="7001", connID="c1", callType=call_type)
    sc.ev(44, "EventReleased", thisDN="7001", connID="c1")
    expected: dict[str, int] = {
        "time:CallRinging": 14 - 10,
        "num:CallRinging": 1,
        "time:CallRingingStarted": 0,
        "num:CallRingingStarted": 1,
        "time:CallAnswered": 14 - 10,  # ringing time
        "num:CallAnswered": 1,
    }
    for ct in types:
        mine = ct == call_type
        expected |= {
            f"time:Call{ct}": 44 - 14 if mine else 0,
            f"num:Call{ct}": int(mine),
            f"time:Call{ct}Started": 0,
            f"num:Call{ct}Started": int(mine),
            f"time:Call{ct}Completed": 44 - 14 if mine else 0,
            f"num:Call{ct}Completed": int(mine),
        }
    assert read(sc, s, 60) == expected
    for ct, st in received.items():
        assert sc.value(st, 60) == int(ct == call_type), ct


def test_hold_and_retrieve() -> None:
    """CallOnHold lasts held → retrieved; CallHeld counts holds; CallRetrievedFromHold = hold time."""
    sc = Scenario()
    s = totals(sc, "RegularDN", DN1, ["CallOnHold", "CallHeld", "CallRetrievedFromHold"])
    talk = stat(sc, "RegularDN", DN1, "TotalTime", "CallInbound")
    longest = stat(sc, "RegularDN", DN1, "MaxTime", "CallRetrievedFromHold")
    login(sc, 0)
    sc.ev(5, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(20, "EventHeld", thisDN="7001", connID="c1")
    sc.ev(35, "EventRetrieved", thisDN="7001", connID="c1")
    sc.ev(50, "EventHeld", thisDN="7001", connID="c1")
    sc.ev(55, "EventRetrieved", thisDN="7001", connID="c1")
    sc.ev(70, "EventReleased", thisDN="7001", connID="c1")
    assert read(sc, s, 80) == {
        "time:CallOnHold": (35 - 20) + (55 - 50),
        "num:CallOnHold": 2,
        "time:CallHeld": 0,
        "num:CallHeld": 2,
        "time:CallRetrievedFromHold": (35 - 20) + (55 - 50),
        "num:CallRetrievedFromHold": 2,
    }
    assert sc.value(longest, 80) == 35 - 20
    assert sc.value(talk, 80) == 70 - 10  # the talking action goes on while held


def test_released_while_held_ends_hold_without_retrieve() -> None:
    """A held call released: CallOnHold ends, but no CallRetrievedFromHold."""
    sc = Scenario()
    s = totals(sc, "RegularDN", DN1, ["CallOnHold", "CallRetrievedFromHold"])
    login(sc, 0)
    sc.ev(10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(20, "EventHeld", thisDN="7001", connID="c1")
    sc.ev(32, "EventReleased", thisDN="7001", connID="c1")
    assert read(sc, s, 40) == {
        "time:CallOnHold": 32 - 20,
        "num:CallOnHold": 1,
        "time:CallRetrievedFromHold": 0,
        "num:CallRetrievedFromHold": 0,
    }


def test_call_answered_on_dn_is_ringing_time_on_queue_is_wait_plus_ringing() -> None:
    """CallAnswered: ringing time on the DN; queue entry → answer on the distributing queue."""
    sc = Scenario()
    dn = stat(sc, "RegularDN", DN1, "TotalTime", "CallAnswered")
    q = stat(sc, "Queue", Q1, "TotalTime", "CallAnswered")
    q_n = stat(sc, "Queue", Q1, "TotalNumber", "CallAnswered")
    q_sl = stat(sc, "Queue", Q1, "TotalNumberInTimeRange", "CallAnswered", time_range="0-10")
    login(sc, 0, thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    queued_call(sc, "c1", queued=10, diverted=15, answered=18)
    sc.ev(60, "EventReleased", thisDN="7001", connID="c1")
    queued_call(sc, "c2", queued=100, diverted=112, answered=115)
    assert sc.value(dn, 200) == (18 - 15) + (115 - 112)
    assert sc.value(q, 200) == (18 - 10) + (115 - 100)
    assert sc.value(q_n, 200) == 2
    assert sc.value(q_sl, 200) == 1  # 8 s is in 0-10, 15 s is not


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        pytest.param("ringing", {"CallAbandonedFromRinging": 17 - 10}, id="from-ringing"),
        pytest.param("dialing", {"CallAbandonedFromDialing": 13 - 10}, id="from-dialing"),
        pytest.param("hold", {"CallAbandonedFromHold": 32 - 20}, id="from-hold"),
        pytest.param("talking", {}, id="established-is-not-abandoned"),
    ],
)
def test_call_abandoned_on_a_regular_dn(phase: str, expected: dict[str, int]) -> None:
    """EventAbandoned: CallAbandoned and the From<phase> form carry the time in that phase."""
    sc = Scenario()
    forms = ["CallAbandonedFromRinging", "CallAbandonedFromDialing", "CallAbandonedFromHold"]
    s = totals(sc, "RegularDN", DN1, ["CallAbandoned", *forms])
    login(sc, 0)
    if phase == "ringing":
        sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
        sc.ev(17, "EventAbandoned", thisDN="7001", connID="c1")
    elif phase == "dialing":
        sc.ev(10, "EventDialing", thisDN="7001", connID="c1", callType="Outbound")
        sc.ev(13, "EventAbandoned", thisDN="7001", connID="c1")
    else:
        sc.ev(10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
        if phase == "hold":
            sc.ev(20, "EventHeld", thisDN="7001", connID="c1")
        sc.ev(32, "EventAbandoned", thisDN="7001", connID="c1")
    want: dict[str, int] = {}
    total = sum(expected.values())
    want["time:CallAbandoned"] = total
    want["num:CallAbandoned"] = len(expected)
    for form in forms:
        want[f"time:{form}"] = expected.get(form, 0)
        want[f"num:{form}"] = int(form in expected)
    assert read(sc, s, 50) == want


def test_abandoned_while_ringing_is_reflected_on_the_queue() -> None:
    """A distributed call abandoned at the agent: CallAbandonedFromRinging on the queue too,
    lasting from the queue entry."""
    sc = Scenario()
    q = totals(sc, "Queue", Q1, ["CallAbandonedFromRinging", "CallAbandoned"])
    login(sc, 0, thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    sc.ev(10, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(15, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    sc.ev(15, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(21, "EventAbandoned", thisDN="7001", connID="c1")
    assert read(sc, q, 30) == {
        "time:CallAbandonedFromRinging": 21 - 10,
        "num:CallAbandonedFromRinging": 1,
        # the caller did not leave while waiting in the queue
        "time:CallAbandoned": 0,
        "num:CallAbandoned": 0,
    }


def test_call_missed_when_released_while_ringing() -> None:
    """EventReleased while ringing (ring no answer) is CallMissed with the ringing time,
    also on the queue that distributed the call."""
    sc = Scenario()
    dn = totals(sc, "RegularDN", DN1, ["CallMissed", "CallAnswered", "CallRinging"])
    q = stat(sc, "Queue", Q1, "TotalTime", "CallMissed")
    login(sc, 0, thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    sc.ev(5, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(10, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(25, "EventReleased", thisDN="7001", connID="c1")
    assert read(sc, dn, 30) == {
        "time:CallMissed": 25 - 10,
        "num:CallMissed": 1,
        "time:CallAnswered": 0,
        "num:CallAnswered": 0,
        "time:CallRinging": 25 - 10,
        "num:CallRinging": 1,
    }
    assert sc.value(q, 30) == 25 - 10


def test_call_forwarded_by_diverted_while_ringing() -> None:
    """EventDiverted on a ringing DN: CallRinging ends and CallForwarded carries the ringing time."""
    sc = Scenario()
    s = totals(sc, "RegularDN", DN1, ["CallForwarded"])
    ringing = stat(sc, "RegularDN", DN1, "CurrentNumber", "CallRinging")
    login(sc, 0)
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(18, "EventDiverted", thisDN="7001", connID="c1", otherDN="7002")
    assert sc.value(ringing, 20) == 0
    assert read(sc, s, 20) == {"time:CallForwarded": 18 - 10, "num:CallForwarded": 1}


def test_call_forwarded_by_party_changed_while_ringing() -> None:
    """EventPartyChanged while ringing: CallPartyChanged and CallForwarded (ringing time so far)."""
    sc = Scenario()
    s = totals(sc, "RegularDN", DN1, ["CallForwarded", "CallPartyChanged", "CallTransferTaken"])
    login(sc, 0)
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(16, "EventPartyChanged", thisDN="7001", connID="c1", otherDN="7003")
    assert read(sc, s, 20) == {
        "time:CallForwarded": 16 - 10,
        "num:CallForwarded": 1,
        "time:CallPartyChanged": 0,
        "num:CallPartyChanged": 1,
        "time:CallTransferTaken": 0,
        "num:CallTransferTaken": 0,
    }


def test_consult_transfer() -> None:
    """Agent 1 holds an inbound call, consults agent 2 and completes the transfer.

    7001: c1 Inbound established at 10, held at 20; consult c2 dialed at 20, established 25.
    7002: c2 rings at 20 (Consult), established at 25.
    At 40 the transfer completes: 7002 gets EventPartyChanged (connID c1, previousConnID c2,
    callType Inbound), 7001 releases c2 and then c1 with thisDNRole TransferredBy.
    7002 releases c1 at 100.
    """
    sc = Scenario()
    a1 = totals(
        sc,
        "RegularDN",
        DN1,
        [
            "CallInbound",
            "CallOnHold",
            "CallDialing",
            "CallConsult",
            "CallConsultOriginated",
            "CallTransferMade",
            "CallTransferTaken",
        ],
    )
    a2 = totals(
        sc,
        "RegularDN",
        DN2,
        [
            "CallRinging",
            "CallAnswered",
            "CallConsultReceived",
            "CallConsult",
            "CallConsultCompleted",
            "CallInbound",
            "CallInboundStarted",
            "CallPartyChanged",
            "CallTransferTaken",
            "CallTransferMade",
        ],
    )
    a2_now = stat(sc, "RegularDN", DN2, "CurrentState", "*")
    login(sc, 0)
    login(sc, 0, dn="7002", agent="5002")
    sc.ev(5, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(20, "EventHeld", thisDN="7001", connID="c1")
    sc.ev(20, "EventDialing", thisDN="7001", connID="c2", callType="Consult", otherDN="7002")
    sc.ev(20, "EventRinging", thisDN="7002", connID="c2", callType="Consult", otherDN="7001")
    sc.ev(25, "EventEstablished", thisDN="7002", connID="c2", callType="Consult")
    sc.ev(25, "EventEstablished", thisDN="7001", connID="c2", callType="Consult")
    sc.ev(
        40,
        "EventPartyChanged",
        thisDN="7002",
        connID="c1",
        previousConnID="c2",
        callType="Inbound",
        otherDN="5551",
    )
    sc.ev(40, "EventReleased", thisDN="7001", connID="c2")
    sc.ev(40, "EventReleased", thisDN="7001", connID="c1", thisDNRole="TransferredBy")
    actions = sc.value(a2_now, 50)["actions"]
    talking = [a for a in actions if a["action"].startswith("CallInbound")]
    assert [(a["action"], a["connID"]) for a in talking] == [("CallInbound", "c1")]
    sc.ev(100, "EventReleased", thisDN="7002", connID="c1")
    assert read(sc, a1, 120) == {
        "time:CallInbound": 40 - 10,
        "num:CallInbound": 1,
        "time:CallOnHold": 40 - 20,
        "num:CallOnHold": 1,
        "time:CallDialing": 25 - 20,
        "num:CallDialing": 1,
        "time:CallConsult": 40 - 25,
        "num:CallConsult": 1,
        "time:CallConsultOriginated": 0,
        "num:CallConsultOriginated": 1,
        "time:CallTransferMade": 0,
        "num:CallTransferMade": 1,
        "time:CallTransferTaken": 0,
        "num:CallTransferTaken": 0,
    }
    assert read(sc, a2, 120) == {
        "time:CallRinging": 25 - 20,
        "num:CallRinging": 1,
        "time:CallAnswered": 25 - 20,
        "num:CallAnswered": 1,
        "time:CallConsultReceived": 0,
        "num:CallConsultReceived": 1,
        "time:CallConsult": 40 - 25,  # the consult leg, until the party changed
        "num:CallConsult": 1,
        "time:CallConsultCompleted": 40 - 25,
        "num:CallConsultCompleted": 1,
        "time:CallInbound": 100 - 40,  # the transferred customer call
        "num:CallInbound": 1,
        "time:CallInboundStarted": 0,
        "num:CallInboundStarted": 1,
        "time:CallPartyChanged": 0,
        "num:CallPartyChanged": 1,
        "time:CallTransferTaken": 0,
        "num:CallTransferTaken": 1,
        "time:CallTransferMade": 0,
        "num:CallTransferMade": 0,
    }


def test_conference_made_joined_and_party_deleted() -> None:
    """EventPartyAdded by role: AddedBy → CallConferenceMade, NewParty → CallConferenceJoined;
    EventPartyDeleted → CallPartyDeleted."""
    sc = Scenario()
    a1 = totals(sc, "RegularDN", DN1, ["CallConferenceMade", "CallConferenceJoined"])
    a2 = totals(sc, "RegularDN", DN2, ["CallConferenceMade", "CallConferenceJoined"])
    deleted = stat(sc, "RegularDN", DN1, "TotalNumber", "CallPartyDeleted")
    login(sc, 0)
    login(sc, 0, dn="7002", agent="5002")
    sc.ev(10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(20, "EventPartyAdded", thisDN="7001", connID="c1", thisDNRole="AddedBy")
    sc.ev(20, "EventPartyAdded", thisDN="7002", connID="c1", thisDNRole="NewParty")
    sc.ev(30, "EventPartyDeleted", thisDN="7001", connID="c1", otherDN="7002")
    assert read(sc, a1, 40) == {
        "time:CallConferenceMade": 0,
        "num:CallConferenceMade": 1,
        "time:CallConferenceJoined": 0,
        "num:CallConferenceJoined": 0,
    }
    assert read(sc, a2, 40) == {
        "time:CallConferenceMade": 0,
        "num:CallConferenceMade": 0,
        "time:CallConferenceJoined": 0,
        "num:CallConferenceJoined": 1,
    }
    assert sc.value(deleted, 40) == 1


def test_user_event_on_regular_and_mediation_dn() -> None:
    """EventUserEvent is a momentary UserEvent on whatever DN it names."""
    sc = Scenario()
    dn = stat(sc, "RegularDN", DN1, "TotalNumber", "UserEvent")
    q = stat(sc, "Queue", Q1, "TotalNumber", "UserEvent")
    sc.ev(10, "EventUserEvent", thisDN="7001", userData={"k": "v"})
    sc.ev(11, "EventUserEvent", thisDN="7001")
    sc.ev(12, "EventUserEvent", thisDN="8000")
    assert sc.value(dn, 20) == 2
    assert sc.value(q, 20) == 1


def test_attached_data_changed_mid_call_cuts_filtered_time() -> None:
    """EventAttachedDataChanged replaces the call's user data; a filtered TotalTime counts only
    while the filter holds, a retrospective action is tested once, when it happens."""
    sc = Scenario()
    gold = stat(sc, "RegularDN", DN1, "TotalTime", "CallInbound", filter="Gold")
    gold_n = stat(sc, "RegularDN", DN1, "TotalNumber", "CallInbound", filter="Gold")
    gold_now = stat(sc, "RegularDN", DN1, "CurrentNumber", "CallInbound", filter="Gold")
    talk = stat(sc, "RegularDN", DN1, "TotalTime", "CallInbound")
    gold_done = stat(sc, "RegularDN", DN1, "TotalNumber", "CallInboundCompleted", filter="Gold")
    login(sc, 0)
    sc.ev(10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(gold_now, 20) == 0
    sc.ev(30, "EventAttachedDataChanged", thisDN="7001", connID="c1", userData={"Segment": "Gold"})
    assert sc.value(gold_now, 40) == 1
    sc.ev(
        50, "EventAttachedDataChanged", thisDN="7001", connID="c1", userData={"Segment": "Silver"}
    )
    assert sc.value(gold_now, 55) == 0
    sc.ev(70, "EventReleased", thisDN="7001", connID="c1")
    assert sc.value(talk, 80) == 70 - 10
    assert sc.value(gold, 80) == 50 - 30
    assert sc.value(gold_n, 80) == 1  # became Gold once
    assert sc.value(gold_done, 80) == 0  # Silver when it completed


# ============================================================================ mediation DNs
def test_call_wait_family_and_call_entered() -> None:
    """EventQueued starts CallWait<Type> (Internal counts as Unknown) and a CallEntered."""
    sc = Scenario()
    wait = {
        m: stat(sc, "Queue", Q1, "CurrentNumber", m)
        for m in (
            "CallWait",
            "CallWaitInbound",
            "CallWaitOutbound",
            "CallWaitConsult",
            "CallWaitUnknown",
            "*,~CallWait",
            "*,~CallWaitInbound,~CallWaitOutbound,~CallWaitConsult,~CallWaitUnknown",
        )
    }
    entered = stat(sc, "Queue", Q1, "TotalNumber", "CallEntered")
    oldest = stat(sc, "Queue", Q1, "CurrentMaxTime", "CallWait")
    calls = [("c1", "Inbound"), ("c2", "Outbound"), ("c3", "Consult"), ("c4", "Internal")]
    calls.append(("c5", "Unknown"))
    for i, (conn, ct) in enumerate(calls):
        sc.ev(10 + 2 * i, "EventQueued", thisDN="8000", connID=conn, callType=ct)
    got = {m: sc.value(s, 30) for m, s in wait.items()}
    assert got == {
        "CallWait": 5,
        "CallWaitInbound": 1,
        "CallWaitOutbound": 1,
        "CallWaitConsult": 1,
        "CallWaitUnknown": 2,  # c4 Internal + c5 Unknown
        "*,~CallWait": 5,  # ~ does not expand the alias: nothing is removed
        "*,~CallWaitInbound,~CallWaitOutbound,~CallWaitConsult,~CallWaitUnknown": 0,
    }
    assert sc.value(entered, 30) == 5
    assert sc.value(oldest, 30) == 30 - 10


def test_queue_outcomes_distributed_to_queue_abandoned_cleared_released() -> None:
    """The outcomes of calls waiting on 8000, each with its waiting (or talk) time.

    c1 queued 10, diverted to 7001 at 25 (answered 27, released 87) → CallDistributed 15,
    CallReleased 60.  c2 queued 12, diverted to queue 8001 at 30 → CallDistributedToQueue 18.
    c3 queued 14, abandoned at 40 → CallAbandoned 26.  c4 queued 16, released on the queue at
    50 → CallCleared 34.
    """
    sc = Scenario()
    names = [
        "CallDistributed",
        "CallDistributedToQueue",
        "CallAbandoned",
        "CallCleared",
        "CallReleased",
        "CallAnswered",
    ]
    q = totals(sc, "Queue", Q1, names)
    waiting = stat(sc, "Queue", Q1, "CurrentNumber", "CallWait")
    q2_entered = stat(sc, "Queue", Q2, "TotalNumber", "CallEntered")
    login(sc, 0, thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    for i, conn in enumerate(["c1", "c2", "c3", "c4"]):
        sc.ev(10 + 2 * i, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
    sc.ev(25, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    sc.ev(25, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(27, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(30, "EventDiverted", thisDN="8000", connID="c2", otherDN="8001")
    sc.ev(30, "EventQueued", thisDN="8001", connID="c2", callType="Inbound")
    sc.ev(40, "EventAbandoned", thisDN="8000", connID="c3")
    sc.ev(50, "EventReleased", thisDN="8000", connID="c4")
    assert sc.value(waiting, 55) == 0
    sc.ev(87, "EventReleased", thisDN="7001", connID="c1")
    assert read(sc, q, 100) == {
        "time:CallDistributed": 25 - 10,
        "num:CallDistributed": 1,
        "time:CallDistributedToQueue": 30 - 12,
        "num:CallDistributedToQueue": 1,
        "time:CallAbandoned": 40 - 14,
        "num:CallAbandoned": 1,
        "time:CallCleared": 50 - 16,
        "num:CallCleared": 1,
        "time:CallReleased": 87 - 27,  # talk time at the agent
        "num:CallReleased": 1,
        "time:CallAnswered": 27 - 10,  # queue entry to answer
        "num:CallAnswered": 1,
    }
    assert sc.value(q2_entered, 100) == 1


def test_call_type_change_is_not_a_release_on_the_queue() -> None:
    """EventPartyChanged that changes the call type ends Call<Type> (Completed) and starts the
    new type, but the call is released only once: one CallReleased on the queue, whose
    duration is the whole talk time."""
    sc = Scenario()
    q = totals(sc, "Queue", Q1, ["CallReleased"])
    dn = totals(sc, "RegularDN", DN1, ["CallInboundCompleted", "CallConsultCompleted"])
    login(sc, 0, thisQueue="8000")
    queued_call(sc, "c1", queued=10, diverted=15, answered=18)
    sc.ev(30, "EventPartyChanged", thisDN="7001", connID="c1", callType="Consult")
    sc.ev(60, "EventReleased", thisDN="7001", connID="c1")
    assert read(sc, q, 70) == {"time:CallReleased": 60 - 18, "num:CallReleased": 1}
    assert read(sc, dn, 70) == {
        "time:CallInboundCompleted": 30 - 18,
        "num:CallInboundCompleted": 1,
        "time:CallConsultCompleted": 60 - 30,
        "num:CallConsultCompleted": 1,
    }


def test_routing_point_route_request_and_route_used() -> None:
    """EventRouteRequest/EventRouteUsed on a routing point: CallWait, CallEntered and the
    distribution to a queue or to an agent with the time at the routing point."""
    sc = Scenario()
    rp = totals(sc, "RoutePoint", RP, ["CallEntered", "CallDistributed", "CallDistributedToQueue"])
    waiting = stat(sc, "RoutePoint", RP, "CurrentNumber", "CallWait")
    sc.ev(0, "EventRouteRequest", thisDN="9000", connID="c1", callType="Inbound")
    sc.ev(1, "EventRouteRequest", thisDN="9000", connID="c2", callType="Inbound")
    assert sc.value(waiting, 2) == 2
    sc.ev(4, "EventRouteUsed", thisDN="9000", connID="c1", otherDN="8000")
    sc.ev(7, "EventRouteUsed", thisDN="9000", connID="c2", otherDN="7002")
    assert sc.value(waiting, 10) == 0
    assert read(sc, rp, 10) == {
        "time:CallEntered": 0,
        "num:CallEntered": 2,
        "time:CallDistributed": 7 - 1,
        "num:CallDistributed": 1,
        "time:CallDistributedToQueue": 4 - 0,
        "num:CallDistributedToQueue": 1,
    }


VQ_BASE = BASE_CONFIG.replace(
    '  - {number: "9000", switch: SW1, type: RoutingPoint}\n',
    '  - {number: "9000", switch: SW1, type: RoutingPoint}\n'
    '  - {number: "6000", switch: SW1, type: VirtualQueue}\n'
    '  - {number: "6001", switch: SW1, type: VirtualQueue, useAltEnterTime: true}\n',
)


@pytest.mark.parametrize(
    ("vq", "option", "enter"),
    [
        pytest.param("6000", False, 20, id="new-enter-time"),
        pytest.param("6001", False, 10, id="dn-use-alt-enter-time"),
        pytest.param("6000", True, 10, id="option-vq-use-alt-enter-time"),
    ],
)
def test_virtual_queue_party_changed_and_alt_enter_time(vq: str, option: bool, enter: int) -> None:
    """A VQ call whose ConnID changes (EventPartyChanged, previousConnID): without
    use-alt-enter-time its wait restarts at the change; with it the original enter time stays."""
    assert VQ_BASE != BASE_CONFIG
    sc = Scenario(base=VQ_BASE, vq_use_alt_enter_time=option)
    key = f"{vq}@SW1"
    waiting = stat(sc, "Queue", key, "CurrentNumber", "CallWait")
    entered = stat(sc, "Queue", key, "TotalNumber", "CallEntered")
    dist = stat(sc, "Queue", key, "TotalTime", "CallDistributed")
    sc.ev(10, "EventQueued", thisDN=vq, connID="c1", callType="Inbound")
    sc.ev(20, "EventPartyChanged", thisDN=vq, connID="c1b", previousConnID="c1")
    assert sc.value(waiting, 25) == 1
    sc.ev(30, "EventDiverted", thisDN=vq, connID="c1b", otherDN="7001")
    assert sc.value(waiting, 35) == 0
    assert sc.value(entered, 35) == 1
    assert sc.value(dist, 35) == 30 - enter


def test_queue_pseudo_actions_follow_the_agents_logged_into_it() -> None:
    """AgentLogin/DNLogin, AgentReady/DNReady, AgentActive/DNActive on the queue named in the
    login's thisQueue."""
    sc = Scenario()
    names = ["AgentLogin", "DNLogin", "AgentReady", "DNReady", "AgentActive", "DNActive"]
    now = {n: stat(sc, "Queue", Q1, "CurrentNumber", n) for n in names}
    other = stat(sc, "Queue", Q2, "CurrentNumber", "AgentLogin")
    ready_time = stat(sc, "Queue", Q1, "TotalTime", "AgentReady")
    active_time = stat(sc, "Queue", Q1, "TotalTime", "AgentActive")

    def snapshot(t: float) -> list[int]:
        return [sc.value(now[n], t) for n in names]

    login(sc, 0, thisQueue="8000")
    assert snapshot(5) == [1, 1, 0, 0, 0, 0]
    sc.ev(10, "EventAgentReady", thisDN="7001")
    assert snapshot(15) == [1, 1, 1, 1, 0, 0]
    login(sc, 16, dn="7002", agent="5002", thisQueue="8000")
    assert snapshot(17) == [2, 2, 1, 1, 0, 0]
    sc.ev(18, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(20, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    assert snapshot(25) == [2, 2, 1, 1, 1, 1]
    sc.ev(50, "EventReleased", thisDN="7001", connID="c1")
    assert snapshot(55) == [2, 2, 1, 1, 0, 0]
    sc.ev(60, "EventAgentNotReady", thisDN="7001")
    sc.ev(70, "EventAgentLogout", thisDN="7001")
    assert snapshot(75) == [1, 1, 0, 0, 0, 0]
    assert sc.value(other, 75) == 0
    assert sc.value(ready_time, 100) == 60 - 10
    assert sc.value(active_time, 100) == 50 - 20


def test_treatments_on_a_routing_point() -> None:
    """EventTreatmentApplied/End/NotApplied → CallTreatmentStarted/Completed/NotStarted."""
    sc = Scenario()
    names = ["CallTreatmentStarted", "CallTreatmentCompleted", "CallTreatmentNotStarted"]
    n = {m: stat(sc, "RoutePoint", RP, "TotalNumber", m) for m in names}
    sc.ev(0, "EventRouteRequest", thisDN="9000", connID="c1", callType="Inbound")
    sc.ev(1, "EventTreatmentApplied", thisDN="9000", connID="c1", treatmentType="Music")
    sc.ev(9, "EventTreatmentEnd", thisDN="9000", connID="c1")
    sc.ev(10, "EventTreatmentApplied", thisDN="9000", connID="c1", treatmentType="Silence")
    sc.ev(11, "EventTreatmentNotApplied", thisDN="9000", connID="c1")
    assert {m: sc.value(s, 20) for m, s in n.items()} == {
        "CallTreatmentStarted": 2,
        "CallTreatmentCompleted": 1,
        "CallTreatmentNotStarted": 1,
    }
