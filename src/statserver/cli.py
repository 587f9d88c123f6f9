"""The ``statserver`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from statserver.errors import ConfigError

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="statserver")
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


def _setup_logging(level: str) -> None:
    import logging

    from rich.logging import RichHandler

    logging.basicConfig(
        level=level.upper(),
        format="%(name)s: %(message)s",
        handlers=[RichHandler(show_path=False, rich_tracebacks=True)],
    )


def _event_loop() -> Any:
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
def run(config_path: str, host: str, port: int, backup: str | None, log_level: str) -> None:
    """Run the server: connect to the configured sources and serve clients."""
    from statserver.errors import BackupError
    from statserver.service.runner import serve

    _setup_logging(log_level)
    try:
        _run_async(serve(config_path, host=host, port=port, storage=backup, log_level=log_level))
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    except BackupError as exc:
        raise click.ClickException(f"backup error: {exc}") from None
    except KeyboardInterrupt:
        pass


def _run_async(coro: Any) -> Any:
    """Run a coroutine on uvloop when it is installed."""
    import asyncio

    with asyncio.Runner(loop_factory=_event_loop()) as runner:
        return runner.run(coro)


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
