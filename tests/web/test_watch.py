"""``statserver watch``: the board's state and one rendered frame, and a run against a server."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from helpers import T0
from statserver.cli import main
from statserver.events import decode_event_obj
from statserver.service.runner import running
from statserver.service.sources import SourceEvent
from statserver.service.wallboard import build_plan
from statserver.watch import LEVEL_STYLES, Board, format_value, level, plan_url, watch
from web.conftest import Served

WALLBOARD = """
wallboard:
  statistics:
    waiting: {warning: 3, alarm: 6}
"""


def board() -> Board:
    s = Served(extra=WALLBOARD)
    plan = build_plan(
        s.server.config.raw.wallboard, s.server.engine.catalog, s.server.engine.directory, now=T0
    )
    return Board(plan)


def text_of(renderable: Any, width: int = 160) -> str:
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3, "count", "3"),
        (75, "seconds", "1:15"),
        (3725, "seconds", "1:02:05"),
        (33.333, "percent", "33.3%"),
        (1.5, "rate", "1.50"),
        (2.0, "value", "2"),
        (None, "count", "—"),
        ({"status": "x"}, "value", "…"),
    ],
    ids=["count", "seconds", "hours", "percent", "rate", "value", "no-data", "structure"],
)
def test_values_are_formatted_by_unit(value: Any, unit: str, text: str):
    """The same rules as the web page (app.js format())."""
    assert format_value(value, unit) == text


@pytest.mark.parametrize(
    ("value", "thresholds", "expected"),
    [
        (2, {"warning": 3, "alarm": 6, "direction": "above"}, ""),
        (3, {"warning": 3, "alarm": 6, "direction": "above"}, "warn"),
        (6, {"warning": 3, "alarm": 6, "direction": "above"}, "alarm"),
        (85, {"warning": 80, "alarm": 70, "direction": "below"}, ""),
        (80, {"warning": 80, "alarm": 70, "direction": "below"}, "warn"),
        (69.9, {"warning": 80, "alarm": 70, "direction": "below"}, "alarm"),
        (0, {"warning": None, "alarm": 0, "direction": "below"}, "alarm"),
        (None, {"warning": 1, "alarm": 2, "direction": "above"}, ""),
        (5, None, ""),
    ],
    ids=[
        "under",
        "warning",
        "alarm",
        "below-ok",
        "below-warning",
        "below-alarm",
        "zero-alarm",
        "no-data",
        "none",
    ],
)
def test_thresholds(value: Any, thresholds: Any, expected: str):
    """A threshold is crossed when the value reaches it (above) or falls to it (below)."""
    assert level(value, thresholds) == expected


def test_the_plan_url_is_on_the_same_server():
    """ws://host:port/ws → http://host:port/api/v1/wallboard (wss → https)."""
    assert plan_url("ws://127.0.0.1:7100/ws") == "http://127.0.0.1:7100/api/v1/wallboard"
    assert (
        plan_url("wss://board.example:443/ws?client=x")
        == "https://board.example:443/api/v1/wallboard"
    )


def test_the_board_opens_one_statistic_per_agent_and_cell():
    """2 agents + queue table (8000@SW1, Queues: 6 columns each) + group table (Team, Spanish: 6 columns each)."""
    b = board()
    requests = b.requests()
    assert len(requests) == 2 + 2 * 6 + 2 * 6
    assert [r["referenceId"] for r in requests] == list(range(1, len(requests) + 1))
    first = requests[0]
    assert first["object"] == {"objectId": "a1", "objectType": "Agent", "tenant": "Resources"}
    assert first["request"] == "OpenStatisticEx"
    assert first["notification"] == {"mode": "Changes"}


def ref_of(b: Board, obj: str, key: str | None = None) -> int:
    for ref, target in b.refs.items():
        if key is None and getattr(target, "id", None) == obj:
            return ref
        if (
            key is not None
            and getattr(target, "row", {}).get("id") == obj
            and target.column["key"] == key
        ):  # type: ignore[union-attr]
            return ref
    raise KeyError((obj, key))


