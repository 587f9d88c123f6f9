"""`statserver demo` as users run it: one command, no other service; it serves
/api/v1/health within a few seconds with events flowing from the simulated links, and
stops on Ctrl-C (SIGINT)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from sim_support import ROOT


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return json.loads(resp.read())


def test_demo_starts_serves_health_and_stops_on_sigint(tmp_path: Path) -> None:
    """The demo prints its endpoints, /api/v1/health answers with every link connected and
    events applied (none rejected) within a few seconds, and SIGINT stops it cleanly."""
    data = tmp_path / "var"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "statserver.cli",
            "demo",
            "--port",
            "0",
            "--speed",
            "60",
            "--data-dir",
            str(data),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    began = time.monotonic()
    output: list[str] = []
    try:
        assert proc.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(x) for x in proc.stdout or ()], daemon=True
        ).start()
        while time.monotonic() - began < 20 and not any("Ctrl-C" in x for x in output):
            with contextlib.suppress(queue.Empty):
                output.append(lines.get(timeout=0.5))
            assert proc.poll() is None, "".join(output)
        text = "".join(output)
        m = re.search(r"(http://127\.0\.0\.1:\d+/api/v1/health)", text)
        assert m is not None, text
        health = m.group(1)
        for part in ("ws://127.0.0.1:", "/ws", "/metrics", "wallboard", "Ctrl-C"):
            assert part in text, text
        report: dict[str, Any] = {}
        while time.monotonic() - began < 20:
            report = _get(health)
            if report["events"]["applied"] > 50 and all(
                s["connected"] for s in report["sources"].values()
            ):
                break
            time.sleep(0.2)
        assert report["status"] == "ok"
        assert set(report["sources"]) == {"TS1", "TS2", "IXN1", "IXN2", "IXN3", "IXN4"}
        assert all(s["connected"] for s in report["sources"].values()), report
        assert report["events"]["applied"] > 50
        assert report["events"]["rejected"] == {}
        assert set(report["tenants"]) == {"Acme", "Globex"}
        assert time.monotonic() - began < 15
        assert (data / "config.yaml").is_file()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        assert proc.returncode in (0, -signal.SIGINT, 130), "".join(output)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
