"""Statistics opened at the same instant on the same track, time profile and spec share one
window (core/opening.py ``_window``): an event updates it once for all of them.

Sharing must change no value.  Expected values are worked out by hand in each docstring.
"""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import T0, Scenario

HOUR = 3600

STATS = """
statTypes:
  ReadyTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  ReadyEpisodes: {Objects: Agent, Category: TotalNumber, Subject: AgentStatus, MainMask: WaitForNextCall}
  LongestReady: {Objects: Agent, Category: MaxTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  Answered: {Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallAnswered}
  AnswerWait: {Objects: Queue, Category: TotalTime, Subject: DNAction, MainMask: CallAnswered}
timeProfiles:
  Hourly: {type: Growing, value: "00:00+01:00"}
"""

START = int(datetime(2026, 11, 25, 10, 0, tzinfo=UTC).timestamp()) - T0


def _call(sc: Scenario, t: int, conn: str) -> None:
    """A call queued at ``t`` and answered at ``t + 8`` (CallAnswered on the queue: 8 s)."""
    sc.ev(t, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
    sc.ev(t + 5, "EventDiverted", thisDN="8000", connID=conn, otherDN="7001")
    sc.ev(t + 5, "EventRinging", thisDN="7001", connID=conn, callType="Inbound")
    sc.ev(t + 8, "EventEstablished", thisDN="7001", connID=conn, callType="Inbound")
    sc.ev(t + 60, "EventReleased", thisDN="7001", connID=conn)


def test_statistics_opened_together_share_a_window_and_keep_their_values():
    """Ready 10:01:40–10:06:40 (300 s), not ready, ready again from 10:16:40.  At 10:21:40:
    ReadyTime 300 + 300 = 600, ReadyEpisodes 2, LongestReady 300 (the episode in progress
    has lasted 300 s too).  ReadyEpisodes closes; not ready at 10:25:00: ReadyTime 300 + 500
    = 800, LongestReady 500.  When the last of them closes the track drops the window."""
    sc = Scenario(STATS)
    sc.ev(START, "EventAgentLogin", thisDN="7001", agentID="5001")
    time_ = sc.open("Agent", "a1", "ReadyTime", START + 10, time_profile="Hourly")
    episodes = sc.open("Agent", "a1", "ReadyEpisodes", time_profile="Hourly")
    longest = sc.open("Agent", "a1", "LongestReady", time_profile="Hourly")
    assert time_.window is episodes.window is longest.window
    assert time_.window is not None
    assert time_.window.users == 3

    sc.ev(START + 100, "EventAgentReady", thisDN="7001")
    sc.ev(START + 400, "EventAgentNotReady", thisDN="7001")
    sc.ev(START + 1000, "EventAgentReady", thisDN="7001")
    now = START + 1300
    assert [sc.value(s, now) for s in (time_, episodes, longest)] == [600, 2, 300]

    sc.engine.remove(episodes)
    window = time_.window
    assert window.users == 2
    assert window in time_.main.windows
    sc.ev(START + 1500, "EventAgentNotReady", thisDN="7001")
    assert [sc.value(s, START + 1600) for s in (time_, longest)] == [800, 500]

    sc.engine.remove(time_)
    sc.engine.remove(longest)
    assert window not in longest.main.windows


def test_an_event_in_between_gives_a_window_of_its_own():
    """Answered opened before the answer at 10:10:08 counts it; the same statistic type
    under another name opened right after it, in the same second, does not: 1 and 0."""
    sc = Scenario(STATS)
    sc.ev(START, "EventAgentLogin", thisDN="7001", agentID="5001")
    sc.ev(START + 1, "EventAgentReady", thisDN="7001")
    sc.ev(START + 600, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(START + 605, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    sc.ev(START + 605, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    before = sc.open("Queue", "8000@SW1", "Answered", START + 608, time_profile="Hourly")
    sc.ev(START + 608, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    after = sc.open("Queue", "8000@SW1", "AnswerWait", START + 608, time_profile="Hourly")
    assert before.window is not after.window
    assert sc.value(before, START + 700) == 1
    assert sc.value(after, START + 700) == 0


def test_reset_notification_of_statistics_sharing_a_window():
    """Answered and AnswerWait (hourly, watched) share a window.  Calls answered at 10:10:08
    and 10:20:08, then 11:10:08, each after 8 s in the queue: the 11:00 reset reports 2 and
    16 s, the 12:00 one 1 and 8 s, the 13:00 one 0 and 0 -- both statistics read the
    interval before the shared window moves on."""
    sc = Scenario(STATS)
    sc.ev(START, "EventAgentLogin", thisDN="7001", agentID="5001")
    sc.ev(START + 1, "EventAgentReady", thisDN="7001")
    answered = sc.open("Queue", "8000@SW1", "Answered", time_profile="Hourly")
    waited = sc.open("Queue", "8000@SW1", "AnswerWait", time_profile="Hourly")
    assert answered.window is waited.window
    assert sc.engine.watch_resets(answered)
    assert sc.engine.watch_resets(waited)
    _call(sc, START + 600, "c1")
    _call(sc, START + 1200, "c2")
    _call(sc, START + HOUR + 600, "c3")
    ended = sc.engine.advance(T0 + START + 3 * HOUR + 1)
    got = sorted((e.boundary - T0 - START, e.statistic.definition.name, e.value) for e in ended)
    assert got == [
        (HOUR, "AnswerWait", 16),
        (HOUR, "Answered", 2),
        (2 * HOUR, "AnswerWait", 8),
        (2 * HOUR, "Answered", 1),
        (3 * HOUR, "AnswerWait", 0),
        (3 * HOUR, "Answered", 0),
    ]


def test_a_closed_statistics_window_is_not_handed_to_the_next_one():
    """ReadyTime opened, closed and opened again in the same second, while ReadyTime under
    the default profile keeps the track alive: the second one gets a window of its own,
    attached to the track.  Ready from 10:01:40 to 10:06:40: 300 s for both."""
    sc = Scenario(STATS)
    sc.ev(START, "EventAgentLogin", thisDN="7001", agentID="5001")
    keep = sc.open("Agent", "a1", "ReadyTime", START + 10)
    first = sc.open("Agent", "a1", "ReadyTime", time_profile="Hourly")
    assert first.main is keep.main
    sc.engine.remove(first)
    again = sc.open("Agent", "a1", "ReadyTime", START + 10, time_profile="Hourly")
    assert again is not first
    sc.ev(START + 100, "EventAgentReady", thisDN="7001")
    sc.ev(START + 400, "EventAgentNotReady", thisDN="7001")
    assert sc.value(again, START + 500) == 300
    assert sc.value(keep, START + 500) == 300


def test_statistics_reading_the_same_track_share_their_list_of_tracks():
    """ReadyTime under two profiles and ReadyEpisodes read the one ready track of a1: they
    hold one tuple of tracks between them (one object fewer per statistic).  Closing one
    detaches it alone: ready from 10:01:40 to 10:06:40, the others still read 300 s and 1;
    with all closed the track is dropped from its node."""
    sc = Scenario(STATS)
    sc.ev(START, "EventAgentLogin", thisDN="7001", agentID="5001")
    daily = sc.open("Agent", "a1", "ReadyTime", START + 10)
    hourly = sc.open("Agent", "a1", "ReadyTime", time_profile="Hourly")
    episodes = sc.open("Agent", "a1", "ReadyEpisodes", time_profile="Hourly")
    answered = sc.open("Queue", "8000@SW1", "Answered", time_profile="Hourly")
    assert daily.main is hourly.main is episodes.main
    assert daily.attached is hourly.attached is episodes.attached
    assert daily.attached == (daily.main, daily.definition.subject)
    assert answered.attached is not daily.attached
    sc.engine.remove(hourly)
    assert hourly not in daily.main.listeners
    assert daily.main.listeners == (daily, episodes)
    sc.ev(START + 100, "EventAgentReady", thisDN="7001")
    sc.ev(START + 400, "EventAgentNotReady", thisDN="7001")
    assert [sc.value(s, START + 500) for s in (daily, episodes)] == [300, 1]
    track = daily.main
    sc.engine.remove(daily)
    sc.engine.remove(episodes)
    (tenant,) = sc.engine.tenants.values()
    held = [entry[0] for node in tenant.hub.nodes.values() for entry in node.tracks.values()]
    assert all(t is not track for t in held)
    assert answered.main in held


def test_a_window_is_shared_after_another_of_its_track_closed_in_the_same_second():
    """The windows opened since the last event are found by position in their track's
    tuple: ReadyTime (Default) and ReadyTime (Hourly) opened at 10:00:10, ReadyTime
    (Default) closed, ReadyEpisodes (Hourly) and ReadyTime (Default) opened again, all in
    that second.  ReadyEpisodes shares the Hourly window (ReadyTime and ReadyEpisodes read
    one window); the new ReadyTime gets a window of its own, not the detached one.  Ready
    from 10:01:40 to 10:06:40: 300 s, 1 episode, 300 s."""
    sc = Scenario(STATS)
    sc.ev(START, "EventAgentLogin", thisDN="7001", agentID="5001")
    daily = sc.open("Agent", "a1", "ReadyTime", START + 10)
    hourly = sc.open("Agent", "a1", "ReadyTime", time_profile="Hourly")
    detached = daily.window
    sc.engine.remove(daily)
    episodes = sc.open("Agent", "a1", "ReadyEpisodes", time_profile="Hourly")
    again = sc.open("Agent", "a1", "ReadyTime")
    assert hourly.window is not None
    assert episodes.window is hourly.window
    assert hourly.window.users == 2
    assert again.window is not detached
    assert again.main.windows == (hourly.window, again.window)
    sc.ev(START + 100, "EventAgentReady", thisDN="7001")
    sc.ev(START + 400, "EventAgentNotReady", thisDN="7001")
    assert [sc.value(s, START + 500) for s in (hourly, episodes, again)] == [300, 1, 300]
