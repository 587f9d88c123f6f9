"""The wallboard in a real browser: Debian's chromium driven by Playwright.

A server runs in the test's event loop with a T-Server that is a JSON Lines file in follow
mode; the test appends events stamped *now* and watches the page change: statuses, reason
codes, counts, a threshold colouring its cell, times in status counting up, all pushed over
the WebSocket (the page makes no HTTP request after loading).  A screenshot is saved in the
test's folder; the one of `statserver demo` also in docs/img/wallboard.png when
STATSERVER_DOCS_SCREENSHOT=1.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from helpers import service_missing
from statserver.config import load_config
from statserver.service.runner import running
from web.center import Center

pytestmark = [pytest.mark.browser, pytest.mark.asyncio]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "wallboard.png"
WALLBOARD = """
wallboard:
  title: Test floor
  statistics:
    waiting: {warning: 1, alarm: 2}
"""


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        service_missing(
            "/usr/bin/chromium is absent: install Debian's chromium (apt-get install -y chromium; .ci/run does)"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            await b.close()


async def open_board(
    browser: Any, url: str, errors: list[str], *, width: int = 1280, height: int = 900
) -> Any:
    page = await browser.new_page(viewport={"width": width, "height": height})
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    await page.goto(url + "/")
    await page.wait_for_function(
        "document.body.dataset.connected === 'yes' && window.wallboard.infos > 0", timeout=15000
    )
    return page


def agent_cell(agent: str, cls: str) -> str:
    return f'tr[data-agent="{agent}"] td.{cls}'


def stat_cell(obj: str, key: str) -> str:
    return f'td[data-object="{obj}"][data-key="{key}"]'


async def wait_text(page: Any, selector: str, text: str, timeout: float = 10000) -> None:
    await page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return e && e.textContent === t; }",
        arg=[selector, text],
        timeout=timeout,
    )


def seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    total = 0
    for p in parts:
        total = total * 60 + p
    return total


async def test_the_wallboard_follows_the_events(browser: Any, tmp_path: Path):
    """Values change as events arrive; a threshold colours its cell; times count up."""
    center = Center(tmp_path, wallboard=WALLBOARD)
    start = time.time()
    for i in range(1, 9):
        center.login(f"a{i}", at=start - 300 + i)
    for i in (3, 4):
        center.ready(f"a{i}", at=start - 200 + i)
    errors: list[str] = []
    async with running(load_config(center.config), config_path=center.config) as (_, url):
        page = await open_board(browser, url, errors)
        assert await page.title() == "Test floor"
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        await wait_text(page, agent_cell("a3", "status"), "Ready")
        await wait_text(page, stat_cell("8000@SW1", "waiting"), "0")
        await wait_text(page, stat_cell("Sales", "ready"), "2")  # a3, a4 (Sales is a1-a6)

        # an agent becomes ready: its row and its group's count change
        center.ready("a1")
        await wait_text(page, agent_cell("a1", "status"), "Ready")
        assert "ready" in (await page.get_attribute(agent_cell("a1", "status"), "class")).split()
        await wait_text(page, stat_cell("Sales", "ready"), "3")

        # not ready with a reason code
        center.not_ready("a2", "Break")
        await wait_text(page, agent_cell("a2", "reason"), "Break")
        await wait_text(page, agent_cell("a2", "status"), "Not ready")

        # calls queue up: 1 crosses the warning, 2 the alarm (thresholds of the configuration)
        center.queue("8000", "c1")
        await wait_text(page, stat_cell("8000@SW1", "waiting"), "1")
        assert await page.get_attribute(stat_cell("8000@SW1", "waiting"), "class") == "num warn"
        center.queue("8000", "c2")
        await wait_text(page, stat_cell("8000@SW1", "waiting"), "2")
        assert await page.get_attribute(stat_cell("8000@SW1", "waiting"), "class") == "num alarm"
        await wait_text(page, stat_cell("AllQueues", "waiting"), "2")

        # a call is answered by a1: the agent is busy, the queue empties, the trend has drawn
        center.answer("8000", "c1", "a1")
        await wait_text(page, agent_cell("a1", "status"), "Inbound call")
        await wait_text(page, stat_cell("8000@SW1", "waiting"), "1")
        trend = await page.get_attribute('tr[data-object="8000@SW1"] td.trend path.line', "d")
        assert trend.startswith("M")
        assert "V" in trend  # the step up to 1, 2 and down again

        # time in status is computed in the page from startTime: a3 has been ready ~200 s
        first = seconds(await page.text_content(agent_cell("a3", "time")))
        assert 190 <= first <= 300
        await asyncio.sleep(2.2)
        assert seconds(await page.text_content(agent_cell("a3", "time"))) >= first + 2

        await page.screenshot(path=str(tmp_path / "wallboard.png"), full_page=True)
        assert (tmp_path / "wallboard.png").stat().st_size > 10_000
        assert requests == []  # everything after loading came over the WebSocket
    assert errors == []


async def test_the_page_reconnects_after_the_server_restarts(browser: Any, tmp_path: Path):
    """When the WebSocket drops the page says so, then reconnects and reopens its statistics."""
    center = Center(tmp_path, agents=2)
    center.login("a1")
    errors: list[str] = []
    config = load_config(center.config)
    async with running(config, port=0) as (_, url):
        port = int(url.rsplit(":", 1)[1])
        page = await open_board(browser, url, errors)
    await page.wait_for_function("document.body.dataset.connected === 'no'", timeout=10000)
    assert "reconnecting" in await page.text_content("#conn")
    center.ready("a1")
    async with running(config, port=port):
        await page.wait_for_function("document.body.dataset.connected === 'yes'", timeout=20000)
        await wait_text(page, agent_cell("a1", "status"), "Ready")
    assert [e for e in errors if "WebSocket" not in e] == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_wallboard_shows_the_demo(browser: Any, tmp_path: Path):
    """Against `statserver demo` (simulated center, sample configuration): the page fills,
    the values move as the simulation goes on, and the screenshot shows a live floor."""
    if importlib.util.find_spec("statserver.demo") is None:
        pytest.skip("statserver demo is not available in this version")
    port = free_port()
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "statserver.cli",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
            "--speed",
            "4",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    errors: list[str] = []
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "/api/v1/health", timeout=1):
                    break
            except OSError:
                assert demo.poll() is None, (tmp_path / "demo.log").read_text()
                await asyncio.sleep(0.1)
        page = await open_board(browser, url, errors, width=1400, height=1100)
        await page.wait_for_function("window.wallboard.agents.every(a => a.state)", timeout=15000)
        statuses = await page.eval_on_selector_all(
            "#agents td.status", "els => els.map(e => e.textContent)"
        )
        infos = await page.evaluate("window.wallboard.infos")
        await page.wait_for_function(f"window.wallboard.infos > {infos + 20}", timeout=20000)
        await page.wait_for_function(
            "(before) => [...document.querySelectorAll('#agents td.status')].some((e, i) => e.textContent !== before[i])",
            arg=statuses,
            timeout=20000,
        )
        docs = os.environ.get("STATSERVER_DOCS_SCREENSHOT") == "1"
        if docs:
            await asyncio.sleep(5)  # a little history for the trend charts
        await page.screenshot(path=str(tmp_path / "demo.png"))
        if docs:
            DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(tmp_path / "demo.png", DOCS_IMAGE)
        errors_cells = await page.eval_on_selector_all("td.error", "els => els.map(e => e.title)")
        assert errors_cells == []  # every statistic of the plan opened on the demo's configuration
    finally:
        demo.terminate()
        try:
            demo.wait(10)
        except subprocess.TimeoutExpired:
            demo.kill()
        log.close()
    assert errors == []


FRAME_GAPS = """() => { const w = window.wallboard; w.gaps = []; w.stop = false; let last = performance.now();
    const f = (t) => { w.gaps.push(t - last); last = t; if (!w.stop) requestAnimationFrame(f); };
    requestAnimationFrame(f); }"""
STOP = "() => { window.wallboard.stop = true; return window.wallboard.gaps; }"


@pytest.mark.slow
async def test_a_thousand_agents_stay_smooth(browser: Any, tmp_path: Path):
    """1,000 agents: the board fills; 100 status changes a second are drawn without a long
    frame; a burst of 1,000 changes at once is spread over frames (the page batches DOM
    writes per animation frame and redraws times only for the rows on screen)."""
    n = 1000
    center = Center(tmp_path, agents=n)
    now = time.time()
    for i in range(1, n + 1):
        center.login(f"a{i}", at=now - 100)
    errors: list[str] = []
    async with running(load_config(center.config), config_path=center.config) as (_, url):
        page = await open_board(browser, url, errors, height=1000)
        await page.wait_for_function(
            "window.wallboard.agents.every(a => a.state)", timeout=60000, polling=200
        )

        await page.evaluate(FRAME_GAPS)
        for step in range(40):  # 2 s of 100 changes a second, all over the list
            for j in range(5):
                agent = f"a{(step * 97 + j * 211) % n + 1}"
                if (step + j) % 2:
                    center.ready(agent)
                else:
                    center.not_ready(agent, "Break")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        steady = await page.evaluate(STOP)

        await page.evaluate(FRAME_GAPS)
        burst = time.time()
        for i in range(1, n + 1):
            center.ready(f"a{i}", at=burst)
        await page.wait_for_function(
            "window.wallboard.agents.every(a => a.state === 'WaitForNextCall')",
            timeout=60000,
            polling=200,
        )
        shown = time.time() - burst
        gaps = await page.evaluate(STOP)
    print(
        f"\n1000 agents: steady longest frame {max(steady):.0f} ms; burst shown in {shown:.2f} s, longest frame {max(gaps):.0f} ms"
    )
    assert max(steady) < 250, sorted(steady)[-5:]
    assert shown < 15
    assert max(gaps) < 500, sorted(gaps)[-5:]
    assert errors == []
