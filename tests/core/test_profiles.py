"""Time profiles (core/stats/profiles.py) and the clocks statistics are measured with.

Expected instants are worked out by hand from the time-zone rules of 2026 and written as UTC:

* Europe/Paris: CET (UTC+1) in winter, CEST (UTC+2) in summer.  Spring forward on Sunday
  29 March 2026 at 02:00 CET = 01:00 UTC (the clock jumps to 03:00); fall back on Sunday
  25 October 2026 at 03:00 CEST = 01:00 UTC (the clock goes back to 02:00, so local times
  02:00–02:59 happen twice: first at 00:00–00:59 UTC, then at 01:00–01:59 UTC).
* America/New_York: EST (UTC−5) / EDT (UTC−4).  Spring forward on Sunday 8 March 2026 at
  02:00 EST = 07:00 UTC; fall back on Sunday 1 November 2026 at 02:00 EDT = 06:00 UTC (local
  01:00–01:59 happens twice: 05:00–05:59 UTC, then 06:00–06:59 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpers import T0, Scenario
from statserver.core.engine import StatisticRequest
from statserver.core.stats.profiles import (
    GrowingProfile,
    SelectionProfile,
    SinceLoginProfile,
    SlidingProfile,
    parse_time_profile,
)
from statserver.events import decode_event_obj

HOUR = 3600
DAY = 24 * HOUR
CENTURY = 100 * 365 * DAY


def utc(*args: int) -> int:
    """Unix seconds of a UTC date and time."""
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


def growing(value: str, zone: str | None = None) -> GrowingProfile:
    profile = parse_time_profile("P", "Growing", value, zone)
    assert isinstance(profile, GrowingProfile)
    return profile


def resets_between(profile: GrowingProfile, start: int, end: int) -> list[int]:
    """Every reset instant r with start < r <= end, found by walking the intervals."""
    out = []
    t = start
    while True:
        _, nxt = profile.interval(t)
        if nxt > end:
            return out
        out.append(nxt)
        t = nxt


# ------------------------------------------------------------------------------ Growing
def test_growing_with_several_reset_times():
    """'07:00,15:00,23:00' resets three times a day; the last interval runs past midnight."""
    p = growing("07:00,15:00,23:00")
    assert p.minutes == (7 * 60, 15 * 60, 23 * 60)
    assert p.interval(utc(2026, 11, 25, 10, 0)) == (utc(2026, 11, 25, 7), utc(2026, 11, 25, 15))
    assert p.interval(utc(2026, 11, 25, 23, 30)) == (utc(2026, 11, 25, 23), utc(2026, 11, 26, 7))
    assert p.interval(utc(2026, 11, 26, 6, 59)) == (utc(2026, 11, 25, 23), utc(2026, 11, 26, 7))


def test_a_reset_time_starts_the_new_interval():
    """At exactly a reset time the new interval has begun: start <= t < end."""
    p = growing("07:00,15:00,23:00")
    assert p.interval(utc(2026, 11, 25, 15)) == (utc(2026, 11, 25, 15), utc(2026, 11, 25, 23))


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        pytest.param("00:00+00:15", tuple(range(0, 24 * 60, 15)), id="every-15-minutes"),
        pytest.param("08:00+04:00", (480, 720, 960, 1200), id="from-8-every-4-hours"),
        pytest.param("06:00,12:00+06:00", (360, 720, 1080), id="list-and-steps"),
        pytest.param("0:00+1:00", tuple(range(0, 24 * 60, 60)), id="one-digit-hours"),
        pytest.param("00:00+24:00", (0,), id="step-of-a-day"),
        pytest.param("23:59", (23 * 60 + 59,), id="last-minute"),
    ],
)
def test_growing_steps(value: str, minutes: tuple[int, ...]):
    """'HH:MM+HH:MM' resets at the start, then every step until the end of the day."""
    assert growing(value).minutes == minutes


def test_stepped_profile_does_not_reset_at_midnight_unless_a_step_lands_there():
    """'08:00+04:00' resets at 08, 12, 16, 20: the night interval runs from 20:00 to 08:00."""
    p = growing("08:00+04:00")
    assert p.interval(utc(2026, 11, 25, 22)) == (utc(2026, 11, 25, 20), utc(2026, 11, 26, 8))
    assert p.interval(utc(2026, 11, 26, 3)) == (utc(2026, 11, 25, 20), utc(2026, 11, 26, 8))
    assert p.interval(utc(2026, 11, 26, 13)) == (utc(2026, 11, 26, 12), utc(2026, 11, 26, 16))


def test_quarter_hour_intervals():
    """'00:00+00:15' (Data Sourcer's CollectorDefault): 10:07:30 is in [10:00, 10:15)."""
    p = growing("00:00+00:15")
    assert p.interval(utc(2026, 11, 25, 10, 7, 30)) == (
        utc(2026, 11, 25, 10, 0),
        utc(2026, 11, 25, 10, 15),
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("25:00", "00:00 to 23:59", id="hour-25"),
        pytest.param("24:00", "00:00 to 23:59", id="hour-24"),
        pytest.param("10:60", "00:00 to 23:59", id="minute-60"),
        pytest.param("1000", "HH:MM", id="no-colon"),
        pytest.param("10:00;12:00", "HH:MM", id="semicolon"),
        pytest.param("00:00+00:00", "longer than 00:00", id="zero-step"),
        pytest.param("00:00+xx", "HH:MM", id="bad-step"),
    ],
)
def test_bad_growing_values(value: str, says: str):
    """Invalid reset times are refused with what is accepted."""
    with pytest.raises(ValueError, match=says):
        parse_time_profile("P", "Growing", value)


