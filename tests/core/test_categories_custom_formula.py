"""Worked examples for the CustomValue family (current and historical) and the Formula
category of docs/stat-types.md and docs/expressions.md, computed by hand.

Times are seconds after T0 (10:00:00 UTC); ``Hourly`` resets at 11:00 = 3600 s.
"""

from __future__ import annotations

import pytest

from helpers import Scenario

STATS = """
statTypes:
  # current custom values over calls waiting
  CurAmount: {Objects: Queue, Category: CurrentCustomValue, Subject: DNAction, MainMask: CallWait, Formula: 'GetNumber("Amount", 0)'}
  CurAvgAmount: {Objects: Queue, Category: CurrentAverageCustomValue, Subject: DNAction, MainMask: CallWait, Formula: 'GetNumber("Amount", 0)'}
  CurMinAmount: {Objects: Queue, Category: CurrentMinCustomValue, Subject: DNAction, MainMask: CallWait, Formula: 'GetNumber("Amount", 0)'}
  CurMaxAmount: {Objects: Queue, Category: CurrentMaxCustomValue, Subject: DNAction, MainMask: CallWait, Formula: 'GetNumber("Amount", 0)'}
  CurWeightedWait: {Objects: Queue, Category: CurrentCustomValue, Subject: DNAction, MainMask: CallWait, Formula: 'kvnum(udata, "Priority", 1) * duration'}
  CurCallAmount: {Objects: Agent, Category: CurrentCustomValue, Subject: DNAction, MainMask: "CallInbound,CallOnHold", Formula: 'GetNumber("Amount")'}
  CurCallAmountOnce: {Objects: Agent, Category: CurrentCustomValue, Subject: DNAction, MainMask: "CallInbound,CallOnHold", Formula: 'DistByConnID, GetNumber("Amount")'}
  # historical custom values over completed talks
  Amount: {Objects: Agent, Category: TotalCustomValue, Subject: DNAction, MainMask: CallInbound, Formula: 'GetNumber("Amount")'}
  AvgAmount: {Objects: Agent, Category: AverageCustomValue, Subject: DNAction, MainMask: CallInbound, Formula: 'GetNumber("Amount")'}
  MinAmount: {Objects: Agent, Category: MinCustomValue, Subject: DNAction, MainMask: CallInbound, Formula: 'GetNumber("Amount")'}
  MaxAmount: {Objects: Agent, Category: MaxCustomValue, Subject: DNAction, MainMask: CallInbound, Formula: 'GetNumber("Amount")'}
  CallAmount: {Objects: Agent, Category: TotalCustomValue, Subject: DNAction, MainMask: "CallInbound,CallOnHold", Formula: 'GetNumber("Amount")'}
  CallAmountOnce: {Objects: Agent, Category: TotalCustomValue, Subject: DNAction, MainMask: "CallInbound,CallOnHold", Formula: 'DistByConnID, GetNumber("Amount")'}
  WeightedTalk: {Objects: Agent, Category: TotalCustomValue, Subject: DNAction, MainMask: CallInbound, Formula: 'kvnum(udata, "Priority", 1) * duration'}
  # formulas
  LongWaits: {Objects: Queue, Category: Formula, Subject: DNAction, Expression: '@COUNT(CallWait; duration > 10)'}
  OldestWaitF: {Objects: Queue, Category: Formula, Subject: DNAction, Expression: '@MAX(CallWait; duration)'}
  AvgPriority: {Objects: Agent, Category: Formula, Subject: DNAction, Expression: 'AVG(CallInbound; kvnum(udata, "Priority"))'}
  ServiceLevelF: {Objects: Queue, Category: Formula, Subject: DNAction, Expression: '100 * COUNT(CallAnswered; duration < 20) / COUNT(CallAnswered)'}
  AHT:
    {Objects: Agent, Category: Formula, Subject: DNAction,
     Expression: '(SUM(CallInboundCompleted; duration) + SUM(ACWCompleted; duration)) / COUNT(CallInboundCompleted)'}
  AbandonsPerHour: {Objects: Queue, Category: Formula, Subject: DNAction, Expression: 'COUNT(CallAbandoned) / (interval_length / 3600)'}
  EnteredF: {Objects: Queue, Category: Formula, Subject: DNAction, Expression: 'COUNT(CallEntered)'}
"""


