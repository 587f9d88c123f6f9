"""The ``statserver`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from statserver.core.portable import ENGINE_BUILD
from statserver.errors import ConfigError

__all__ = ["LOOPS", "main", "run_async"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="statserver", message=f"%(prog)s %(version)s ({ENGINE_BUILD})")
def main() -> None:
    """Stat Server: a Genesys-compatible statistics server for contact centers."""


@main.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Configuration file (YAML, contracts.md §2).",
)
@click.argument("events", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--queries",
    "queries_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="JSON Lines of OpenStatistic / OpenStatisticEx requests with 'at' times.",
)
@click.option(
    "-o",
    "--output",
    type=click.File("w"),
    default="-",
    help="Where to write the results (default: standard output).",
)
@click.option("--quiet", is_flag=True, help="Do not print the summary on standard error.")
def replay(config_path: str, events: str, queries_path: str, output: Any, quiet: bool) -> None:
    """Replay a recorded EVENTS file through the engine and print statistic values.

    The clock is driven by the events' own times; no network, no other process.
    """
    from statserver.config import load_config
    from statserver.replay import parse_queries
    from statserver.replay import replay as run_replay

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    try:
        with open(queries_path, encoding="utf-8") as fh:
            queries = parse_queries(fh)
    except OSError as exc:
        raise click.ClickException(f"cannot read queries {queries_path}: {exc.strerror}") from None
    try:
        stream = sys.stdin.buffer if events == "-" else open(events, "rb")  # noqa: SIM115
    except OSError as exc:
        raise click.ClickException(f"cannot read events {events}: {exc.strerror}") from None
    with stream:
        report = run_replay(config, stream, queries, output)
    if not quiet:
        click.echo(report.summary(), err=True)


def _setup_logging(level: str, fmt: str = "text") -> None:
    from statserver.logs import setup_logging

    setup_logging(level, fmt)


#: the event loops ``statserver run --loop`` accepts
LOOPS = ("uvloop", "asyncio")


def _event_loop(loop: str = "uvloop") -> Any:
    if loop == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:  # pragma: no cover - not on Linux
        return None
    return uvloop.new_event_loop


@main.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Configuration file (YAML, contracts.md §2).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7100, show_default=True, help="Port: /ws, /api/v1, /metrics, /.")
@click.option(
    "--backup",
    "backup",
    default=None,
    help="Backup storage: a SQLite file path or a postgresql:// URL "
    "(default: option backup-file-name).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json"]),
    help="json: one JSON object per line (time, level, logger, message, ...).",
)
@click.option(
    "--loop",
    default="uvloop",
    show_default=True,
    type=click.Choice(LOOPS),
    help="Event loop. uvloop gives batched clients (?batch=1) the shorter latency tail; "
    "asyncio pushes one-frame-per-value clients at about twice the rate (bench/README.md).",
)
def run(
    config_path: str,
    host: str,
    port: int,
    backup: str | None,
    log_level: str,
    log_format: str,
    loop: str,
) -> None:
    """Run the server: connect to the configured sources and serve clients."""
    from statserver.errors import BackupError
    from statserver.service.runner import serve

    _setup_logging(log_level, log_format)
    try:
        run_async(
            serve(config_path, host=host, port=port, storage=backup, log_level=log_level), loop
        )
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    except BackupError as exc:
        raise click.ClickException(f"backup error: {exc}") from None
    except KeyboardInterrupt:
        pass


def run_async(coro: Any, loop: str = "uvloop") -> Any:
    """Run a coroutine on uvloop (when it is installed) or on asyncio's own loop."""
    import asyncio

    with asyncio.Runner(loop_factory=_event_loop(loop)) as runner:
        return runner.run(coro)


@main.command()
@click.option(
    "--url",
    default="ws://127.0.0.1:7100/ws",
    show_default=True,
    help="The server's client-protocol WebSocket URL.",
)
@click.option(
    "--max-agents",
    type=click.IntRange(min=0),
    default=None,
    help="Show at most this many agents (default: all).",
)
@click.option(
    "--refresh",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between redraws.",
)
@click.option("--screen", is_flag=True, help="Use the terminal's alternate screen.")
def watch(url: str, max_agents: int | None, refresh: float, screen: bool) -> None:
    """Show the live wallboard (queues, groups, agents) of a running server in the terminal."""
    import urllib.error

    from statserver.watch import watch as run_watch

    try:
        run_async(run_watch(url, refresh=refresh, max_agents=max_agents, screen=screen))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise click.ClickException(f"cannot watch {url}: {exc}") from None
    except KeyboardInterrupt:
        pass


def _duration(ctx: Any, param: Any, value: str | None) -> float | None:
    from statserver.sim.runner import parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


#: options the simulator and the demo share
_seed_option = click.option(
    "--seed", default=1, show_default=True, help="Random seed (same seed, same events)."
)
_speed_option = click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Simulated seconds per second (real time: 1).",
)