def test_time_zone_in_the_value():
    """'00:00,Europe/Paris' is the same as value 00:00 with timeZone Europe/Paris."""
    p = growing("00:00,Europe/Paris")
    assert (p.minutes, p.zone) == ((0,), "Europe/Paris")


def test_two_time_zones_are_refused():
    """A Growing value names at most one time zone."""
    with pytest.raises(ValueError, match="more than one time zone"):
        parse_time_profile("P", "Growing", "00:00,Europe/Paris", "America/New_York")


def test_unknown_time_zone():
    """A time zone must be an IANA name."""
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        parse_time_profile("P", "Growing", "00:00", "Mars/Olympus")


# ------------------------------------------------------------------------------ time zones
@pytest.mark.parametrize(
    ("zone", "day", "start", "end"),
    [
        # Paris midnight: 23:00 UTC the day before in winter (UTC+1), 22:00 UTC in summer
        pytest.param(
            "Europe/Paris",
            (2026, 11, 25),
            utc(2026, 11, 24, 23),
            utc(2026, 11, 25, 23),
            id="paris-winter",
        ),
        pytest.param(
            "Europe/Paris",
            (2026, 7, 15),
            utc(2026, 7, 14, 22),
            utc(2026, 7, 15, 22),
            id="paris-summer",
        ),
        # New York midnight: 05:00 UTC in winter (UTC−5), 04:00 UTC in summer (UTC−4)
        pytest.param(
            "America/New_York",
            (2026, 11, 25),
            utc(2026, 11, 25, 5),
            utc(2026, 11, 26, 5),
            id="new-york-winter",
        ),
        pytest.param(
            "America/New_York",
            (2026, 7, 15),
            utc(2026, 7, 15, 4),
            utc(2026, 7, 16, 4),
            id="new-york-summer",
        ),
    ],
)
def test_daily_midnight_reset_in_a_time_zone(
    zone: str, day: tuple[int, int, int], start: int, end: int
):
    """A daily 00:00 reset happens at local midnight, whatever the UTC offset that day."""
    p = growing("00:00", zone)
    assert p.interval(utc(*day, 12)) == (start, end)