def queued(sc: Scenario, t: float, conn: str, **user_data: object) -> None:
    sc.ev(t, "EventQueued", thisDN="8000", connID=conn, callType="Inbound", userData=user_data)


def talk(
    sc: Scenario, conn: str, ring: float, answer: float, release: float | None, **user_data: object
) -> None:
    """An inbound call at a1's DN 7001, with user data on its ringing event."""
    sc.ev(ring, "EventRinging", thisDN="7001", connID=conn, callType="Inbound", userData=user_data)
    sc.ev(answer, "EventEstablished", thisDN="7001", connID=conn, callType="Inbound")
    if release is not None:
        sc.ev(release, "EventReleased", thisDN="7001", connID=conn)


def agent_logged_in(sc: Scenario) -> None:
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    sc.ev(0, "EventAgentReady", thisDN="7001")


# -- current custom values -----------------------------------------------------------------------

CURRENT = ("CurAmount", "CurAvgAmount", "CurMinAmount", "CurMaxAmount")


def test_current_custom_value_family() -> None:
    """Sum / average / min / max of GetNumber("Amount", 0) over the calls waiting now:
    100, 250 and 40; then a call without Amount adds a 0; with none waiting all are 0."""
    sc = Scenario(STATS)
    stats = {name: sc.open("Queue", "8000@SW1", name, at=0) for name in CURRENT}
    queued(sc, 10, "c1", Amount=100)
    queued(sc, 20, "c2", Amount="250")  # a number written as text
    queued(sc, 30, "c3", Amount=40)
    assert {n: sc.value(s, 40) for n, s in stats.items()} == {
        "CurAmount": 100 + 250 + 40,
        "CurAvgAmount": pytest.approx((100 + 250 + 40) / 3),
        "CurMinAmount": 40,
        "CurMaxAmount": 250,
    }
    queued(sc, 50, "c4")
    assert {n: sc.value(s, 60) for n, s in stats.items()} == {
        "CurAmount": 100 + 250 + 40 + 0,
        "CurAvgAmount": pytest.approx((100 + 250 + 40 + 0) / 4),
        "CurMinAmount": 0,
        "CurMaxAmount": 250,
    }
    for t, conn in ((70, "c1"), (71, "c2"), (72, "c3"), (73, "c4")):
        sc.ev(t, "EventAbandoned", thisDN="8000", connID=conn)
    assert {n: sc.value(s, 80) for n, s in stats.items()} == dict.fromkeys(CURRENT, 0)


def test_current_custom_value_uses_the_duration_so_far() -> None:
    """Priority x seconds waited: c1 (Priority 3) since 0 and c2 (no Priority: 1) since 10,
    at 30: 3 x 30 + 1 x 20."""
    sc = Scenario(STATS)
    weighted = sc.open("Queue", "8000@SW1", "CurWeightedWait", at=0)
    queued(sc, 0, "c1", Priority=3)
    queued(sc, 10, "c2")
    assert sc.value(weighted, 30) == 3 * 30 + 1 * 20


def test_current_custom_value_distinct_by_conn_id() -> None:
    """A held call has CallInbound and CallOnHold with the same connID: DistByConnID counts
    its Amount 100 once, otherwise twice."""
    sc = Scenario(STATS)
    each = sc.open("Agent", "a1", "CurCallAmount", at=0)
    once = sc.open("Agent", "a1", "CurCallAmountOnce", at=0)
    agent_logged_in(sc)
    talk(sc, "c1", 10, 12, None, Amount=100)
    sc.ev(30, "EventHeld", thisDN="7001", connID="c1")
    assert (sc.value(each, 40), sc.value(once, 40)) == (100 + 100, 100)


# -- historical custom values --------------------------------------------------------------------

HISTORICAL = ("Amount", "AvgAmount", "MinAmount", "MaxAmount")


