"""Monitoring (issue 3, point 7): /metrics values move with what the server does, and the
server logs a line for link up and down, a client cut off, a backup and a reload.

Metric names are listed in docs/operations.md (Monitoring)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeTServer, WsClient, get_text, metric, service_config, wait_until
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from statserver.config import load_config, load_config_text
from statserver.service.runner import running

pytestmark = pytest.mark.asyncio


def tserver_config(port: int, **options: Any) -> Any:
    source = {
        "name": "TS1",
        "kind": "tserver",
        "tenants": ["Resources"],
        "host": "127.0.0.1",
        "port": port,
    }
    return load_config_text(
        service_config([source], {"auto-backup-interval": 0, **options}), source="<metrics>"
    )


async def scrape(url: str) -> str:
    return await get_text(url, "/metrics")


async def settled(url: str, name: str, want: float, **labels: str) -> str:
    """The exposition once ``name{labels}`` equals ``want`` (gauges are refreshed every
    second by the ticker)."""
    found: dict[str, str] = {}

    async def check() -> bool:
        found["text"] = await scrape(url)
        return metric(found["text"], name, **labels) == want

    await wait_until(check, 5, f"{name}{labels} == {want}")
    return found["text"]


async def test_source_metrics_follow_the_link(caplog: pytest.LogCaptureFixture) -> None:
    """statserver_link_up goes 1 → 0 → 1 with the link (and a log line each way);
    statserver_events_received_total counts every record (six EventRegistered, the link's
    own EventLinkConnected/Disconnected, the events); statserver_link_lag_seconds is the
    receipt time minus the event's own time; the journal counts every input."""
    caplog.set_level(logging.INFO, logger="statserver")
    async with FakeTServer("TS1") as ts, running(tserver_config(ts.port)) as (server, url):
        for source in server.sources.values():
            source.backoff = (0.1, 0.4)  # type: ignore[attr-defined]
        await wait_until(lambda: ts.registered("7003"), 10, "registration")
        text = await settled(url, "statserver_link_up", 1, source="TS1")
        # EventLinkConnected + 6 x EventRegistered
        assert metric(text, "statserver_events_received_total", source="TS1") == 1 + 6
        await ts.send("EventAgentLogin", at=time.time() - 30, thisDN="7001", agentID="5001")
        text = await settled(url, "statserver_events_received_total", 1 + 6 + 1, source="TS1")
        lag = metric(text, "statserver_link_lag_seconds", source="TS1")
        assert 30 <= lag < 35  # sent 30 s after its own time (and a little more)
        assert metric(text, "statserver_journal_entries_total") >= 1 + 6 + 1

        await ts.stop_listening()
        text = await settled(url, "statserver_link_up", 0, source="TS1")
        # ... + EventLinkDisconnected
        assert metric(text, "statserver_events_received_total", source="TS1") == 1 + 6 + 1 + 1
        await ts.start()
        await settled(url, "statserver_link_up", 1, source="TS1")
    messages = [r.getMessage() for r in caplog.records]
    assert sum("source TS1: connected to" in m for m in messages) == 2
    down = [r for r in caplog.records if "source TS1: link down" in r.getMessage()]
    # the loss (a warning), then the server's own stop at the end (information)
    assert [(r.levelno, r.getMessage()) for r in down] == [
        (logging.WARNING, "source TS1: link down (closed by the peer)"),
        (logging.INFO, "source TS1: link down (stopped)"),
    ]


async def test_client_metrics_and_the_slow_client_policy(caplog: pytest.LogCaptureFixture) -> None:
    """statserver_clients, statserver_subscriptions, statserver_open_statistics and
    statserver_pushes_total follow the clients; a client whose queue overflows
    (``max-output-queue-size``) is cut off with code 1008, counted in
    statserver_client_disconnects_total{reason="slow-client"} and logged; the others go on."""
    caplog.set_level(logging.INFO, logger="statserver")
    async with (
        FakeTServer("TS1") as ts,
        running(tserver_config(ts.port, **{"max-output-queue-size": 20})) as (_server, url),
    ):
        await wait_until(lambda: ts.registered("7001"), 10, "registration")
        text = await settled(url, "statserver_clients", 0)
        assert metric(text, "statserver_open_statistics") == 0
        async with WsClient(url, "calm") as calm:
            ready = await calm.open("Agent", "a1", "ReadyNow")
            await calm.open("Queue", "8000@SW1", "CallsWaiting")
            # the ticker refreshes the gauges together: wait for the one the second open
            # changes (a tick between the two opens, on a busy machine, shows 1 client and
            # 1 subscription)
            text = await settled(url, "statserver_subscriptions", 2)
            assert metric(text, "statserver_clients") == 1
            assert metric(text, "statserver_open_statistics") == 2
            pushes = metric(text, "statserver_pushes_total")
            await ts.send("EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")
            await calm.wait_value(ready, lambda v: v == 1)
            text = await scrape(url)
            assert metric(text, "statserver_pushes_total") >= pushes + 1
            assert metric(text, "statserver_output_queue_max_depth") >= 0
            assert metric(text, "statserver_input_queue_depth") == 0  # the engine keeps up

            # a greedy client: 30 subscriptions of one statistic, so one event gives it 30
            # values at once, more than its queue of 20 holds
            async with connect(url.replace("http", "ws") + "/ws?client=greedy") as greedy:
                for ref in range(30):
                    request = {
                        "request": "OpenStatistic",
                        "referenceId": ref,
                        "object": {"objectId": "a1", "objectType": "Agent", "tenant": "Resources"},
                        "metric": {"statisticType": "ReadyNow"},
                    }
                    await greedy.send(json.dumps(request))
                    while json.loads(await greedy.recv()).get("event") != "StatisticOpened":
                        pass
                await ts.send("EventAgentNotReady", thisDN="7001", workMode="AuxWork")
                with contextlib.suppress(ConnectionClosed):
                    async with asyncio.timeout(10):
                        while True:
                            await greedy.recv()
                assert greedy.close_code == 1008
            await calm.wait_value(ready, lambda v: v == 0)  # the calm client is not affected
            text = await settled(
                url, "statserver_client_disconnects_total", 1, reason="slow-client"
            )
        await settled(url, "statserver_clients", 0)
    cut = [r for r in caplog.records if "client greedy cut off" in r.getMessage()]
    assert len(cut) == 1
    assert cut[0].levelno == logging.WARNING
    assert "output queue full (20 messages)" in cut[0].getMessage()