def test_paris_spring_forward_reset_in_the_gap_happens_at_the_jump():
    """02:30 does not exist in Paris on 29 March 2026: the reset happens when the clock jumps
    (02:00 CET = 01:00 UTC).  The day before 02:30 CET = 01:30 UTC; the day after 02:30 CEST =
    00:30 UTC."""
    p = growing("02:30", "Europe/Paris")
    jump = utc(2026, 3, 29, 1, 0)
    assert p.interval(jump - 1) == (utc(2026, 3, 28, 1, 30), jump)
    assert p.interval(jump) == (jump, utc(2026, 3, 30, 0, 30))


def test_new_york_spring_forward_reset_in_the_gap_happens_at_the_jump():
    """02:30 does not exist in New York on 8 March 2026: the reset happens at the jump
    (02:00 EST = 07:00 UTC).  The day before 02:30 EST = 07:30 UTC; the day after 02:30 EDT =
    06:30 UTC."""
    p = growing("02:30", "America/New_York")
    jump = utc(2026, 3, 8, 7, 0)
    assert p.interval(jump - 1) == (utc(2026, 3, 7, 7, 30), jump)
    assert p.interval(jump) == (jump, utc(2026, 3, 9, 6, 30))


def test_stepped_profile_on_the_spring_forward_day():
    """Every 30 minutes in Paris on 29 March: 02:00 and 02:30 local do not exist and both fall
    on the jump at 01:00 UTC; the day has 23 hours, so 46 intervals."""
    p = growing("00:00+00:30", "Europe/Paris")
    assert p.interval(utc(2026, 3, 29, 0, 45)) == (utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1))
    assert p.interval(utc(2026, 3, 29, 1, 10)) == (utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30))
    # local midnight 29 March = 23:00 UTC on the 28th (CET); 30 March = 22:00 UTC (CEST)
    resets = resets_between(p, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert len(resets) == 23 * 2


@pytest.mark.parametrize(
    ("zone", "day_start", "day_end", "repeated"),
    [
        # Paris 25 October: local 00:00 = 22:00 UTC (CEST) on the 24th, next local midnight
        # = 23:00 UTC (CET); 02:00 and 02:30 happen at 00:00/00:30 UTC and 01:00/01:30 UTC
        pytest.param(
            "Europe/Paris",
            utc(2026, 10, 24, 22),
            utc(2026, 10, 25, 23),
            [utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30)],
            id="paris",
        ),
        # New York 1 November: local 00:00 = 04:00 UTC (EDT), next = 05:00 UTC (EST) on the
        # 2nd; 01:00 and 01:30 happen at 05:00/05:30 UTC and 06:00/06:30 UTC
        pytest.param(
            "America/New_York",
            utc(2026, 11, 1, 4),
            utc(2026, 11, 2, 5),
            [utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 5, 30)],
            id="new-york",
        ),
    ],
)
def test_stepped_profile_resets_in_both_occurrences_of_the_repeated_hour(
    zone: str, day_start: int, day_end: int, repeated: list[int]
):
    """Every 30 minutes means every 30 minutes of the wall clock, also in the repeated hour:
    the 25-hour day has 50 intervals, each exactly 30 minutes long."""
    p = growing("00:00+00:30", zone)
    resets = resets_between(p, day_start, day_end)
    assert len(resets) == 25 * 2
    assert all(b - a == 1800 for a, b in zip([day_start, *resets], resets, strict=False))
    for first in repeated:
        second = first + HOUR  # the same wall-clock time, one hour later in UTC
        assert first in resets
        assert second in resets


def test_list_profile_resets_once_in_the_repeated_hour():
    """A listed time that happens twice (02:30 in Paris on 25 October) resets at its first
    occurrence only (00:30 UTC), so that interval lasts 25 hours, up to 02:30 CET on the
    26th = 01:30 UTC."""
    p = growing("02:30", "Europe/Paris")
    first = utc(2026, 10, 25, 0, 30)
    assert p.interval(first) == (first, utc(2026, 10, 26, 1, 30))
    assert p.interval(first + HOUR + 60) == (first, utc(2026, 10, 26, 1, 30))  # 2nd 02:31