@main.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Configuration file: the center to simulate and where its links listen (sources).",
)
@_seed_option
@_speed_option
@click.option(
    "--start",
    default=None,
    help="Simulated start: 'now' (default), ISO-8601 with offset, or Unix seconds.",
)
@click.option(
    "--duration",
    default=None,
    callback=_duration,
    help="Stop after this much simulated time (90s, 15m, 8h); default: run until Ctrl-C.",
)
@click.option(
    "--warmup",
    default="15m",
    show_default=True,
    callback=_duration,
    help="Simulated time before the start, not sent on the links: agents are logged in and "
    "calls in progress when Stat Server connects.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Also write every event to this JSON Lines file (replayable).",
)
@click.option(
    "--no-listen",
    is_flag=True,
    help="Serve no link: write --duration of events to --output as fast as possible.",
)
@click.option("--host", default=None, help="Listen on this address instead of each source's host.")
@click.option(
    "--profile",
    type=click.Choice(["day", "flat"]),
    default="day",
    show_default=True,
    help="Arrival rates over the day: 'day' (quiet at night, peaks at 10:00 and 14:00 UTC) "
    "or 'flat'.",
)
@click.option(
    "--load",
    type=float,
    default=None,
    help="Voice occupancy the arrival rates aim at (default 0.85).",
)
@click.option("--quiet", is_flag=True, help="No progress line.")
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def simulate(
    config_path: str,
    seed: int,
    speed: float,
    start: str | None,
    duration: float | None,
    warmup: float,
    output: str | None,
    no_listen: bool,
    host: str | None,
    profile: str,
    load: float | None,
    quiet: bool,
    log_level: str,
) -> None:
    """Simulate the contact center of a configuration: serve its T-Server and Interaction
    Server links (docs/simulator.md), and/or write the events to a file."""
    from statserver.config import load_config
    from statserver.sim.runner import make_options, write_file
    from statserver.sim.runner import simulate as run_simulation

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    try:
        options = make_options(seed=seed, start=_start(start), profile=profile, load=load)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--start") from None
    if no_listen:
        if output is None or duration is None:
            raise click.UsageError("--no-listen needs --output and --duration")
        n = write_file(config, options, output, duration)
        if not quiet:
            click.echo(f"{n} events written to {output}", err=True)
        return
    import contextlib

    _setup_logging(log_level)
    with contextlib.ExitStack() as stack:
        out = None
        if output is not None:
            out = sys.stdout.buffer if output == "-" else stack.enter_context(open(output, "wb"))
        try:
            run_async(
                run_simulation(
                    config,
                    options,
                    speed=speed,
                    warmup=warmup,
                    duration=duration,
                    host=host,
                    output=out,
                    progress=None if quiet else sys.stderr,
                    echo=lambda text: click.echo(text, err=True),
                )
            )
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"cannot serve the links: {exc}") from None
        except KeyboardInterrupt:
            pass


def _start(text: str | None) -> float:
    from statserver.sim.runner import parse_start

    return parse_start(text)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7100, show_default=True, help="Port: /ws, /api/v1, /metrics, /.")
@_seed_option
@_speed_option
@click.option(
    "--agents",
    type=click.IntRange(min=1),
    default=None,
    help="Agents per tenant (default: as in the sample).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the configuration and the SQLite backup here (default: a temporary directory).",
)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Another configuration to simulate (default: examples/demo/config.yaml).",
)
@click.option(
    "--profile",
    type=click.Choice(["day", "flat"]),
    default="flat",
    show_default=True,
    help="Arrival rates: 'flat' (as busy at any hour) or 'day' (follows the time of day).",
)
def demo(
    host: str,
    port: int,
    seed: int,
    speed: float,
    agents: int | None,
    data_dir: str | None,
    config_path: str | None,
    profile: str,
) -> None:
    """Run a simulated contact center and the server together: no other service needed."""
    from statserver.demo import DemoSettings, run_demo
    from statserver.errors import BackupError

    _setup_logging("warning")
    settings = DemoSettings(
        host=host,
        port=port,
        seed=seed,
        speed=speed,
        agents=agents,
        data_dir=Path(data_dir) if data_dir else None,
        config=Path(config_path) if config_path else None,
        profile=profile,
    )
    try:
        run_async(run_demo(settings))
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    except BackupError as exc:
        raise click.ClickException(f"backup error: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot start: {exc}") from None
    except KeyboardInterrupt:
        pass


@main.command("check-config")
@click.argument("path", type=click.Path(dir_okay=False))
def check_config(path: str) -> None:
    """Validate a configuration file and summarise what it defines."""
    from statserver.config import load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    d = config.directory
    for name, t in d.tenants.items():
        click.echo(
            f"tenant {name}: {len(t.switches)} switches, {len(t.dns)} DNs, {len(t.places)} "
            f"places, {len(t.agents)} agents, {len(t.agent_groups)} agent groups, "
            f"{len(t.place_groups)} place groups, {len(t.dn_groups)} DN groups"
        )
    c = config.catalog
    click.echo(
        f"{len(c.stat_types)} stat types, {len(c.profiles)} time profiles, {len(c.ranges)} time "
        f"ranges, {len(c.filters)} filters, {len(d.sources)} sources"
    )
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)


@main.command("docs")
@click.argument("what", type=click.Choice(["actions"]))
@click.option("--write", type=click.Path(dir_okay=False), help="Write to this file.")
def docs_command(what: str, write: str | None) -> None:
    """Print generated documentation (the action table)."""
    from statserver.docsgen import actions_markdown

    text = actions_markdown()
    if write:
        Path(write).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
