"""``statserver simulate``: the simulator as a command (argument parsing and the loop)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from statserver.config.load import LoadedConfig
from statserver.errors import ConfigError
from statserver.events.record import parse_time
from statserver.sim.center import Center
from statserver.sim.core import Simulation, iso_time
from statserver.sim.options import PROFILES, SimOptions
from statserver.sim.output import write_events
from statserver.sim.service import SimService

__all__ = ["ProgressLine", "parse_duration", "parse_start", "simulate", "write_file"]

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$"
)


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``15m``, ``8h`` or ``1h30m``."""
    m = _DURATION.match(text)
    if not text.strip() or m is None or not any(m.groups()):
        msg = f"not a duration: {text!r}; write e.g. 90, 90s, 15m, 8h or 1h30m"
        raise ValueError(msg)
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def parse_start(text: str | None) -> float:
    """Unix seconds from ``now`` (or None), a number, or ISO-8601 with an offset."""
    if text is None or text.strip().lower() == "now":
        return float(int(time.time()))
    try:
        return parse_time(float(text))
    except ValueError:
        pass
    return parse_time(text)


def make_options(
    *, seed: int, start: float, profile: str = "day", load: float | None = None
) -> SimOptions:
    options = SimOptions(seed=seed, start=start, profile=PROFILES[profile])
    if load is not None:
        options = replace(options, voice_load=load)
    return options


def write_file(config: LoadedConfig, options: SimOptions, path: str, duration: float) -> int:
    """Simulate ``duration`` seconds as fast as possible into a JSON Lines file."""
    sim = Simulation(Center.from_config(config), options)
    out: IO[bytes]
    with contextlib.ExitStack() as stack:
        out = sys.stdout.buffer if path == "-" else stack.enter_context(Path(path).open("wb"))
        return write_events(sim, out, sim.start + int(duration * 1000))


class ProgressLine:
    """A one-line status written every second (rewritten in place on a terminal)."""

    def __init__(self, out: IO[str], render: Callable[[], str], every: float = 10.0) -> None:
        self.out = out
        self.render = render
        self.tty = out.isatty()
        self.every = 1.0 if self.tty else every
        self._width = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.show()

    def show(self) -> None:
        text = self.render()
        if self.tty:
            pad = max(0, self._width - len(text))
            self.out.write("\r" + text + " " * pad)
            self._width = len(text)
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def end(self) -> None:
        if self.tty and self._width:
            self.out.write("\n")
            self.out.flush()


def sim_status(sim: Simulation) -> str:
    s = sim.summary()
    return (
        f"calls waiting {s['calls_waiting']} (oldest {s['oldest_call']}s)  "
        f"agents ready {s['ready']}/{s['logged_in']} busy {s['busy']} ACW {s['acw']} "
        f"not ready {s['not_ready']}  chats {s['chats']} (+{s['chats_waiting']} waiting)  "
        f"emails {s['emails']} (+{s['emails_waiting']} waiting)"
    )


class _Rate:
    def __init__(self, count: Callable[[], int]) -> None:
        self.count = count
        self.last = (time.monotonic(), count())

    def __call__(self) -> float:
        now, n = time.monotonic(), self.count()
        t0, n0 = self.last
        self.last = (now, n)
        return (n - n0) / max(1e-6, now - t0)


async def simulate(
    config: LoadedConfig,
    options: SimOptions,
    *,
    speed: float = 1.0,
    warmup: float = 0.0,
    duration: float | None = None,
    host: str | None = None,
    output: IO[bytes] | None = None,
    progress: IO[str] | None = None,
    echo: Callable[[str], Any] = print,
) -> None:
    """Serve the configuration's links with a simulated center until cancelled (or for
    ``duration`` simulated seconds after the start)."""
    real_start = options.start
    sim = Simulation(Center.from_config(config), replace(options, start=real_start - warmup))
    service = SimService(sim, host=host, speed=speed, record=output)
    if not service.links:
        msg = (
            "no source of the configuration has a port to listen on: give the sources "
            "host and port, or use --no-listen with --output"
        )
        raise ConfigError(msg, source=config.source)
    if warmup > 0:
        service.advance_to(int(real_start * 1000))
    where = await service.start()
    echo(
        f"simulating {sim.center.describe()} (seed {options.seed}, speed {speed:g}x, "
        f"from {iso_time(sim.now)})"
    )
    for name, (h, p) in where.items():
        echo(f"  {sim.center.sources[name].kind:11} {name:8} {h}:{p}")
    line = None
    if progress is not None:
        rate = _Rate(lambda: sim.emitted)
        line = ProgressLine(
            progress,
            lambda: (
                f"{iso_time(sim.now)[11:19]}  {rate():6.1f} events/s  clients {service.clients}  "
                + sim_status(sim)
            ),
        )
    tasks: list[asyncio.Task[Any]] = []
    try:
        if line is not None:
            tasks.append(asyncio.create_task(line.run()))
        until = int((real_start + duration) * 1000) if duration is not None else None
        await service.run(until)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if line is not None:
            line.end()
        await service.close()
        if output is not None:
            output.flush()