# ------------------------------------------------------------------------------ other kinds
@pytest.mark.parametrize(
    ("kind", "value"),
    [
        pytest.param("EverGrowing", None, id="type-evergrowing"),
        pytest.param("Growing", "never", id="growing-never"),
        pytest.param("Growing", "", id="growing-empty"),
    ],
)
def test_ever_growing_never_resets(kind: str, value: str | None):
    """An ever-growing profile has one interval covering all time."""
    p = parse_time_profile("Forever", kind, value)
    assert isinstance(p, GrowingProfile)
    assert p.ever_growing
    start, end = p.interval(T0)
    assert start < T0 - CENTURY
    assert end > T0 + CENTURY
    assert p.describe() == "never resets"


@pytest.mark.parametrize(
    ("value", "window", "step"),
    [
        pytest.param("3600:60", 3600, 60, id="last-hour"),
        pytest.param("900:15", 900, 15, id="quarter"),
        pytest.param("60:60", 60, 60, id="one-step"),
        pytest.param(" 600 : 60 ", 600, 60, id="blanks"),
    ],
)
def test_sliding_values(value: str, window: int, step: int):
    """Sliding '<window>:<step>' in seconds."""
    p = parse_time_profile("S", "Sliding", value)
    assert isinstance(p, SlidingProfile)
    assert (p.window, p.step, p.buckets) == (window, step, window // step)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        pytest.param("3600:7", "multiple of the step", id="not-a-multiple"),
        pytest.param("3600:0", "positive", id="zero-step"),
        pytest.param("0:60", "positive", id="zero-window"),
        pytest.param("3600", "'<window seconds>:<step seconds>'", id="no-step"),
        pytest.param("1h:1m", "'<window seconds>:<step seconds>'", id="units"),
        pytest.param("-60:60", "'<window seconds>:<step seconds>'", id="negative"),
        pytest.param("86400:1", "more than 10000 steps", id="too-many-steps"),
    ],
)
def test_bad_sliding_values(value: str, says: str):
    """Invalid Sliding values are refused with what is accepted."""
    with pytest.raises(ValueError, match=says):
        parse_time_profile("S", "Sliding", value)


def test_selection_values():
    """Selection 'N': the last N completed items; N must be a positive whole number."""
    p = parse_time_profile("Last10", "Selection", "10")
    assert isinstance(p, SelectionProfile)
    assert p.count == 10
    assert isinstance(parse_time_profile("Last3", "selection", 3), SelectionProfile)
    for bad in ("0", "-1", "ten", "", "1.5"):
        with pytest.raises(ValueError, match="positive number"):
            parse_time_profile("X", "Selection", bad)


def test_since_login_and_type_spelling():
    """SinceLogin needs no value; type names are case-insensitive."""
    assert isinstance(parse_time_profile("L", "SinceLogin", None), SinceLoginProfile)
    assert isinstance(parse_time_profile("L", "sincelogin", ""), SinceLoginProfile)
    assert isinstance(parse_time_profile("G", "GROWING", "00:00"), GrowingProfile)
    with pytest.raises(ValueError, match="unknown time profile type"):
        parse_time_profile("X", "Tumbling", "60")


# ------------------------------------------------------------------------------ in the engine
STATS = """
statTypes:
  ReadyTime: {Objects: "Agent,GroupAgents", Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  Answered: {Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallAnswered}
timeProfiles:
  Hourly: {type: Growing, value: "00:00+01:00"}
  ParisDay: {type: Growing, value: "00:00", timeZone: Europe/Paris}
  Forever: {type: EverGrowing}
  Last10Min: {type: Sliding, value: "600:60"}
"""


def at(instant: int) -> float:
    """Scenario times are seconds after T0."""
    return instant - T0


