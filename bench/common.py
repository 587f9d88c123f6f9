"""What the benchmarks share: the full size, ``--scale``/``--smoke``, the machine, the center.

Every benchmark runs at the *full size* of issue 6 by default -- a center of 10,000 agents,
500 agent groups and 200 queues with 1,000,000 open statistics (the mix of
``bench/mix.py``) -- or at ``--scale F`` of it (agents, groups, queues and statistics
multiplied by F), or at the tiny ``--smoke`` size that CI runs (tests/test_bench_smoke.py).
Explicit size options (``--agents`` ...) override the preset.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import Center, CenterSpec, build_center, load_center
from statserver.core.portable import ENGINE_BUILD

__all__ = [
    "FULL",
    "SMOKE",
    "Size",
    "add_size_arguments",
    "machine",
    "machine_line",
    "parse_with_size",
    "rss_mb",
    "size_from_args",
    "write_json",
]

DEFAULT_CACHE = Path("/tmp/statserver-bench")


@dataclass(frozen=True)
class Size:
    agents: int
    groups: int
    queues: int
    statistics: int
    events: int

    def scaled(self, f: float) -> Size:
        return Size(
            agents=max(4, round(self.agents * f)),
            groups=max(4, round(self.groups * f)),
            queues=max(2, round(self.queues * f)),
            statistics=max(100, round(self.statistics * f)),
            events=max(2000, round(self.events * min(1.0, 10 * f))),
        )

    def spec(self, events: int | None = None, **kwargs: Any) -> CenterSpec:
        """The generator spec: these working objects and no idle ones."""
        return CenterSpec(
            agents=self.agents,
            groups=self.groups,
            queues=self.queues,
            idle_agents=0,
            idle_groups=0,
            idle_queues=0,
            events=self.events if events is None else events,
            **kwargs,
        )

    def describe(self) -> str:
        return (
            f"{self.agents:,} agents, {self.groups:,} agent groups, {self.queues:,} queues, "
            f"{self.statistics:,} statistics"
        )


#: issue 6: 10,000 agents, 500 agent groups, 200 queues, 1,000,000 open statistics
FULL = Size(agents=10_000, groups=500, queues=200, statistics=1_000_000, events=100_000)
#: what CI runs: every benchmark in well under a minute in all
SMOKE = Size(agents=20, groups=6, queues=4, statistics=2_000, events=1_000)


def add_size_arguments(p: argparse.ArgumentParser, *, events: bool = True) -> None:
    g = p.add_argument_group("size (default: the full size of issue 6)")
    g.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the full size (default 1.0)"
    )
    g.add_argument("--smoke", action="store_true", help="the tiny size CI runs")
    g.add_argument("--agents", type=int, help=f"working agents ({FULL.agents:,})")
    g.add_argument("--groups", type=int, help=f"agent groups ({FULL.groups:,})")
    g.add_argument("--queues", type=int, help=f"ACD queues ({FULL.queues:,})")
    g.add_argument("--statistics", type=int, help=f"open statistics ({FULL.statistics:,})")
    if events:
        g.add_argument("--events", type=int, help=f"events ({FULL.events:,})")


def size_from_args(args: argparse.Namespace) -> Size:
    base = SMOKE if args.smoke else FULL.scaled(args.scale)
    return Size(
        agents=args.agents or base.agents,
        groups=args.groups or base.groups,
        queues=args.queues or base.queues,
        statistics=args.statistics if args.statistics is not None else base.statistics,
        events=getattr(args, "events", None) or base.events,
    )


def parse_with_size(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    args = p.parse_args(argv)
    args.size = size_from_args(args)
    return args


def build(size: Size, events: int | None = None, **kwargs: Any) -> tuple[CenterSpec, Center, Any]:
    """The spec, the center and its configuration (loaded directly from Python data)."""
    spec = size.spec(events, **kwargs)
    center = build_center(spec)
    return spec, center, load_center(spec, center)


def rss_mb() -> float:
    """The resident set size of this process now (MB), from /proc."""
    with contextlib.suppress(OSError), open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 0
    mem = ""
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as f:
        mem = f"{int(f.readline().split()[1]) / 1024**2:.0f} GiB"
    revision = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = Path(__file__).resolve().parents[1]
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        revision = head + (" + uncommitted changes" if dirty else "")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory": mem,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "revision": revision or "unknown",
        "engine": ENGINE_BUILD,
    }


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory']}, "
        f"{m['python']}, {m['platform']}; code {m['revision']}, {m['engine']}; load average "
        f"{m['load_average']}"
    )


def write_json(path: str | Path | None, data: Any) -> None:
    """Write a benchmark's results (``--json FILE``); nothing when no file is given."""
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def printer(out: Any = None) -> Any:
    out = out or sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    return say
