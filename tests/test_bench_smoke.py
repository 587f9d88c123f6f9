"""Smoke tests of the benchmark tools (bench/): they run, in a tiny size, and stay valid.

No timing is asserted: the figures depend on the machine.  Every benchmark runs here at its
``--smoke`` size (all of them in ~15 s), so CI proves they still work.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from array import array
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: bench/

from bench import all as bench_all
from bench import engine_ingest, kernel_model, memory, push, restore
from bench.common import FULL, SMOKE
from bench.generate import (
    CenterSpec,
    build_center,
    config_text,
    generate,
    iter_event_lines,
    load_center,
)
from bench.mix import PROFILE_ORDER, full_plan

from statserver.config import load_config, load_config_text
from statserver.core.engine import Engine
from statserver.core.portable import COMPILED
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
    """The legacy mix (--statistics 0) runs end to end in a tiny size: no event rejected,
    K = 10 x S idle statistics opened, every figure printed."""
    out = io.StringIO()
    argv = ["--agents", "20", "--groups", "6", "--queues", "4", "--events", "1000"]
    argv += ["--statistics", "0", "--repeat", "1", "--cache-dir", str(tmp_path)]
    args = engine_ingest.parser().parse_args(argv)
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


def test_python_built_configuration_is_the_yaml_one():
    """bench.generate.load_center (no YAML parsing) builds the same objects and definitions
    as loading the generated YAML text."""
    spec = CenterSpec(agents=30, groups=8, queues=4, idle_agents=5, idle_queues=2, events=10)
    center = build_center(spec)
    from_yaml = load_config_text(config_text(spec, center))
    from_data = load_center(spec, center)
    assert from_data.directory == from_yaml.directory
    assert from_data.catalog.stat_types.keys() == from_yaml.catalog.stat_types.keys()
    assert from_data.catalog.profiles.keys() == from_yaml.catalog.profiles.keys()
    assert from_data.catalog.ranges == from_yaml.catalog.ranges
    assert from_data.catalog.filters.keys() == from_yaml.catalog.filters.keys()


@pytest.mark.parametrize("total", [500, 3000], ids=["few", "many"])
def test_full_mix_opens_exactly_the_requested_distinct_statistics(total):
    """The mix of bench/mix.py gives exactly ``total`` requests, each a distinct statistic
    the engine accepts, spread over agents, groups, queues, queue groups and the tenant in
    the same share of each class's variants."""
    spec = SMOKE.spec()
    center = build_center(spec)
    config = load_center(spec, center)
    plan = full_plan(center, total)
    assert plan.total == total
    engine = Engine(config.directory, config.catalog, config.engine_options)
    for request in plan.requests():
        engine.open(request, at=1_764_000_000.0)
    assert len(engine.statistics()) == total  # no two requests are the same statistic
    shares = {c.name: c.count / c.capacity for c in plan.classes}
    assert max(shares.values()) - min(shares.values()) < 0.05, shares


def test_full_size_mix_is_one_million_statistics_on_the_issue_center():
    """At the full size (10,000 agents, 500 groups, 200 queues) the plan holds 1,000,000
    statistics, ~94 per agent, under the 8 time profiles (no engine: planning only)."""
    assert (FULL.agents, FULL.groups, FULL.queues, FULL.statistics) == (
        10_000,
        500,
        200,
        1_000_000,
    )
    center = build_center(FULL.spec(events=10))
    assert (len(center.agents), len(center.active_groups), len(center.queues)) == (
        10_000,
        500,
        200,
    )
    plan = full_plan(center, FULL.statistics)
    assert plan.total == 1_000_000
    agents = next(c for c in plan.classes if c.name == "agents")
    assert 90 <= agents.count / len(agents.objects) <= 100
    assert len(PROFILE_ORDER) == 8


def test_engine_ingest_smoke_with_the_full_mix(tmp_path):
    """--smoke: the mix of bench/mix.py, no idle statistics, the touch count and the target
    line printed, no event rejected."""
    out = io.StringIO()
    args = engine_ingest.parser().parse_args(["--smoke", "--cache-dir", str(tmp_path)])
    engine_ingest.resolve_size(args)
    result = engine_ingest.run(args, out)
    text = out.getvalue()
    assert result["statistics"] == {"S": SMOKE.statistics, "K": 0}
    assert result["touched_per_event"] > 0
    assert result["us_per_touch"] > 0
    for phrase in ("engine / decode:", "per statistic touch", "target: 50,000 events/s"):
        assert phrase in text
    assert "collector (b):" in text
    assert result["warm_up_events"] == 0


def test_engine_ingest_warm_up_times_the_rest(tmp_path):
    """--warm-up N: every engine gets the first N events untimed; the floors and the engines
    are timed on the other ones, and a warm-up as long as the file is refused."""
    out = io.StringIO()
    argv = ["--smoke", "--cache-dir", str(tmp_path), "--repeat", "1", "--warm-up", "600"]
    args = engine_ingest.parser().parse_args(argv)
    engine_ingest.resolve_size(args)
    result = engine_ingest.run(args, out)
    text = out.getvalue()
    assert result["warm_up_events"] == 600
    assert result["events"] == SMOKE.events - 600
    assert "the first 600 events" in text
    assert f"the {SMOKE.events - 600:,} after them timed" in text
    args = engine_ingest.parser().parse_args([*argv[:-1], str(SMOKE.events)])
    engine_ingest.resolve_size(args)
    with pytest.raises(SystemExit, match="--warm-up"):
        engine_ingest.run(args, io.StringIO())