@pytest.mark.parametrize(
    ("day", "midnight"),
    [
        pytest.param((2026, 11, 25), utc(2026, 11, 25, 23), id="winter-23h-utc"),
        pytest.param((2026, 7, 15), utc(2026, 7, 15, 22), id="summer-22h-utc"),
    ],
)
def test_total_time_of_a_status_resets_at_paris_midnight(day: tuple[int, int, int], midnight: int):
    """ReadyTime with a Paris midnight profile drops to 0 at local midnight (23:00 UTC in
    winter, 22:00 UTC in summer) while the same statistic with the UTC Default profile does
    not."""
    sc = Scenario(STATS)
    ready_at = midnight - 10 * 60  # ready 10 minutes before Paris midnight
    sc.ev(at(ready_at - 300), "EventAgentLogin", thisDN="7001", agentID="5001")
    paris = sc.open("Agent", "a1", "ReadyTime", time_profile="ParisDay")
    utc_day = sc.open("Agent", "a1", "ReadyTime")
    sc.ev(at(ready_at), "EventAgentReady", thisDN="7001")
    assert sc.value(paris, at(midnight - 1)) == 600 - 1  # ready 10 min, read 1 s early
    assert sc.value(paris, at(midnight)) == 0  # reset; the status in progress counts from 0
    assert sc.value(paris, at(midnight + 600)) == 600
    assert sc.value(utc_day, at(midnight + 600)) == 600 + 600  # no reset at Paris midnight


def test_resets_are_reported_by_the_clock_without_events():
    """watch_resets + advance(now): each ended interval is reported with its final value,
    though no event arrives after the agent became ready."""
    sc = Scenario(STATS)
    midnight = utc(2026, 11, 25, 23)  # Paris midnight in winter
    sc.ev(at(midnight - 900), "EventAgentLogin", thisDN="7001", agentID="5001")
    stat = sc.open("Agent", "a1", "ReadyTime", time_profile="ParisDay")
    assert sc.engine.watch_resets(stat) is True
    sc.ev(at(midnight - 600), "EventAgentReady", thisDN="7001")
    assert sc.engine.advance(midnight - 1) == []
    ended = sc.engine.advance(midnight + 300)
    assert [(e.statistic, e.boundary, e.value) for e in ended] == [(stat, midnight, 600)]
    assert sc.engine.advance(midnight + 400) == []  # reported once
    # a whole day later: the next midnight ends an interval of a full day of ready time
    ended = sc.engine.advance(midnight + DAY + 5)
    assert [(e.boundary, e.value) for e in ended] == [(midnight + DAY, DAY)]


