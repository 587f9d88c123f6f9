"""`statserver simulate --no-listen` as users run it: a reproducible JSON Lines file that
`statserver replay` applies without rejecting anything, with the simulator's values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sim_support import ROOT, SAMPLE, T0, config_from, sample_doc

from statserver.sim.center import Center
from statserver.sim.core import Simulation
from statserver.sim.options import SimOptions
from statserver.sim.runner import parse_duration, parse_start

START = "2026-11-25T08:00:00+00:00"  # = T0


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statserver.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def simulate(path: Path, seed: int, duration: str = "2h") -> Path:
    proc = run(
        "simulate",
        "-c",
        SAMPLE,
        "--no-listen",
        "-o",
        path,
        "--seed",
        seed,
        "--start",
        START,
        "--duration",
        duration,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith(f"events written to {path}")
    return path


def test_same_seed_gives_an_identical_file(tmp_path: Path) -> None:
    """Two runs with the same seed and start write byte-identical files; another seed
    writes another file.  Each line is one event record of the contract."""
    a = simulate(tmp_path / "a.jsonl", 42)
    b = simulate(tmp_path / "b.jsonl", 42)
    c = simulate(tmp_path / "c.jsonl", 43)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    records = [json.loads(line) for line in a.read_text().splitlines()]
    assert len(records) > 1000
    assert all({"event", "time", "source"} <= r.keys() for r in records)
    assert records[0]["time"] >= START[:19]
    assert {r["source"] for r in records} == {"TS1", "TS2", "IXN1", "IXN2", "IXN3", "IXN4"}


def test_the_file_replays_without_rejection_and_gives_the_simulated_values(tmp_path: Path) -> None:
    """`statserver replay` of a simulated file: every event applied, nothing skipped, no
    warning; the calls answered on each queue and an agent's talk time at the end are the
    simulator's (the same seed simulated again in-process gives the truth)."""
    events = simulate(tmp_path / "day.jsonl", 5, "3h")
    sim = Simulation(Center.from_config(config_from(sample_doc())), SimOptions(seed=5, start=T0))
    sim.advance((T0 + 3 * 3600) * 1000)
    end = T0 + 3 * 3600
    queries = []
    for i, q in enumerate(sim.queues()):
        obj = {
            "objectId": f"{q.spec.number}@{q.spec.switch}",
            "objectType": "Queue",
            "tenant": q.spec.tenant,
        }
        queries.append(
            {
                "request": "OpenStatistic",
                "referenceId": i,
                "object": obj,
                "metric": {"statisticType": "CallsAnswered"},
                "at": [end],
            }
        )
    agent = sim.agent("Acme", "acme004")
    queries.append(
        {
            "request": "OpenStatistic",
            "referenceId": 100,
            "object": {"objectId": "acme004", "objectType": "Agent", "tenant": "Acme"},
            "metric": {"statisticType": "InboundTalkTime"},
            "at": [end],
        }
    )
    qpath = tmp_path / "queries.jsonl"
    qpath.write_text("".join(json.dumps(q) + "\n" for q in queries))
    proc = run("replay", "-c", SAMPLE, events, "--queries", qpath)
    assert proc.returncode == 0, proc.stderr
    n = len(events.read_text().splitlines())
    assert proc.stderr.strip() == f"replay: {n} events, {n} applied"
    values = {o["referenceId"]: o["value"] for o in map(json.loads, proc.stdout.splitlines())}
    assert values == {
        **{i: q.truth.answered for i, q in enumerate(sim.queues())},
        100: agent.talk["Inbound"],
    }
    assert values[100] > 0


def test_no_listen_needs_an_output_and_a_duration(tmp_path: Path) -> None:
    """--no-listen without --output or --duration is a usage error (exit 2)."""
    proc = run("simulate", "-c", SAMPLE, "--no-listen", "--duration", "1h")
    assert proc.returncode == 2
    assert "--no-listen needs --output and --duration" in proc.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("8h", 28800), ("1h30m", 5400), ("0.5h", 1800)],
    ids=["bare", "s", "m", "h", "hm", "fraction"],
)
def test_durations(text: str, seconds: float) -> None:
    """Durations are seconds, or a number with h / m / s."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "abc", "5 days", "m"], ids=["empty", "word", "days", "unit-only"]
)
def test_bad_durations(text: str) -> None:
    """Anything else is refused with an example of what works."""
    with pytest.raises(ValueError, match="90s, 15m, 8h"):
        parse_duration(text)


def test_start_times() -> None:
    """--start takes ISO-8601 with an offset or Unix seconds."""
    assert parse_start(START) == T0
    assert parse_start(str(T0)) == T0
    with pytest.raises(ValueError, match="offset"):
        parse_start("2026-11-25T08:00:00")