def test_historical_custom_value_family() -> None:
    """Talks completed with Amount 120, "30", 75 and none (GetNumber's default 0); a talk in
    progress with Amount 1000 is not counted until it completes."""
    sc = Scenario(STATS)
    stats = {name: sc.open("Agent", "a1", name, at=0) for name in HISTORICAL}
    agent_logged_in(sc)
    assert {n: sc.value(s, 5) for n, s in stats.items()} == {
        "Amount": 0,
        "AvgAmount": 0.0,
        "MinAmount": 0,
        "MaxAmount": 0,
    }
    talk(sc, "c1", 10, 12, 60, Amount=120)
    talk(sc, "c2", 100, 102, 150, Amount="30")
    talk(sc, "c3", 200, 202, 250, Amount=75)
    talk(sc, "c4", 300, 302, 350)
    talk(sc, "c5", 400, 402, None, Amount=1000)
    assert {n: sc.value(s, 450) for n, s in stats.items()} == {
        "Amount": 120 + 30 + 75 + 0,
        "AvgAmount": pytest.approx((120 + 30 + 75 + 0) / 4),
        "MinAmount": 0,
        "MaxAmount": 120,
    }
    sc.ev(460, "EventReleased", thisDN="7001", connID="c5")
    assert sc.value(stats["Amount"], 470) == 120 + 30 + 75 + 0 + 1000


def test_historical_custom_value_distinct_by_conn_id() -> None:
    """c1 (Amount 100) is held 30-50: its CallOnHold and CallInbound both complete; with
    DistByConnID c1 counts once.  c2 (Amount 50) is never held."""
    sc = Scenario(STATS)
    each = sc.open("Agent", "a1", "CallAmount", at=0)
    once = sc.open("Agent", "a1", "CallAmountOnce", at=0)
    agent_logged_in(sc)
    talk(sc, "c1", 10, 12, None, Amount=100)
    sc.ev(30, "EventHeld", thisDN="7001", connID="c1")
    sc.ev(50, "EventRetrieved", thisDN="7001", connID="c1")
    sc.ev(80, "EventReleased", thisDN="7001", connID="c1")
    talk(sc, "c2", 100, 102, 150, Amount=50)
    assert sc.value(each, 200) == 100 + 100 + 50
    assert sc.value(once, 200) == 100 + 50


def test_historical_custom_value_uses_the_whole_duration() -> None:
    """Priority x talk seconds: 2 x (70 - 10) + 1 x (130 - 100) (no Priority: 1)."""
    sc = Scenario(STATS)
    weighted = sc.open("Agent", "a1", "WeightedTalk", at=0)
    agent_logged_in(sc)
    talk(sc, "c1", 5, 10, 70, Priority=2)
    talk(sc, "c2", 95, 100, 130)
    assert sc.value(weighted, 200) == 2 * (70 - 10) + 1 * (130 - 100)


def test_historical_custom_value_restarts_at_the_reset() -> None:
    """Hourly: Amount 10 completed at 3500 belongs to the first hour, 20 at 3700 to the
    second."""
    sc = Scenario(STATS)
    amount = sc.open("Agent", "a1", "Amount", at=0, time_profile="Hourly")
    agent_logged_in(sc)
    talk(sc, "c1", 3400, 3410, 3500, Amount=10)
    assert sc.value(amount, 3599) == 10
    assert sc.value(amount, 3600) == 0
    talk(sc, "c2", 3610, 3620, 3700, Amount=20)
    assert sc.value(amount, 3800) == 20


# -- Formula -------------------------------------------------------------------------------------


