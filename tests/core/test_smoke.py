"""A first end-to-end check of the engine: one call through a queue to an agent."""

from helpers import Scenario

STATS = """
statTypes:
  Waiting: {Objects: Queue, Category: CurrentNumber, Subject: DNAction, MainMask: CallWait}
  Ready: {Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: AgentStatus, MainMask: WaitForNextCall}
  ReadyTime: {Objects: "Agent,GroupAgents", Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  TalkTime: {Objects: Agent, Category: TotalTime, Subject: DNAction, MainMask: CallInbound}
"""


def test_one_call_through_a_queue():
    """A call queued at 10 s, answered at 18 s and released at 60 s, by hand."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    waiting = sc.open("Queue", "8000@SW1", "Waiting")
    ready = sc.open("GroupAgents", "Team", "Ready")
    ready_time = sc.open("Agent", "a1", "ReadyTime")
    talk = sc.open("Agent", "a1", "TalkTime")
    sc.ev(10, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    assert sc.value(waiting) == 1
    assert sc.value(ready) == 1
    sc.ev(15, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    sc.ev(15, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(waiting) == 0
    assert sc.value(ready) == 0  # CallRinging ranks above WaitForNextCall
    sc.ev(18, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(60, "EventReleased", thisDN="7001", connID="c1")
    # ready from 1 s, counted from the opening at 1 s, until ringing at 15 s: 15 - 1 = 14
    assert sc.value(ready_time, 100) == 14 + (100 - 60)
    # talk 18 -> 60
    assert sc.value(talk, 100) == 42
