"""`statserver replay` as users run it (contracts.md §4): a subprocess, files in, lines out.

Expected values are worked out by hand from the events; times are seconds after
T0 = 2026-11-25T10:00:00Z.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import T0

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "examples" / "small"


def run(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statserver.cli", *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def lines_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def iso(t: float, offset: str = "+00:00") -> str:
    """The ISO form of T0 + t seconds in UTC (t < 14 hours)."""
    hours, rest = divmod(int(t), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"2026-11-25T{10 + hours:02d}:{minutes:02d}:{seconds:02d}{offset}"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
        encoding="utf-8",
    )
    return path


# ------------------------------------------------------------------------------ the example
def test_the_small_example():
    """examples/small: values by hand, one line per (query, time), exit 0, summary on stderr."""
    proc = run(
        "replay",
        "-c",
        SMALL / "config.yaml",
        SMALL / "events.jsonl",
        "--queries",
        SMALL / "queries.jsonl",
    )
    assert proc.returncode == 0, proc.stderr
    out = lines_of(proc.stdout)
    assert [(o["referenceId"], o.get("at")) for o in out] == [
        (1, "2026-11-25T10:00:15+00:00"),
        (1, "2026-11-25T10:01:30+00:00"),
        (1, "2026-11-25T10:10:00+00:00"),
        (2, "2026-11-25T10:10:00+00:00"),
        (3, "2026-11-25T10:10:00+00:00"),
        (4, "2026-11-25T10:10:00+00:00"),
        (5, "2026-11-25T10:02:00+00:00"),
        (6, None),
    ]
    values = [o.get("value") for o in out]
    # CallsWaiting: call 1 queued at 12.25 s; at 90 s call 1 is at the agent and call 2
    # (queued at 60 s, abandoned at 105 s) waits; at 600 s nobody waits
    assert values[0:3] == [1, 1, 0]
    # ServiceLevel (ServiceFactor1, 0-20): call 1 answered after 24 - 12 = 12 s (< 20),
    # call 2 abandoned: 100 * 1 / (1 + 1) = 50.0
    assert values[3] == 50.0
    assert isinstance(values[3], float)
    # ReadyTime: ready 5 -> 20 (ringing ranks above it), then 300 -> 600: 15 + 300
    assert values[4] == 15 + 300
    # inline TotalTime of CallInbound: established 24 s, released 240 s
    assert values[5] == 240 - 24
    # AgentState (CurrentState) at 120 s: on the inbound call since 24 s
    assert values[6]["status"] == "CallInbound"
    assert values[6]["startTime"] == T0 + 24
    # the query on an unknown agent is an error line
    assert out[7]["error"]["code"] == "unknown-object"
    assert "nobody" in out[7]["error"]["message"]
    # the last line of events.jsonl has a bad time
    assert proc.stderr.strip() == "replay: 12 events, 11 applied, 1 skipped (bad-time: 1)"


# ------------------------------------------------------------------------------ generated files
def event(t: float, name: str, **attrs: Any) -> dict[str, Any]:
    """An event of TS1 at T0 + t, its time written in the ISO form."""
    return {"event": name, "time": iso(t), "source": "TS1", **attrs}


EVENTS = [
    event(0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000"),
    event(5, "EventAgentReady", thisDN="7001"),
    {**event(60, "EventQueued", thisDN="8000", connID="c1", callType="Inbound"), "time": T0 + 60},
    event(90, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001"),
    event(90, "EventRinging", thisDN="7001", connID="c1", callType="Inbound"),
    event(95, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound"),
    event(180, "EventReleased", thisDN="7001", connID="c1"),
    event(180, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork"),
    event(240, "EventAgentReady", thisDN="7001"),
]
QUEUE = {"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"}
AGENT = {"objectId": "a1", "objectType": "Agent", "tenant": "Resources"}


def query(ref: Any, obj: dict[str, str], metric: dict[str, Any], at: list[Any], **kw: Any):
    return {
        "request": "OpenStatistic",
        "referenceId": ref,
        "object": obj,
        "metric": metric,
        "at": at,
        **kw,
    }


@pytest.fixture
def files(tmp_path: Path):
    """Write events and queries; returns (run replay, tmp_path)."""

    def replay(queries: list[Any], events: list[Any] = EVENTS, *extra: str):
        ev = write_jsonl(tmp_path / "events.jsonl", events)
        q = write_jsonl(tmp_path / "queries.jsonl", queries)
        return run("replay", "-c", SMALL / "config.yaml", ev, "--queries", q, *extra)

    return replay


def test_query_order_then_time_order_with_at_echoed_as_given(files):
    """Lines come query by query, each query's times sorted; 'at' is echoed exactly as
    written (ISO with any offset, 'Z', an integer, a float)."""
    at_waiting = [T0 + 300, "2026-11-25T11:01:10+01:00", "2026-11-25T10:01:00Z"]
    proc = files(
        [
            query("waiting", QUEUE, {"statisticType": "CallsWaiting"}, at_waiting),
            query(7, AGENT, {"statisticType": "ReadyTime"}, [T0 + 100.5, iso(30)]),
        ]
    )
    assert proc.returncode == 0, proc.stderr
    assert lines_of(proc.stdout) == [
        # T0+60: the call queued at that very second is counted (events up to t are applied)
        {"referenceId": "waiting", "at": "2026-11-25T10:01:00Z", "value": 1},
        {"referenceId": "waiting", "at": "2026-11-25T11:01:10+01:00", "value": 1},  # T0+70
        {"referenceId": "waiting", "at": T0 + 300, "value": 0},  # diverted at 90
        # ReadyTime, opened at the first event (T0): ready from 5 s
        {"referenceId": 7, "at": iso(30), "value": 30 - 5},
        {"referenceId": 7, "at": T0 + 100.5, "value": 90 - 5},  # ringing at 90 ends it
    ]


def test_open_at(files):
    """'openAt' opens the statistic later: ReadyTime counts from there."""
    proc = files(
        [
            query(1, AGENT, {"statisticType": "ReadyTime"}, [iso(300)], openAt=iso(30)),
            query(
                2, AGENT, {"statisticType": "ReadyTime", "timeProfile": "LastHour"}, [iso(300)],
                openAt=T0 + 200,
            ),
        ]
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [o["value"] for o in lines_of(proc.stdout)] == [
        (90 - 30) + (300 - 240),  # opened at 30: ready 30 -> 90, 240 -> 300
        300 - 240,  # opened at 200, in after-call work: ready 240 -> 300
    ]


def test_open_at_of_identical_queries(files):
    """Two queries for the same statistic with different openAt each count from their own."""
    proc = files(
        [
            query(1, AGENT, {"statisticType": "ReadyTime"}, [iso(300)]),
            query(2, AGENT, {"statisticType": "ReadyTime"}, [iso(300)], openAt=iso(30)),
        ]
    )
    assert proc.returncode == 0, proc.stderr
    assert [o["value"] for o in lines_of(proc.stdout)] == [
        (90 - 5) + (300 - 240),  # opened at the first event
        (90 - 30) + (300 - 240),  # opened at 30
    ]


def test_unservable_queries_give_error_lines_and_the_replay_goes_on(files):
    """Every kind of bad query yields one error line in its place; the others are served;
    the exit status is 0."""
    proc = files(
        [
            query(1, QUEUE, {"statisticType": "NoSuchType"}, [iso(100)]),
            "this is not a query",
            query(3, QUEUE, {"statisticType": "CallsWaiting"}, ["noon"]),
            {
                **query(4, QUEUE, {"statisticType": "CallsWaiting"}, [iso(70)]),
                "request": "GetStatistic",
            },
            query(5, {**AGENT, "objectId": "nobody"}, {"statisticType": "ReadyTime"}, [iso(100)]),
            query(6, QUEUE, {"statisticType": "CallsWaiting", "timeProfile": "Weekly"}, [iso(70)]),
            query(7, QUEUE, {"statisticType": "ReadyTime"}, [iso(70)]),  # Agent stat on a Queue
            query(8, QUEUE, {"statisticType": "CallsWaiting"}, [iso(70)]),
            {
                "request": "OpenStatisticEx",
                "referenceId": 9,
                "object": AGENT,
                "metric": {
                    "category": "TotalTime",
                    "mainMask": "CallInbound",
                    "subject": "DNAction",
                    "intervalType": "GrowingWindow",
                },
                "at": [iso(300)],
            },
        ]
    )
    assert proc.returncode == 0, proc.stderr
    out = lines_of(proc.stdout)
    assert [o["referenceId"] for o in out] == [1, None, 3, 4, 5, 6, 7, 8, 9]
    codes = [o["error"]["code"] if "error" in o else None for o in out]
    assert codes == [
        "unknown-stat-type",
        "malformed-request",
        "invalid-time",
        "unknown-request",
        "unknown-object",
        "unknown-time-profile",
        "object-type-not-allowed",
        None,
        None,
    ]
    assert all(o["error"]["message"] for o in out if "error" in o)
    assert out[7] == {"referenceId": 8, "at": iso(70), "value": 1}
    assert out[8] == {"referenceId": 9, "at": iso(300), "value": 180 - 95}  # talk time


def test_skipped_events_are_summarised_on_stderr(files):
    """Bad event lines are skipped, counted by reason on stderr, and do not change the exit
    status or the values."""
    events = [
        *EVENTS[:3],
        "{not json",
        event(61, "EventQueued", thisDN="8999", connID="c2"),  # unknown DN
        {**event(62, "EventQueued", thisDN="8000", connID="c3"), "time": "later"},
        *EVENTS[3:],
    ]
    proc = files([query(1, QUEUE, {"statisticType": "CallsWaiting"}, [iso(70)])], events)
    assert proc.returncode == 0, proc.stderr
    assert lines_of(proc.stdout) == [{"referenceId": 1, "at": iso(70), "value": 1}]
    n = len(EVENTS)
    assert proc.stderr.strip() == (
        f"replay: {n + 3} events, {n} applied, 3 skipped "
        "(bad-time: 1, malformed-json: 1, unknown-dn: 1)"
    )


def test_quiet_output_file_and_standard_input(files, tmp_path: Path):
    """--quiet drops the summary, -o writes the results to a file, '-' reads events from
    standard input."""
    q = write_jsonl(
        tmp_path / "q.jsonl", [query(1, QUEUE, {"statisticType": "CallsWaiting"}, [iso(70)])]
    )
    out_file = tmp_path / "out.jsonl"
    stdin = "".join(json.dumps(e) + "\n" for e in EVENTS)
    proc = run(
        "replay", "-c", SMALL / "config.yaml", "-", "--queries", q, "-o", out_file, "--quiet",
        stdin=stdin,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == ""
    assert lines_of(out_file.read_text(encoding="utf-8")) == [
        {"referenceId": 1, "at": iso(70), "value": 1}
    ]


def test_an_empty_event_file(files):
    """No events: the statistics open at their first time and read their initial value."""
    proc = files([query(1, QUEUE, {"statisticType": "CallsWaiting"}, [iso(70)])], [])
    assert proc.returncode == 0, proc.stderr
    assert lines_of(proc.stdout) == [{"referenceId": 1, "at": iso(70), "value": 0}]
    assert proc.stderr.strip() == "replay: 0 events, 0 applied"


# ------------------------------------------------------------------------------ cannot start
def test_missing_config_file(tmp_path: Path):
    """An unreadable CONFIG: non-zero exit, a message naming it, no output."""
    ev = write_jsonl(tmp_path / "e.jsonl", EVENTS)
    proc = run("replay", "-c", tmp_path / "nope.yaml", ev, "--queries", SMALL / "queries.jsonl")
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "nope.yaml" in proc.stderr
    assert "cannot read" in proc.stderr


def test_invalid_config_file(tmp_path: Path):
    """An invalid CONFIG: non-zero exit and the configuration error with file and line."""
    text = (SMALL / "config.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("Category: CurrentNumber", "Category: CurrentNumbr"), "utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "Category: CurrentNumber" in x)
    proc = run("replay", "-c", bad, SMALL / "events.jsonl", "--queries", SMALL / "queries.jsonl")
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert f"{bad}:{line}: statTypes.CallsWaiting.Category: unknown Category" in proc.stderr


def test_missing_events_file(tmp_path: Path):
    """An unreadable EVENTS file: non-zero exit and a message naming it."""
    proc = run(
        "replay",
        "-c",
        SMALL / "config.yaml",
        tmp_path / "missing.jsonl",
        "--queries",
        SMALL / "queries.jsonl",
    )
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "cannot read events" in proc.stderr
    assert "missing.jsonl" in proc.stderr


def test_missing_queries_file(tmp_path: Path):
    """An unreadable QUERIES file: non-zero exit and a message naming it."""
    proc = run(
        "replay",
        "-c",
        SMALL / "config.yaml",
        SMALL / "events.jsonl",
        "--queries",
        tmp_path / "q.jsonl",
    )
    assert proc.returncode != 0
    assert "cannot read queries" in proc.stderr