def test_formula_current_count_with_a_duration_condition() -> None:
    """@COUNT(CallWait; duration > 10): calls waiting now for more than 10 s."""
    sc = Scenario(STATS)
    long_waits = sc.open("Queue", "8000@SW1", "LongWaits", at=0)
    queued(sc, 0, "c1")
    queued(sc, 5, "c2")
    # at 15: waits 15 and 10; 10 is not > 10
    assert sc.value(long_waits, 15) == 1
    queued(sc, 20, "c3")
    # at 20: waits 20, 15, 0
    assert sc.value(long_waits, 20) == 2
    sc.ev(30, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    # at 40: waits 35 (c2) and 20 (c3)
    assert sc.value(long_waits, 40) == 2


def test_formula_historical_average_of_user_data() -> None:
    """AVG(CallInbound; kvnum(udata, "Priority")) over completed talks: Priority "3", 5 and
    none (kvnum's default 0); no data before the first completes; a talk in progress with
    Priority 100 does not count."""
    sc = Scenario(STATS)
    avg = sc.open("Agent", "a1", "AvgPriority", at=0)
    agent_logged_in(sc)
    talk(sc, "c1", 10, 12, None, Priority="3")
    assert sc.value(avg, 20) is None  # AVG over no completed action has no data
    sc.ev(60, "EventReleased", thisDN="7001", connID="c1")
    talk(sc, "c2", 100, 102, 150, Priority=5)
    talk(sc, "c3", 200, 202, 250)
    talk(sc, "c4", 300, 302, None, Priority=100)
    assert sc.value(avg, 400) == pytest.approx((3 + 5 + 0) / 3)


def test_formula_combination_of_counts() -> None:
    """100 * COUNT(CallAnswered; duration < 20) / COUNT(CallAnswered) on a queue: answers
    after 12, 25, 20 and 19 s -> 2 of 4 within 20 s = 50; no data before any answer."""
    sc = Scenario(STATS)
    sl = sc.open("Queue", "8000@SW1", "ServiceLevelF", at=0)
    assert sc.value(sl, 0) is None  # 0 / 0
    for i, (q, answered) in enumerate(((0, 12), (20, 45), (50, 70), (100, 119))):
        conn, dn = f"c{i}", f"700{i % 3 + 1}"
        queued(sc, q, conn)
        sc.ev(q + 1, "EventDiverted", thisDN="8000", connID=conn, otherDN=dn)
        sc.ev(q + 1, "EventRinging", thisDN=dn, connID=conn, callType="Inbound")
        sc.ev(answered, "EventEstablished", thisDN=dn, connID=conn, callType="Inbound")
        sc.ev(answered + 5, "EventReleased", thisDN=dn, connID=conn)
    assert sc.value(sl, 200) == 100 * 2 // 4


def test_formula_average_handle_time() -> None:
    """AHT = (talk + ACW) / calls: talks of 60 and 90 s, ACW of 30 and 20 s."""
    sc = Scenario(STATS)
    aht = sc.open("Agent", "a1", "AHT", at=0)
    agent_logged_in(sc)
    talk(sc, "c1", 10, 20, 80)
    sc.ev(80, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(110, "EventAgentReady", thisDN="7001")
    talk(sc, "c2", 200, 210, 300)
    sc.ev(300, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(320, "EventAgentReady", thisDN="7001")
    assert sc.value(aht, 400) == ((80 - 20) + (300 - 210) + (110 - 80) + (320 - 300)) // 2


def test_formula_uses_the_interval_length() -> None:
    """COUNT(CallAbandoned) / (interval_length / 3600): 3 abandons in the first 1800 s of
    the hour = 6 per hour."""
    sc = Scenario(STATS)
    per_hour = sc.open("Queue", "8000@SW1", "AbandonsPerHour", at=0, time_profile="Hourly")
    for t, conn in ((100, "c1"), (500, "c2"), (900, "c3")):
        queued(sc, t, conn)
        sc.ev(t + 30, "EventAbandoned", thisDN="8000", connID=conn)
    assert sc.value(per_hour, 1800) == pytest.approx(3 / (1800 / 3600))


def test_formula_historical_aggregates_restart_at_the_reset() -> None:
    """COUNT(CallEntered) with Hourly: 2 before 11:00, 0 at 11:00, 1 after one more."""
    sc = Scenario(STATS)
    entered = sc.open("Queue", "8000@SW1", "EnteredF", at=0, time_profile="Hourly")
    queued(sc, 3000, "c1")
    queued(sc, 3500, "c2")
    assert sc.value(entered, 3599) == 2
    assert sc.value(entered, 3600) == 0
    queued(sc, 3650, "c3")
    assert sc.value(entered, 3700) == 1


@pytest.mark.parametrize(
    ("clip", "expected"),
    [
        pytest.param(False, 130 - 0, id="real-start"),
        pytest.param(True, 130 - 100, id="clip-current-to-open"),
    ],
)
def test_formula_current_duration_when_opened_late(clip: bool, expected: int) -> None:
    """@MAX(CallWait; duration) opened at 100 on a call waiting since 0: the real wait
    (Q3), or the time since the opening with clip-current-to-open."""
    sc = Scenario(STATS, clip_current_to_open=clip)
    queued(sc, 0, "c1")
    oldest = sc.open("Queue", "8000@SW1", "OldestWaitF", at=100)
    assert sc.value(oldest, 130) == expected
