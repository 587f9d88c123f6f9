"""Run every benchmark (full size by default) and print a summary table against the targets.

Each benchmark runs in a process of its own, one after the other (so that one's memory does
not weigh on the next, and the push benchmark has both cores), with ``--json``; the summary
reads those files.  ``--smoke`` runs the tiny sizes (what CI runs), ``--scale F`` a
fraction of the full size, ``--only NAME ...`` some of them; ``--profile`` adds the
profiles.  The whole run at full size takes ~15 minutes on the 2-core machine.

Usage::

    python -m bench.all                      # full size, summary table at the end
    python -m bench.all --smoke
    python -m bench.all --out results/       # keep every output and JSON file there
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import machine, machine_line, printer, write_json

__all__ = ["BENCHMARKS", "main", "summary"]

BENCHMARKS = ("engine_ingest", "memory", "restore", "push")


def _args(name: str, ns: argparse.Namespace) -> list[str]:
    size = ["--smoke"] if ns.smoke else ["--scale", str(ns.scale)]
    extra: list[str] = []
    if ns.profile:
        if name == "engine_ingest":
            extra = ["--profile", "30", "--profile-events", "20000" if not ns.smoke else "500"]
        elif name == "push":
            extra = ["--profile", "30"]
    if name == "engine_ingest" and ns.yaml:
        extra.append("--yaml")
    return [*size, *extra]


def summary(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, verdict) rows."""
    rows: list[tuple[str, str, str, str]] = []
    ing = results.get("engine_ingest")
    if ing:
        b, a = ing["engine_S"], ing["decode"]
        rate = b["events_per_second_best"]
        rows.append(
            (
                f"engine ingest, {ing['statistics']['S']:,} statistics open",
                f"{rate:,} ev/s (decode {a['events_per_second_best']:,} ev/s, ratio "
                f"{ing['ratio_engine_decode']:.4f}; {ing['us_per_touch']} us per statistic "
                f"touch, {ing['touched_per_event']} touches/event)",
                ">= 50,000 ev/s",
                "met" if rate >= 50_000 else "NOT met",
            )
        )
        rows.append(
            (
                "engine ingest, no statistic open",
                f"{ing['engine_no_stats']['events_per_second_best']:,} ev/s",
                "(floor of the state machine)",
                "",
            )
        )
    mem = results.get("memory")
    if mem:
        per = mem["rss_bytes_per_stat_traffic"]
        rows.append(
            (
                f"memory per open statistic ({mem['statistics']:,})",
                f"{per:,.0f} B RSS after traffic ({mem['rss_bytes_per_stat_open']:,.0f} B at "
                f"opening; tracemalloc {mem['tracemalloc_bytes_per_stat_open']:,.0f} + "
                f"{mem['tracemalloc_bytes_per_stat_traffic']:,.0f} B)",
                "<= 300 B",
                "met" if per <= 300 else "NOT met",
            )
        )
    res = results.get("restore")
    if res:
        secs = res["restore_seconds"]
        rows.append(
            (
                f"restore of {res['statistics']:,} statistics",
                f"{secs:.1f} s (decode {res['decode_seconds']:.1f} s, replay "
                f"{res['replay_seconds']:.1f} s of {res['journal_events']:,} events; snapshot "
                f"{res['snapshot_bytes'] / 1e6:,.0f} MB), exact: "
                f"{'yes' if res['exact'] else 'NO'}",
                "<= 10 s, exact",
                "met" if secs <= 10 and res["exact"] else "NOT met",
            )
        )
    push = results.get("push")
    if push:
        for framing in ("single", "batch"):
            r = push.get(framing)
            if not r:
                continue
            tp = max(r["throughput"]["received_per_second"], r["latency"]["received_per_second"])
            rows.append(
                (
                    f"value pushes to {push.get('clients', 100)} WebSocket clients ({framing})",
                    f"{tp:,}/s",
                    ">= 100,000/s",
                    "met" if tp >= 100_000 else "NOT met",
                )
            )
            lat = r["latency"].get("latency_ms")
            if lat:
                rate = r["latency"]["send_rate"]
                rows.append(
                    (
                        f"event-to-client latency at {rate:,} ev/s ({framing})",
                        f"p50 {lat['p50']} ms, p99 {lat['p99']} ms, max {lat['max']} ms",
                        "p99 <= 20 ms at 5,000 ev/s",
                        "met" if lat["p99"] <= 20 else "NOT met",
                    )
                )
    return rows


def main(argv: Sequence[str] | None = None, out: Any = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="the tiny sizes CI runs")
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    p.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    p.add_argument("--profile", action="store_true", help="add the cProfile profiles")
    p.add_argument("--yaml", action="store_true", help="time the YAML configuration too")
    p.add_argument("--out", help="directory for the outputs (default: a temporary one)")
    ns = p.parse_args(argv)
    say = printer(out)
    outdir = Path(ns.out) if ns.out else Path(tempfile.mkdtemp(prefix="statserver-bench-"))
    outdir.mkdir(parents=True, exist_ok=True)
    say(machine_line(machine()))
    results: dict[str, Any] = {}
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    failed = []
    for name in ns.only or BENCHMARKS:
        js = outdir / f"{name}.json"
        cmd = [sys.executable, "-m", f"bench.{name}", *_args(name, ns), "--json", str(js)]
        say(f"\n=== {' '.join(cmd[1:])}")
        t = time.perf_counter()
        with (outdir / f"{name}.txt").open("w", encoding="utf-8") as log:
            proc = subprocess.run(
                cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, check=False,
            )  # fmt: skip
            log.write(proc.stdout)
        say(proc.stdout.rstrip())
        say(f"=== {name}: exit {proc.returncode} in {time.perf_counter() - t:.0f} s")
        if proc.returncode != 0 or not js.exists():
            failed.append(name)
            continue
        results[name] = json.loads(js.read_text(encoding="utf-8"))
    rows = summary(results)
    say("\nSummary (targets of issue 6)")
    say(f"load average at the end: {os.getloadavg()[0]:.2f}; outputs in {outdir}")
    widths = [max(len(r[i]) for r in rows) if rows else 10 for i in range(4)]
    head = ("figure", "measured", "target", "verdict")
    say(" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        say(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    write_json(outdir / "summary.json", results)
    if failed:
        say(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
