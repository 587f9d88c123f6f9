"""Smoke tests of the benchmark tools (bench/): they run, in a tiny size, and stay valid.

No timing is asserted: the figures depend on the machine.
"""

from __future__ import annotations

import io
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: bench/

from bench import engine_ingest
from bench.generate import CenterSpec, build_center, config_text, generate, iter_event_lines

from statserver.config import load_config, load_config_text
from statserver.core.engine import Engine
from statserver.events import decode_event, parse_time


def _replay(config_path: Path, lines: list[str]) -> Engine:
    config = load_config(config_path)
    engine = Engine(config.directory, config.catalog, config.engine_options)
    for line in lines:
        engine.feed(decode_event(line))
    return engine


def _warnings(engine: Engine) -> dict[str, int]:
    merged: dict[str, int] = {}
    for tenant in engine.tenants.values():
        merged.update(tenant.warnings)
    return merged


@pytest.mark.parametrize("time_format", ["iso", "epoch"])
def test_generated_day_is_valid_for_the_engine(tmp_path, time_format):
    """A long day with few agents (shift ends, logouts, logins again, abandons): exactly the
    requested number of events, in time order, none rejected and none with a warning."""
    spec = CenterSpec(agents=6, groups=4, queues=2, events=6000, seed=3, time_format=time_format)
    files = generate(spec, tmp_path)
    lines = files.events.read_text().splitlines()
    assert len(lines) == spec.events
    records = [decode_event(line) for line in lines]
    times = [parse_time(r.time) for r in records]
    assert times == sorted(times)
    names = Counter(r.event for r in records)
    for name in ("EventAgentLogin", "EventAgentLogout", "EventQueued", "EventAbandoned"):
        assert names[name] > 0, name
    assert names["EventAgentLogin"] > spec.agents  # agents come back after their shift
    # at most one call per agent can be on hold when the file ends
    assert 0 <= names["EventHeld"] - names["EventRetrieved"] <= spec.agents
    assert names["EventRetrieved"] > 0
    engine = _replay(files.config, lines)
    assert engine.counters.rejected == {}
    assert engine.counters.applied == spec.events
    assert _warnings(engine) == {}


def test_generator_is_deterministic_and_streams_what_it_writes(tmp_path):
    """The same spec gives the same files; the streaming API yields the file's lines; another
    seed gives another day."""
    spec = CenterSpec(agents=8, groups=5, queues=2, events=900, seed=5)
    first = generate(spec, tmp_path / "one")
    second = generate(spec, tmp_path / "two")
    assert first.events.read_text() == second.events.read_text()
    assert first.config.read_text() == second.config.read_text()
    assert "".join(iter_event_lines(spec)) == first.events.read_text()
    other = CenterSpec(agents=8, groups=5, queues=2, events=900, seed=6)
    assert "".join(iter_event_lines(other)) != first.events.read_text()
    again = generate(spec, tmp_path / "one", reuse=True)
    assert again.reused


def test_configuration_has_the_working_and_the_idle_objects():
    """The configuration holds agents + idle agents (each with a place and an extension),
    queues + idle queues, and ~3 groups per agent (team, skill, site)."""
    spec = CenterSpec(agents=50, groups=10, queues=4, idle_agents=30, idle_queues=3, events=10)
    center = build_center(spec)
    model = load_config_text(config_text(spec, center)).directory.tenants["Resources"]
    assert len(model.agents) == 50 + 30
    assert len(model.places) == 50 + 30
    assert sum(1 for d in model.dns.values() if d.type == "ACDQueue") == 4 + 3
    memberships = Counter(a for members in center.groups.values() for a in members)
    assert set(memberships.values()) == {3}  # team, skill, site
    assert set(center.virtual_groups) == {"SpanishSpeakers"}


def test_benchmark_runs_and_prints_its_figures(tmp_path):
    """The benchmark runs end to end in a tiny size: no event rejected, K = 10 x S idle
    statistics opened, every figure printed."""
    out = io.StringIO()
    argv = ["--agents", "20", "--groups", "6", "--queues", "4", "--events", "1000"]
    args = engine_ingest.parser().parse_args([*argv, "--repeat", "1", "--cache-dir", str(tmp_path)])
    result = engine_ingest.run(args, out)
    text = out.getvalue()
    figures = ("(0) read lines", "(a) decode", "(a') engine, no stats", "(b) engine, S stats")
    for figure in (*figures, "(c) engine, S+K stats"):
        assert figure in text
    phrases = ("engine / decode:", "(c) / (b):", "machine:", "noise:", "bytes per", "checks:")
    for phrase in (*phrases, "statistics touched:"):
        assert phrase in text
    s, k = result["statistics"]["S"], result["statistics"]["K"]
    # 20 agents x 8 + 6 groups x 8 + 4 queues x 10 + 1 queue group x 4 + tenant 8
    assert s == 20 * 8 + 6 * 8 + 4 * 10 + 1 * 4 + 8
    assert k == 10 * s
    for key in ("decode", "engine_S", "engine_S_K"):
        assert result[key]["events_per_second_best"] > 0