def test_one_frame_shows_statuses_times_values_and_thresholds():
    """At T0+100: a1 ready since T0+10 → 1:30, its reason-less row; a2 not ready (Lunch) since
    T0+40 → 1:00; 7 calls waiting on 8000 (alarm at 6), 66.7% service level; an error cell shows —."""
    b = board()
    b.requests()
    b.apply({"event": "ServerMode", "mode": "Primary"})
    b.apply(
        {
            "event": "Info",
            "referenceId": ref_of(b, "a1"),
            "value": {"status": "WaitForNextCall", "startTime": T0 + 10, "placeId": "P1"},
            "time": T0 + 20,
        }
    )
    b.apply(
        {
            "event": "Info",
            "referenceId": ref_of(b, "a2"),
            "value": {
                "status": "NotReadyForNextCall",
                "startTime": T0 + 40,
                "reasons": {"ReasonCode": "Lunch"},
            },
            "time": T0 + 40,
        }
    )
    b.apply(
        {
            "event": "Info",
            "referenceId": ref_of(b, "8000@SW1", "waiting"),
            "value": 7,
            "time": T0 + 40,
        }
    )
    b.apply(
        {
            "event": "Info",
            "referenceId": ref_of(b, "8000@SW1", "serviceLevel"),
            "value": 200 / 3,
            "time": T0 + 40,
        }
    )
    b.apply(
        {
            "event": "Error",
            "referenceId": ref_of(b, "Queues", "asa"),
            "code": "internal-error",
            "message": "boom",
        }
    )
    frame = text_of(b.render(T0 + 100))
    lines = frame.splitlines()
    a1 = next(line for line in lines if line.startswith("│ ann "))
    assert "Ready" in a1
    assert "1:30" in a1  # 100 - 10 s
    assert "P1" in a1
    a2 = next(line for line in lines if line.startswith("│ bob "))
    assert "Not ready" in a2
    assert "1:00" in a2  # 100 - 40 s
    assert "Lunch" in a2
    q = next(line for line in lines if "8000@SW1" in line)
    assert " 7 " in q
    assert "66.7%" in q
    assert "—" in next(line for line in lines if line.startswith("│ Queues "))
    assert "1 ready · 1 not ready" in frame
    assert "Primary" in frame
    waiting = b.cells[("queues", "8000@SW1", "waiting")]
    assert b._cell(waiting).style == LEVEL_STYLES["alarm"]


def test_time_in_status_crosses_its_threshold():
    """Not ready for 900 s reaches the built-in alarm (NotReadyForNextCall: warning 300, alarm 900)."""
    b = board()
    b.requests()
    b.apply(
        {
            "event": "Info",
            "referenceId": ref_of(b, "a1"),
            "value": {"status": "NotReadyForNextCall", "startTime": T0},
            "time": T0,
        }
    )
    console = Console(record=True, width=160, file=io.StringIO(), color_system="truecolor")
    console.print(b.render(T0 + 900))
    html = console.export_html(inline_styles=True)
    assert "15:00" in html
    assert "background-color: #800000" in html or "background-color: #ff0000" in html


def test_max_agents_limits_the_rows():
    """--max-agents 1 shows ann only and says how many are hidden."""
    b = board()
    frame = text_of(b.render(T0, max_agents=1))
    assert "ann" in frame
    assert "bob" not in frame
    assert "1 more agents" in frame


@pytest.mark.asyncio
async def test_watch_follows_a_running_server():
    """Against a real server: the board receives pushed values as events arrive (no polling)."""
    s = Served(extra="")
    async with running(s.config) as (server, url):
        ws_url = url.replace("http://", "ws://") + "/ws"
        out = io.StringIO()
        console = Console(record=True, width=160, file=out, color_system=None)
        task = asyncio.create_task(watch(ws_url, console=console, refresh=0.2, frames=15))
        await asyncio.sleep(0.5)
        now = time.time()
        for event, attrs in (
            ("EventAgentLogin", {"thisDN": "7001", "agentID": "5001"}),
            ("EventAgentReady", {"thisDN": "7001", "agentID": "5001"}),
            ("EventQueued", {"thisDN": "8000", "connID": "c1", "callType": "Inbound"}),
        ):
            record = decode_event_obj({"event": event, "time": now, "source": "TS1", **attrs})
            server.process([SourceEvent("TS1", record, b"", now)])
        b = await asyncio.wait_for(task, 10)
    assert b.cells[("queues", "8000@SW1", "waiting")].value == 1
    assert b.agents[0].status == "WaitForNextCall"
    frame = console.export_text()
    assert "Ready" in frame


def test_the_command_reports_an_unreachable_server():
    """statserver watch exits with a clear message when nothing listens."""
    result = CliRunner().invoke(main, ["watch", "--url", "ws://127.0.0.1:9/ws"])
    assert result.exit_code == 1
    assert "cannot watch ws://127.0.0.1:9/ws" in result.output