def test_engine_ingest_with_a_share_of_the_statistics_watched(tmp_path):
    """--watched 0.5: the share is said and kept in the results, and the touches are not
    counted (they are counted among the watched statistics, so only at 1)."""
    runs = {}
    for share in ("1", "0.5"):
        out = io.StringIO()
        argv = ["--smoke", "--cache-dir", str(tmp_path), "--repeat", "1", "--watched", share]
        args = engine_ingest.parser().parse_args(argv)
        engine_ingest.resolve_size(args)
        runs[share] = (engine_ingest.run(args, out), out.getvalue())
    result, text = runs["0.5"]
    assert result["watched"] == 0.5
    assert "50% of the S statistics watched for changes" in text
    assert result["touched_per_event"] == 0
    assert "counted only when every statistic is watched" in text
    assert runs["1"][0]["touched_per_event"] > 0


def test_engine_ingest_perf_profile(tmp_path):
    """--perf N: Linux perf attached to one more (b) ingest after the warm-up, its top N
    symbols and the shares by kind (skipped where perf is missing or not allowed)."""
    if shutil.which("perf") is None:
        pytest.skip("perf is not installed (Debian: linux-perf)")
    out = io.StringIO()
    argv = ["--smoke", "--cache-dir", str(tmp_path), "--repeat", "1", "--warm-up", "600"]
    args = engine_ingest.parser().parse_args([*argv, "--perf", "8"])
    engine_ingest.resolve_size(args)
    engine_ingest.run(args, out)
    text = out.getvalue()
    if "perf record failed" in text:
        pytest.skip(text.rsplit("perf record failed", 1)[1].strip())
    report = text.split("top 8 symbols by own time", 1)[1].splitlines()[1:]
    assert len(report) == 9, text  # 8 symbols, then the shares by kind
    assert all(line.strip().split()[0].endswith("%") for line in report[:8])
    assert "by kind: collector" in report[8]
    assert "(b) under perf:" in report[8]


needs_interpreted = pytest.mark.skipif(
    COMPILED, reason="bench.kernel_model wraps the tracks' and windows' methods: interpreted only"
)


@needs_interpreted
def test_kernel_model_replays_the_traces_exactly(tmp_path):
    """bench.kernel_model --smoke: the C model replays the smoke day's calls to the windows,
    and to the tracks, in both layouts, and ends with every window's totals and every
    track's open segments equal to the Python engine's (the C program exits non-zero
    otherwise, and the benchmark with it); then the engine benchmark runs on the same center
    and file with the Python given to --compare, and the model is set beside it."""
    out = io.StringIO()
    work = tmp_path / "work"
    argv = ["--smoke", "--cache-dir", str(tmp_path), "--repeat", "1", "--keep", str(work)]
    args = kernel_model.parser().parse_args([*argv, "--compare", sys.executable])
    result = kernel_model.run(args, out)
    text = out.getvalue()
    assert "equal the Python engine's" in text
    assert result["events"] == SMOKE.events
    assert result["calls_per_event"] > 10
    assert result["track_calls_per_event"] > 10
    for mode in ("windows", "tracks"):
        for layout in ("track", "shuffled"):
            r = result["layouts"][f"{mode}/{layout}"]
            assert (r["mismatched"], r["tracks_mismatched"]) == (0, 0)
            assert r["windows"] > SMOKE.statistics // 2
    assert result["layouts"]["windows/track"]["operations"] == result["window_calls"]
    tracks = result["layouts"]["tracks/track"]
    assert tracks["operations"] == result["track_calls"] + SMOKE.events  # + event marks
    assert tracks["events"] == SMOKE.events
    assert tracks["statistics_taken"] > SMOKE.events  # equal to the engine's, or run() fails
    assert 0 < result["c_bytes_per_statistic_at_opening"] < result["c_bytes_per_statistic"]
    assert tracks["slot_bytes"] == 48  # 12 fields of 32 bits: a past step of a Sliding ring
    # the engine's figures are those bench.engine_ingest wrote for the same center and file,
    # and the kernel's time comes on top of the state machine's: the bound is below its rate
    compiled = result["compiled"]
    assert compiled["python"] == sys.executable
    ingest = json.loads((work / "ingest.json").read_text())
    assert ingest["statistics"]["S"] == SMOKE.statistics
    assert compiled["us_per_event_with_statistics"] == ingest["engine_S"]["us_per_event_best"]
    assert compiled["us_per_event_without"] == ingest["engine_no_stats"]["us_per_event_best"]
    assert 0 < compiled["bound_events_per_second"] < 1e6 / compiled["us_per_event_without"]
    assert "the ingest would be at most" in text


