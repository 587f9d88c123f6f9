"""``statserver demo``: a simulated contact center and the server, in one process.

No external service: the simulator (statserver.sim) serves the T-Server and Interaction
Server links of the sample configuration (examples/demo/config.yaml) on free local ports,
and the server (statserver.service) connects to them, with its backup in an SQLite file in
a temporary directory (or ``--data-dir``).  Runs until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from statserver.config.load import load_config_text
from statserver.errors import ConfigError
from statserver.sim.center import Center, scale_agents
from statserver.sim.core import Simulation, iso_time
from statserver.sim.runner import ProgressLine, make_options, sim_status
from statserver.sim.service import SimService

__all__ = ["DemoSettings", "find_sample_config", "run_demo"]

SAMPLE = Path("examples") / "demo" / "config.yaml"


def find_sample_config() -> Path | None:
    """The sample configuration shipped in the package (a wheel), of the source tree
    (``pip install -e .``), or of the current directory."""
    here = Path(__file__).resolve()
    for base in (here.parent, *here.parents, Path.cwd()):
        candidate = base / SAMPLE
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class DemoSettings:
    host: str = "127.0.0.1"
    port: int = 7100
    seed: int = 1
    speed: float = 1.0
    agents: int | None = None
    data_dir: Path | None = None
    config: Path | None = None
    profile: str = "flat"
    warmup: float = 600.0


def _prepare(settings: DemoSettings) -> tuple[dict[str, Any], Path]:
    path = settings.config or find_sample_config()
    if path is None:
        msg = (
            f"cannot find the sample configuration {SAMPLE} (run from the source tree, or "
            "give --config)"
        )
        raise ConfigError(msg)
    text = path.read_text(encoding="utf-8")
    load_config_text(text, source=str(path), base=path.parent)  # a clear error first
    doc = yaml.safe_load(text)
    if settings.agents is not None:
        try:
            doc = scale_agents(doc, settings.agents)
        except (ValueError, KeyError, StopIteration) as exc:
            raise ConfigError(f"--agents {settings.agents}: {exc}", source=str(path)) from None
    return doc, path


async def run_demo(settings: DemoSettings, out: IO[str] | None = None) -> None:
    """Run the demo until cancelled (Ctrl-C)."""
    from statserver.service.runner import serve

    out = out or sys.stdout
    doc, sample = _prepare(settings)
    # the copy lives elsewhere: option files it names must stay where they are
    base = sample.parent.resolve()
    if doc.get("genesysOptions"):
        doc["genesysOptions"] = [str(base / str(p)) for p in doc["genesysOptions"]]
    config = load_config_text(yaml.safe_dump(doc, sort_keys=False), source=str(sample), base=base)
    center = Center.from_config(config)
    options = make_options(
        seed=settings.seed, start=float(int(time.time())), profile=settings.profile
    )
    sim = Simulation(center, _warm(options, settings.warmup))
    service = SimService(
        sim, host="127.0.0.1", ports=dict.fromkeys(center.sources, 0), speed=settings.speed
    )
    service.advance_to(int(options.start * 1000))
    own_dir = settings.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="statserver-demo-")) if own_dir else settings.data_dir
    assert data_dir is not None
    tasks: list[asyncio.Task[Any]] = []
    line: ProgressLine | None = None
    previous: Any = None
    try:
        where = await service.start()
        for source in doc.get("sources") or []:
            name = str(source["name"])
            if name in where:
                for key in ("transport", "file", "follow", "url", "subject", "stream"):
                    source.pop(key, None)  # the demo's links are the simulator's TCP links
                source["host"], source["port"] = where[name]
        data_dir.mkdir(parents=True, exist_ok=True)
        config_path = data_dir / "config.yaml"
        header = f"# written by `statserver demo` from {sample}; simulator links on free ports\n"
        config_path.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        storage = str(data_dir / "statserver-backup.sqlite")
        state: dict[str, Any] = {}

        def announce(server: Any, port: int) -> None:
            state["server"] = server
            base = f"{settings.host}:{port}"
            lines = [
                f"Stat Server demo: {center.describe()} (seed {settings.seed}, "
                f"speed {settings.speed:g}x, simulated clock {iso_time(sim.now)})",
                f"  client protocol (WebSocket)  ws://{base}/ws",
                f"  wallboard                    http://{base}/",
                f"  metrics                      http://{base}/metrics",
                f"  health                       http://{base}/api/v1/health",
                f"  configuration                {config_path}",
                f"  backup                       {storage}",
                "  simulated links              "
                + ", ".join(f"{n} {h}:{p}" for n, (h, p) in where.items()),
                "Press Ctrl-C to stop.",
            ]
            out.write("\n".join(lines) + "\n")
            out.flush()

        last = [time.monotonic(), 0]

        def render() -> str:
            server = state.get("server")
            received = server.engine.counters.received if server is not None else 0
            now = time.monotonic()
            rate = (received - last[1]) / max(1e-6, now - last[0])
            last[0], last[1] = now, received
            return f"{iso_time(sim.now)[11:19]}  {rate:6.1f} events/s  " + sim_status(sim)

        line = ProgressLine(out, render)
        tasks = [asyncio.create_task(service.run()), asyncio.create_task(line.run())]
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            # SIGTERM stops the demo like Ctrl-C (the server shuts down, temporary files go)
            previous = signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
        await serve(
            config_path,
            host=settings.host,
            port=settings.port,
            storage=storage,
            log_level="warning",
            announce=announce,
        )
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if line is not None:
            line.end()
        with contextlib.suppress(Exception):
            await service.close()
        if own_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _warm(options: Any, warmup: float) -> Any:
    from dataclasses import replace

    return replace(options, start=options.start - warmup)
