"""``statserver watch``: the wallboard in a terminal (docs/wallboard.md).

It loads the same plan as the web page (``GET /api/v1/wallboard`` on the server behind the
WebSocket URL), opens every statistic over the client protocol in ``Changes`` mode and
redraws the queues, groups and agents tables with :class:`rich.live.Live` once a second.
Values are pushed by the server; agents' times in status are computed here from the
CurrentState ``startTime``.

:class:`Board` is sans-I/O (plan in, protocol events in, a rich renderable out), so a frame
can be rendered in a test without a terminal or a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from statserver.service.wallboard import status_class

__all__ = ["Board", "format_value", "level", "plan_url", "watch"]

STATUS_LABELS: Final[dict[str, str]] = {
    "WaitForNextCall": "Ready",
    "NotReadyForNextCall": "Not ready",
    "AfterCallWork": "After call work",
    "CallRinging": "Ringing",
    "CallDialing": "Dialing",
    "CallOnHold": "On hold",
    "CallInbound": "Inbound call",
    "CallOutbound": "Outbound call",
    "CallInternal": "Internal call",
    "CallConsult": "Consult call",
    "CallUnknown": "On a call",
    "LoggedIn": "Logged in",
    "OnHook": "Idle",
    "OffHook": "Off hook",
    "LoggedOut": "Logged out",
    "NotMonitored": "Not monitored",
}
STATUS_STYLES: Final[dict[str, str]] = {
    "ready": "bold green",
    "notready": "bold red",
    "acw": "bold magenta",
    "busy": "bold bright_blue",
    "hold": "bold dark_orange",
    "ringing": "bold yellow",
    "idle": "white",
    "loggedout": "grey50",
}
LEVEL_STYLES: Final[dict[str, str]] = {
    "warn": "bold black on dark_orange",
    "alarm": "bold white on red",
}
_SUMMARY: Final = (
    ("ready", "ready"),
    ("notready", "not ready"),
    ("acw", "ACW"),
    ("busy", "busy"),
    ("ringing", "ringing"),
    ("hold", "on hold"),
    ("loggedout", "logged out"),
)
_BARS: Final = "▁▂▃▄▅▆▇█"


def duration(seconds: float) -> str:
    s = max(0, math.floor(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def format_value(value: Any, unit: str) -> str:
    """A value as the wallboard shows it (the same rules as app.js)."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "…" if isinstance(value, (dict, list)) else str(value)
    if unit == "count":
        return str(round(value))
    if unit == "seconds":
        return duration(value)
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "rate":
        return f"{value:.2f}"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def level(value: Any, thresholds: dict[str, Any] | None) -> str:
    """``alarm``, ``warn`` or ``""``: which threshold ``value`` has crossed."""
    if not thresholds or isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    alarm, warning = thresholds.get("alarm"), thresholds.get("warning")
    if thresholds.get("direction") == "below":
        if alarm is not None and value <= alarm:
            return "alarm"
        if warning is not None and value <= warning:
            return "warn"
        return ""
    if alarm is not None and value >= alarm:
        return "alarm"
    if warning is not None and value >= warning:
        return "warn"
    return ""


def reason_text(reasons: Any) -> str:
    if not isinstance(reasons, dict):
        return ""
    for key in ("ReasonCode", "reasonCode", "Reason", "reason"):
        if reasons.get(key) is not None:
            return str(reasons[key])
    return ", ".join(f"{k}={v}" for k, v in reasons.items())


def plan_url(ws_url: str) -> str:
    """The plan's URL on the server behind a WebSocket URL (ws://h:p/ws → http://h:p/...)."""
    parts = urlsplit(ws_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "/api/v1/wallboard", "", ""))


@dataclass
class _Agent:
    tenant: str
    id: str
    name: str
    status: str = ""
    start: float = 0.0
    place: str = ""
    reason: str = ""
    error: str = ""


@dataclass
class _Cell:
    table: str
    row: dict[str, Any]
    column: dict[str, Any]
    value: Any = None
    received: bool = False
    error: str = ""
    stale: bool = False
    history: deque[float] = field(default_factory=lambda: deque(maxlen=20))