@needs_interpreted
def test_kernel_model_reports_a_window_or_a_track_that_differs(tmp_path):
    """The comparisons can fail: one expected window total, then one track's expected count
    of open segments, changed by one, and the C program names them and exits with 1."""
    work = tmp_path / "work"
    argv = ["--smoke", "--cache-dir", str(tmp_path), "--repeat", "1", "--keep", str(work)]
    kernel_model.run(kernel_model.parser().parse_args([*argv, "--no-compare"]), io.StringIO())

    def replay(mode: str) -> subprocess.CompletedProcess[str]:
        argv = [str(work / "kernel_model"), str(work), mode, "track", "1"]
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    expected = array("q", (work / "expected.bin").read_bytes())
    n_windows = array("q", (work / "table.bin").read_bytes()[:8])[0]  # its first field
    width = (len(expected) - 1) // n_windows
    expected[1 + 5 * width + 3] += 1  # the projected time of window 5
    (work / "expected.bin").write_bytes(expected.tobytes())
    proc = replay("windows")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["mismatched"] == 1
    assert proc.stderr.startswith("window 5: got")
    expected[1 + 5 * width + 3] -= 1
    (work / "expected.bin").write_bytes(expected.tobytes())
    assert replay("tracks").returncode == 0
    by_track = array("q", (work / "tracks_expected.bin").read_bytes())
    by_track[4 * 7] += 1  # track 7's open segments
    (work / "tracks_expected.bin").write_bytes(by_track.tobytes())
    proc = replay("tracks")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["tracks_mismatched"] == 1
    assert proc.stderr.startswith("track 7: got")


def test_memory_smoke(tmp_path):
    """bench.memory --smoke: RSS and tracemalloc bytes per statistic, by type and by site."""
    out = io.StringIO()
    assert memory.main(["--smoke", "--cache-dir", str(tmp_path)], out) == 0
    text = out.getvalue()
    for phrase in ("RSS per open statistic", "by object type", "top allocation sites", "by kind"):
        assert phrase in text
    assert "Statistic " in text  # the Statistic objects appear in the type table


def test_restore_smoke_is_exact(tmp_path):
    """bench.restore --smoke: snapshot + journal, restore, every value equal."""
    out = io.StringIO()
    js = tmp_path / "restore.json"
    argv = ["--smoke", "--cache-dir", str(tmp_path), "--dir", str(tmp_path / "b")]
    assert restore.main([*argv, "--json", str(js)], out) == 0
    text = out.getvalue()
    assert "exact: yes" in text
    import json

    result = json.loads(js.read_text())
    assert result["exact"] is True
    assert result["statistics"] == SMOKE.statistics
    assert result["replayed"] == 200  # the journaled events after the snapshot


def test_push_smoke_both_framings(tmp_path):
    """bench.push --smoke: the real server, a load process with a fake T-Server and 5
    WebSocket clients; both framings deliver values and probe latencies."""
    out = io.StringIO()
    argv = ["--smoke", "--seconds", "0.5", "--cache-dir", str(tmp_path)]
    assert push.main(argv, out) == 0
    text = out.getvalue()
    assert "latency p50" in text
    assert "target pushes: 100,000/s" in text
    assert "rejected 0" in text


def test_summary_rows_name_every_target():
    """bench.all's summary has a row per target with a verdict."""
    results = {
        "engine_ingest": {
            "engine_S": {"events_per_second_best": 60_000},
            "decode": {"events_per_second_best": 800_000},
            "engine_no_stats": {"events_per_second_best": 90_000},
            "statistics": {"S": 1_000_000},
            "ratio_engine_decode": 0.075,
            "us_per_touch": 0.5,
            "touched_per_event": 20,
        },
        "memory": {
            "statistics": 1_000_000,
            "rss_bytes_per_stat_traffic": 400.0,
            "rss_bytes_per_stat_open": 350.0,
            "tracemalloc_bytes_per_stat_open": 300.0,
            "tracemalloc_bytes_per_stat_traffic": 50.0,
        },
    }
    rows = bench_all.summary(results)

    def verdict(prefix: str) -> str:
        return next(r[3] for r in rows if r[0].startswith(prefix))

    assert verdict("engine ingest, 1,000,000") == "met"  # 60,000 >= 50,000 events/s
    assert verdict("memory per open statistic") == "NOT met"  # 400 > 300 bytes


def test_push_smoke_with_a_postgresql_backup(tmp_path, pg_database):
    """bench.push --backup postgresql://...: the server journals to PostgreSQL (its tables
    emptied first), and the clients' openings and the events' values still come through."""
    out = io.StringIO()
    argv = ["--smoke", "--seconds", "0.5", "--framing", "batch", "--backup", pg_database]
    argv += ["--cache-dir", str(tmp_path)]
    assert push.main(argv, out) == 0
    text = out.getvalue()
    assert f"backup: {pg_database}" in text
    assert "latency p50" in text
    assert "rejected 0" in text
    import psycopg

    with psycopg.connect(pg_database) as db:
        # the final snapshot covers the journal: 5 clients' 201 openings and the events
        (seq,) = db.execute("SELECT max(seq) FROM statserver_snapshots").fetchone()
    assert seq > 5 * 201 + 100
