"""Worked examples for the compound queue categories of docs/stat-types.md (our formulas:
Genesys does not publish its own), computed by hand.

``n`` = calls waiting now (MainMask CallWait); ``r`` = RelMask completions (CallDistributed)
per second over the profile's interval; ``aht`` = option load-balance-aht (default 90 s).
Times are whole seconds (truncated), rates floats, and a ratio over 0 is 0.
"""

from __future__ import annotations

import pytest

from helpers import Scenario

STATS = """
statTypes:
  EWT: {Objects: Queue, Category: EstimWaitingTime, Subject: DNAction, MainMask: CallWait, RelMask: CallDistributed}
  EWT2: {Objects: Queue, Category: ExpectedWaitTime2, Subject: DNAction}
  ToEnd: {Objects: Queue, Category: EstimTimeToEndCurrentNumber, Subject: DNAction}
  LB: {Objects: Queue, Category: LoadBalance, Subject: DNAction}
  LB1: {Objects: Queue, Category: LoadBalance1, Subject: DNAction}
  ToComplete: {Objects: Queue, Category: EstimTimeToComplete, Subject: DNAction}
"""


def queued(sc: Scenario, t: float, conn: str) -> None:
    sc.ev(t, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")


def distributed(sc: Scenario, t: float, conn: str, dn: str) -> None:
    sc.ev(t, "EventDiverted", thisDN="8000", connID=conn, otherDN=dn)
    sc.ev(t, "EventRinging", thisDN=dn, connID=conn, callType="Inbound", thisQueue="8000")


@pytest.mark.parametrize("stat_type", ["EWT", "EWT2"])
def test_estimated_waiting_time(stat_type: str) -> None:
    """EstimWaitingTime (and ExpectedWaitTime2) = (n + 1) / r, CurrentMaxTime while r = 0."""
    sc = Scenario(STATS)
    ewt = sc.open("Queue", "8000@SW1", stat_type, at=0)
    queued(sc, 0, "c1")
    queued(sc, 10, "c2")
    queued(sc, 20, "c3")
    # nothing distributed yet: the oldest call has waited 25 - 0 s
    assert sc.value(ewt, 25) == 25
    for i, t in enumerate((30, 40, 50)):
        distributed(sc, t, f"c{i + 1}", f"700{i + 1}")
    queued(sc, 280, "c4")
    queued(sc, 290, "c5")
    # r = 3 / 300 per second, n = 2: (2 + 1) / (3 / 300) = 300 s
    assert sc.value(ewt, 300) == (2 + 1) * 300 // 3
    distributed(sc, 302, "c4", "7001")
    # r = 4 / 305, n = 1: (1 + 1) * 305 / 4 = 152.5 -> 152
    assert sc.value(ewt, 305) == 152


def test_estimated_waiting_time_is_exact() -> None:
    """One distribution in 93 s and nobody waiting: (0 + 1) / (1 / 93) = 93 s exactly
    (floating point would give 92.99999... and truncate it to 92)."""
    sc = Scenario(STATS)
    ewt = sc.open("Queue", "8000@SW1", "EWT", at=0)
    to_end = sc.open("Queue", "8000@SW1", "ToEnd", at=0)
    queued(sc, 0, "c1")
    distributed(sc, 10, "c1", "7001")
    assert sc.value(ewt, 93) == 93
    queued(sc, 93, "c2")
    # n = 1: 1 / (1 / 93) = 93 s to empty the queue
    assert sc.value(to_end, 93) == 93


def test_estimated_time_to_end_current_number() -> None:
    """EstimTimeToEndCurrentNumber = n / r; 0 while r = 0."""
    sc = Scenario(STATS)
    to_end = sc.open("Queue", "8000@SW1", "ToEnd", at=0)
    queued(sc, 0, "c1")
    queued(sc, 10, "c2")
    queued(sc, 20, "c3")
    assert sc.value(to_end, 25) == 0
    for i, t in enumerate((30, 40, 50)):
        distributed(sc, t, f"c{i + 1}", f"700{i + 1}")
    queued(sc, 280, "c4")
    queued(sc, 290, "c5")
    # n = 2, r = 3 / 300: 2 * 300 / 3 = 200 s
    assert sc.value(to_end, 300) == 2 * 300 // 3
    distributed(sc, 302, "c4", "7001")
    # n = 1, r = 4 / 305: 305 / 4 = 76.25 -> 76
    assert sc.value(to_end, 305) == 76


def agents_on_queue(sc: Scenario) -> None:
    """a1, a2 logged in on 8000 and ready; a3 logged in on 8000, not ready; three calls
    waiting on 8000 since 10, 20, 30."""
    for dn, login_id in (("7001", "5001"), ("7002", "5002"), ("7003", "5003")):
        sc.ev(0, "EventAgentLogin", thisDN=dn, agentID=login_id, thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    sc.ev(1, "EventAgentReady", thisDN="7002")
    sc.ev(1, "EventAgentNotReady", thisDN="7003", workMode="AuxWork")
    for t, conn in ((10, "c1"), (20, "c2"), (30, "c3")):
        queued(sc, t, conn)


def test_load_balance_and_estimated_time_to_complete() -> None:
    """LoadBalance = n x aht / max(1, agents ready); LoadBalance1 = n / agents ready;
    EstimTimeToComplete = n x aht / max(1, agents logged in on the queue)."""
    sc = Scenario(STATS)
    lb = sc.open("Queue", "8000@SW1", "LB", at=0)
    lb1 = sc.open("Queue", "8000@SW1", "LB1", at=0)
    complete = sc.open("Queue", "8000@SW1", "ToComplete", at=0)
    agents_on_queue(sc)
    # n = 3, 2 ready, 3 logged in
    assert sc.value(lb, 40) == 3 * 90 // 2
    assert sc.value(lb1, 40) == pytest.approx(3 / 2)
    assert sc.value(complete, 40) == 3 * 90 // 3
    sc.ev(50, "EventAgentNotReady", thisDN="7002", workMode="AuxWork")
    assert sc.value(lb, 60) == 3 * 90 // 1
    assert sc.value(lb1, 60) == pytest.approx(3 / 1)
    sc.ev(70, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    # nobody ready: LoadBalance divides by max(1, 0) = 1, LoadBalance1's ratio over 0 is 0
    assert sc.value(lb, 80) == 3 * 90 // 1
    assert sc.value(lb1, 80) == 0.0
    sc.ev(90, "EventAgentLogout", thisDN="7003")
    assert sc.value(complete, 100) == 3 * 90 // 2


def test_load_balance_truncates_to_whole_seconds_with_the_aht_option() -> None:
    """load-balance-aht 100 s, 2 calls waiting, 3 agents ready and logged in:
    2 x 100 / 3 = 66.67 -> 66 s; LoadBalance1 = 2 / 3 stays a float."""
    sc = Scenario(STATS, load_balance_aht=100)
    lb = sc.open("Queue", "8000@SW1", "LB", at=0)
    lb1 = sc.open("Queue", "8000@SW1", "LB1", at=0)
    complete = sc.open("Queue", "8000@SW1", "ToComplete", at=0)
    for dn, login_id in (("7001", "5001"), ("7002", "5002"), ("7003", "5003")):
        sc.ev(0, "EventAgentLogin", thisDN=dn, agentID=login_id, thisQueue="8000")
        sc.ev(1, "EventAgentReady", thisDN=dn)
    queued(sc, 10, "c1")
    queued(sc, 20, "c2")
    assert sc.value(lb, 30) == 66
    assert isinstance(sc.value(lb, 30), int)
    assert sc.value(complete, 30) == 66
    assert isinstance(sc.value(complete, 30), int)
    assert sc.value(lb1, 30) == pytest.approx(2 / 3)


def test_load_balance_counts_only_agents_of_the_queue() -> None:
    """a3 is ready but logged in on 8001: not an agent of 8000."""
    sc = Scenario(STATS)
    lb1 = sc.open("Queue", "8000@SW1", "LB1", at=0)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    sc.ev(0, "EventAgentLogin", thisDN="7003", agentID="5003", thisQueue="8001")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    sc.ev(1, "EventAgentReady", thisDN="7003")
    queued(sc, 10, "c1")
    queued(sc, 20, "c2")
    assert sc.value(lb1, 30) == pytest.approx(2 / 1)