def test_several_resets_in_one_advance_come_in_order():
    """Advancing over three hourly resets reports three intervals, oldest first, each with
    the count of answers completed in it."""
    sc = Scenario(STATS)
    start = utc(2026, 11, 25, 10, 0)
    sc.ev(at(start), "EventAgentLogin", thisDN="7001", agentID="5001")
    sc.ev(at(start + 1), "EventAgentReady", thisDN="7001")
    answered = sc.open("Queue", "8000@SW1", "Answered", time_profile="Hourly")
    assert sc.engine.watch_resets(answered)

    def call(t: int, conn: str) -> None:
        sc.ev(at(t), "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
        sc.ev(at(t + 5), "EventDiverted", thisDN="8000", connID=conn, otherDN="7001")
        sc.ev(at(t + 5), "EventRinging", thisDN="7001", connID=conn, callType="Inbound")
        sc.ev(at(t + 8), "EventEstablished", thisDN="7001", connID=conn, callType="Inbound")
        sc.ev(at(t + 60), "EventReleased", thisDN="7001", connID=conn)

    call(start + 600, "c1")  # answered at 10:10:08
    call(start + 1200, "c2")  # answered at 10:20:08
    call(start + HOUR + 600, "c3")  # answered at 11:10:08
    ended = sc.engine.advance(start + 3 * HOUR + 1)
    assert [(e.boundary, e.value) for e in ended] == [
        (start + HOUR, 2),  # 10:00–11:00: c1, c2
        (start + 2 * HOUR, 1),  # 11:00–12:00: c3
        (start + 3 * HOUR, 0),  # 12:00–13:00: nothing
    ]


def test_only_growing_profiles_can_be_watched():
    """Reset notification needs a Growing profile with resets."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    sliding = sc.open("Agent", "a1", "ReadyTime", time_profile="Last10Min")
    assert sc.engine.watch_resets(sliding) is False


def test_ever_growing_statistic_keeps_growing_across_days():
    """An EverGrowing profile never resets: three days of ready time accumulate."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    forever = sc.open("Agent", "a1", "ReadyTime", time_profile="Forever")
    daily = sc.open("Agent", "a1", "ReadyTime")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    assert sc.engine.watch_resets(forever) is True
    assert sc.engine.advance(T0 + 3 * DAY) == []  # nothing ends
    assert sc.value(forever, 3 * DAY) == 3 * DAY - 10
    # T0 is 10:00 UTC, so the UTC day began 3 days later minus 10 hours
    assert sc.value(daily, 3 * DAY) == 10 * HOUR


# ------------------------------------------------------------------------------ time base
TIME_STATS = """
statTypes:
  ReadySource: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall, UseSourceTimeStamps: yes}
  ReadyLocal: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall, UseSourceTimeStamps: no}
  ReadyDefault: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
"""

# (source time, receipt time, event): the network delays each event by a different amount
TIMED = [
    (0, 2, "EventAgentLogin", {"agentID": "5001"}),
    (10, 15, "EventAgentReady", {}),
    (70, 72, "EventAgentNotReady", {}),
]


def run_timed(live: bool, **options: object) -> dict[str, object]:
    """Feed TIMED, with receipt times when ``live`` (as a server does) or without (replay)."""
    sc = Scenario(TIME_STATS, **options)
    engine = sc.engine
    stats = {}
    for i, (source_t, received_t, event, attrs) in enumerate(TIMED):
        record = decode_event_obj(
            {"event": event, "time": T0 + source_t, "source": "TS1", "thisDN": "7001", **attrs}
        )
        assert engine.feed(record, received_at=T0 + received_t if live else None)
        if i == 0:  # opened after the login, before the agent is ready on either clock
            for name in ("ReadySource", "ReadyLocal", "ReadyDefault"):
                stats[name] = engine.open(
                    StatisticRequest("Resources", "Agent", "a1", name), at=T0 + 5
                )
    return {name: engine.value(stat, T0 + 100) for name, stat in stats.items()}


def test_use_source_timestamps_yes_and_no():
    """UseSourceTimeStamps=yes measures with the events' times (70 − 10), no with the
    receipt times given to feed (72 − 15); the default follows use-source-timestamps (yes)."""
    assert run_timed(live=True) == {
        "ReadySource": 70 - 10,
        "ReadyLocal": 72 - 15,
        "ReadyDefault": 70 - 10,
    }


def test_option_use_source_timestamps_no_changes_the_default():
    """With the option use-source-timestamps: no, stat types that do not say measure with
    receipt times; explicit UseSourceTimeStamps still wins."""
    assert run_timed(live=True, use_source_timestamps=False) == {
        "ReadySource": 70 - 10,
        "ReadyLocal": 72 - 15,
        "ReadyDefault": 72 - 15,
    }


def test_replaying_gives_the_values_of_the_live_run():
    """A replay (no receipt times) gives exactly what the live run gave with source times,
    and the same run fed twice gives the same values."""
    live = run_timed(live=True)
    replayed = run_timed(live=False)
    assert replayed["ReadySource"] == live["ReadySource"] == 70 - 10
    assert replayed["ReadyDefault"] == live["ReadyDefault"]
    assert replayed["ReadyLocal"] == 70 - 10  # without receipt times, receipt = event time
    assert run_timed(live=True) == live