def local(server: Any, name: str, **labels: str) -> float:
    return metric(server.metrics.render().decode(), name, **labels)


async def test_backup_and_reload_metrics_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """statserver_backups_total{outcome="ok"} counts the snapshots (every 0.2 s here, from a
    forked child into SQLite) and each is logged; a configuration reload is logged."""
    caplog.set_level(logging.INFO, logger="statserver")
    source = {
        "name": "TS1",
        "kind": "tserver",
        "tenants": ["Resources"],
        "transport": "file",
        "file": str(tmp_path / "none.jsonl"),
        "follow": True,
    }
    path = tmp_path / "center.yaml"
    text = service_config(
        [source], {"auto-backup-interval": 0.2, "config-reload-poll-interval": 0.1}
    )
    path.write_text(text)
    async with running(load_config(path), config_path=path, storage=str(tmp_path / "b.sqlite")) as (
        server,
        url,
    ):
        await wait_until(
            lambda: local(server, "statserver_backups_total", outcome="ok") >= 2, 10, "two backups"
        )
        exposition = await scrape(url)
        assert metric(exposition, "statserver_backups_total", outcome="ok") >= 2
        assert metric(exposition, "statserver_backups_total", outcome="failed") == 0
        path.write_text(text.replace("Spanish: 7", "Spanish: 9"))
        await wait_until(
            lambda: any("configuration reloaded" in r.getMessage() for r in caplog.records),
            10,
            "the reload log",
        )
    backups = [
        r for r in caplog.records if r.getMessage().startswith("backup: snapshot at journal seq")
    ]
    assert len(backups) >= 2
    assert all(r.levelno == logging.INFO for r in backups)
    assert f"sqlite:{tmp_path / 'b.sqlite'}" in backups[0].getMessage()


async def test_every_documented_metric_is_exposed() -> None:
    """The names docs/operations.md lists are the names /metrics has."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    async with FakeTServer("TS1") as ts, running(tserver_config(ts.port)) as (_server, url):
        await wait_until(lambda: ts.registered("7001"), 10, "registration")
        await ts.send("EventAgentLogin", thisDN="7001", agentID="5001")
        text = await settled(url, "statserver_link_up", 1, source="TS1")
    exposed = {
        re.split(r"[{ ]", line)[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    exposed = {n for n in exposed if not n.endswith("_created")}  # the client library's own
    # a histogram is exposed as <name>_bucket, <name>_count and <name>_sum
    exposed = {re.sub(r"_seconds_(bucket|count|sum)$", "_seconds", n) for n in exposed}
    section = doc.split("### `/metrics`")[1].split("### ")[0]
    documented = set(re.findall(r"^\| `(statserver_[a-z_]+)", section, re.MULTILINE))
    assert len(documented) == 15
    counters_not_yet_seen = {
        "statserver_events_rejected_total",
        "statserver_client_disconnects_total",
        "statserver_backups_total",
    }
    assert exposed <= documented
    assert documented - exposed <= counters_not_yet_seen


async def test_an_event_loop_stall_is_measured() -> None:
    """A callback that holds the event loop for 0.3 s shows in the loop-lag histogram (a
    sample of at least 0.25 s) and in ``loop_lag_max``."""
    async with FakeTServer("TS1") as ts, running(tserver_config(ts.port)) as (server, url):
        await asyncio.sleep(0.2)  # the watch has taken a few samples
        asyncio.get_running_loop().call_soon(time.sleep, 0.3)
        await asyncio.sleep(0.2)
        assert server.loop_lag_max >= 0.25
        text = await get_text(url, "/metrics")
        count = metric(text, "statserver_event_loop_lag_seconds_count")
        below = metric(text, "statserver_event_loop_lag_seconds_bucket", le="0.25")
        assert count >= 3
        assert 2 <= below < count  # the short lags, and not the stall