class Board:
    """The wallboard's state: built from the plan, fed with protocol events."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.offset = float(plan.get("serverTime", time.time())) - time.time()
        self.agents = [_Agent(a["tenant"], a["id"], a["name"]) for a in plan["agents"]]
        self.cells: dict[tuple[str, str, str], _Cell] = {}
        self.trend_key: str | None = (plan.get("trend") or {}).get("key")
        self.trend_column: dict[str, Any] | None = (plan.get("trend") or {}).get("column")
        for table in ("queues", "groups"):
            for row in plan[table]["rows"]:
                for column in plan[table]["columns"]:
                    if row["objectType"] in column["requests"]:
                        self.cells[(table, row["id"], column["key"])] = _Cell(table, row, column)
                if table == "queues" and self.trend_column is not None:
                    key = (table, row["id"], self.trend_column["key"])
                    if key not in self.cells and row["objectType"] in self.trend_column["requests"]:
                        self.cells[key] = _Cell(table, row, self.trend_column)
        self.refs: dict[int, _Agent | _Cell] = {}
        self.mode = ""
        self.connected = False

    # -- requests and events ------------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        """The OpenStatistic(Ex) requests that fill the board (new referenceIds each time)."""
        self.refs.clear()
        out: list[dict[str, Any]] = []
        state = self.plan["agentState"]
        for agent in self.agents:
            out.append(self._open(agent, agent.tenant, agent.id, "Agent", state))
        for cell in self.cells.values():
            row = cell.row
            req = cell.column["requests"][row["objectType"]]
            out.append(self._open(cell, row["tenant"], row["id"], row["objectType"], req))
        return out

    def _open(
        self, target: _Agent | _Cell, tenant: str, oid: str, otype: str, req: dict[str, Any]
    ) -> dict[str, Any]:
        ref = len(self.refs) + 1
        self.refs[ref] = target
        return {
            "request": req["request"],
            "referenceId": ref,
            "object": {"objectId": oid, "objectType": otype, "tenant": tenant},
            "metric": req["metric"],
            "notification": {"mode": "Changes"},
        }

    def apply(self, event: dict[str, Any]) -> None:
        """Take one protocol event."""
        name = event.get("event")
        if isinstance(event.get("time"), (int, float)):
            off = event["time"] - time.time()
            if off > self.offset or off < self.offset - 2:
                self.offset = off
        if name == "ServerMode":
            self.mode = str(event.get("mode", ""))
            return
        target = self.refs.get(event.get("referenceId"))  # type: ignore[arg-type]
        if target is None:
            return
        if name == "Info":
            value = event.get("value")
            if isinstance(target, _Agent):
                if isinstance(value, dict):
                    target.status = str(value.get("status", ""))
                    target.start = float(value.get("startTime") or 0)
                    target.place = str(value.get("placeId") or "")
                    target.reason = reason_text(value.get("reasons"))
                    target.error = ""
            else:
                target.value = value
                target.received = True
                target.error = ""
                target.stale = False
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    target.history.append(float(value))
        elif name == "Error":
            target.error = f"{event.get('code')}: {event.get('message')}"
        elif name in ("StatisticInvalid", "StatisticValid") and isinstance(target, _Cell):
            target.stale = name == "StatisticInvalid"

    # -- rendering ----------------------------------------------------------------------------
    def server_now(self) -> float:
        return time.time() + self.offset

    def render(self, now: float | None = None, *, max_agents: int | None = None) -> RenderableType:
        """One frame: title, queues, groups and agents tables."""
        now = self.server_now() if now is None else now
        title = Text(self.plan.get("title") or "Stat Server wallboard", style="bold")
        if self.mode:
            title.append(f"  {self.mode}", style="dim")
        title.append(
            "  live" if self.connected else "  not connected",
            style="green" if self.connected else "red",
        )
        parts: list[RenderableType] = [title]
        for table, label in (("queues", "Queues"), ("groups", "Agent groups")):
            if self.plan[table]["rows"]:
                parts.append(self._table(table, label))
        if self.agents:
            parts.append(self._agents(now, max_agents))
        return Group(*parts)

    def _table(self, table: str, label: str) -> Table:
        plan = self.plan[table]
        t = Table(title=label, title_justify="left", expand=False, header_style="bold dim")
        t.add_column("Name", style="bold")
        multi = len(self.plan["tenants"]) > 1
        if multi:
            t.add_column("Tenant")
        for column in plan["columns"]:
            t.add_column(column["label"], justify="right")
        trend = table == "queues" and self.trend_column is not None
        if trend:
            assert self.trend_column is not None
            t.add_column(self.trend_column["label"] + " trend")
        for row in plan["rows"]:
            cells: list[RenderableType] = [row["name"]]
            if multi:
                cells.append(row["tenant"])
            for column in plan["columns"]:
                cell = self.cells.get((table, row["id"], column["key"]))
                cells.append(self._cell(cell))
            if trend:
                assert self.trend_column is not None
                cell = self.cells.get((table, row["id"], self.trend_column["key"]))
                cells.append(Text(sparkline(cell.history if cell else ()), style="bright_blue"))
            t.add_row(*cells)
        return t

    @staticmethod
    def _cell(cell: _Cell | None) -> Text:
        if cell is None:
            return Text("")
        if cell.error:
            return Text("—", style="red")
        if not cell.received:
            return Text("…", style="dim")
        text = format_value(cell.value, cell.column["unit"])
        style = LEVEL_STYLES.get(level(cell.value, cell.column.get("thresholds")), "")
        if cell.stale:
            style = "dim italic"
        return Text(f" {text} " if style else text, style=style)

    def _agents(self, now: float, max_agents: int | None) -> Table:
        counts: dict[str, int] = {}
        for agent in self.agents:
            if agent.status:
                cls = status_class(agent.status)
                counts[cls] = counts.get(cls, 0) + 1
        summary = " · ".join(f"{counts[k]} {label}" for k, label in _SUMMARY if counts.get(k))
        t = Table(
            title=f"Agents  {summary}".rstrip(),
            title_justify="left",
            header_style="bold dim",
            min_width=min(100, len(summary) + 10),
        )
        for name, justify in (
            ("Agent", "left"),
            ("Place", "left"),
            ("Status", "left"),
            ("Time", "right"),
            ("Reason", "left"),
        ):
            t.add_column(name, justify=justify)  # type: ignore[arg-type]
        shown = self.agents if max_agents is None else self.agents[:max_agents]
        limits = self.plan.get("statusTime", {})
        for agent in shown:
            if agent.error:
                t.add_row(agent.name, "", Text("—", style="red"), "", agent.error)
                continue
            if not agent.status:
                t.add_row(agent.name, "", Text("…", style="dim"), "", "")
                continue
            cls = status_class(agent.status)
            status = Text(STATUS_LABELS.get(agent.status, agent.status), style=STATUS_STYLES[cls])
            elapsed = ""
            style = ""
            if cls != "loggedout" and agent.start:
                secs = max(0.0, now - agent.start)
                elapsed = duration(secs)
                lim = limits.get(agent.status)
                if lim:
                    style = LEVEL_STYLES.get(level(secs, {**lim, "direction": "above"}), "")
            t.add_row(agent.name, agent.place, status, Text(elapsed, style=style), agent.reason)
        hidden = len(self.agents) - len(shown)
        if hidden > 0:
            t.caption = f"… and {hidden} more agents (--max-agents)"
        return t


def sparkline(values: Any) -> str:
    vals = list(values)
    if not vals:
        return ""
    top = max(max(vals), 1.0)
    return "".join(_BARS[min(len(_BARS) - 1, int(v / top * (len(_BARS) - 1)))] for v in vals)


# ------------------------------------------------------------------------------ I/O
def fetch_plan(ws_url: str, timeout: float = 10.0) -> dict[str, Any]:
    with urllib.request.urlopen(plan_url(ws_url), timeout=timeout) as resp:
        plan: dict[str, Any] = json.loads(resp.read())
    return plan


async def watch(
    url: str,
    *,
    console: Console | None = None,
    refresh: float = 1.0,
    max_agents: int | None = None,
    frames: int | None = None,
    screen: bool = False,
) -> Board:
    """Show the live board until interrupted (or for ``frames`` redraws); returns the board.

    Reconnects (with the same plan) when the connection drops.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidURI

    plan = await asyncio.to_thread(fetch_plan, url)
    board = Board(plan)
    console = console or Console()
    ws_url = url + ("&" if "?" in url else "?") + "client=watch"
    drawn = 0
    with Live(
        board.render(max_agents=max_agents),
        console=console,
        auto_refresh=False,
        screen=screen,
        transient=False,
    ) as live:
        backoff = 1.0
        while frames is None or drawn < frames:
            try:
                async with connect(ws_url, max_size=None) as ws:
                    board.connected = True
                    backoff = 1.0
                    for req in board.requests():
                        await ws.send(json.dumps(req))

                    async def reader(ws: Any = ws) -> None:
                        async for message in ws:
                            with contextlib.suppress(ValueError):
                                board.apply(json.loads(message))

                    task = asyncio.create_task(reader())
                    try:
                        while frames is None or drawn < frames:
                            await asyncio.sleep(refresh)
                            if task.done():
                                break
                            live.update(board.render(max_agents=max_agents), refresh=True)
                            drawn += 1
                    finally:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                            await task
            except InvalidURI as exc:
                raise ValueError(str(exc)) from None
            except (OSError, ConnectionClosed):
                pass
            board.connected = False
            if frames is not None and drawn >= frames:
                break
            live.update(board.render(max_agents=max_agents), refresh=True)
            drawn += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)
    return board
