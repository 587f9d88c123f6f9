"""The running server: sources → engine → pool → clients, plus backup and reloads.

Everything that touches the engine runs on one asyncio event loop (one writer, no locks):

* each source task puts events into a bounded input queue (``input-queue-size``), so a
  busy engine slows the sources down instead of growing memory;
* the engine task takes events in batches, journals and applies them, and once the
  journal's writer thread has committed them offers the changed statistics to their
  subscriptions (nothing a client sees reflects an input a crash could lose; the loop
  serves everything else while the disk or PostgreSQL is waited for);
* a ticker runs every second: clock-driven resets, Periodical notifications, values that
  move with time, removal of statistics unused for ``old-stats-removal-interval``;
* a backup task writes a snapshot every ``auto-backup-interval`` seconds from a forked
  child and drops the journal it covers;
* the configuration is reloaded on SIGHUP and when the file changes.

Clients never slow the engine: values go to a bounded per-client queue that a writer task
drains; a client whose queue overflows is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from statserver.config.load import LoadedConfig, load_config, load_config_text
from statserver.core.engine import Engine
from statserver.errors import ConfigError
from statserver.events.record import encode_event, parse_time
from statserver.link.protocol import Link
from statserver.protocol.session import ClientSession
from statserver.service.metrics import Metrics
from statserver.service.persistence import Journal, restore, snapshot_in_child
from statserver.service.pool import PoolOptions, StatPool
from statserver.service.sources import SourceEvent, make_source
from statserver.service.storage import MemoryStorage, Storage, open_storage

__all__ = ["ServerOptions", "StatServer"]

log = logging.getLogger("statserver")


def _float(options: dict[str, Any], key: str, default: float) -> float:
    try:
        return float(options.get(key, default))
    except (TypeError, ValueError):
        msg = f"option {key} must be a number of seconds, not {options.get(key)!r}"
        raise ConfigError(msg, path=f"options.{key}") from None


def _bool(options: dict[str, Any], key: str, default: bool) -> bool:
    value = options.get(key, default)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true", "1", "on")


@dataclass(frozen=True)
class ServerOptions:
    """``[statserver]`` options of the running server (see docs/configuration.md)."""

    auto_backup_interval: float = 60.0
    backup_file_name: str = "statserver-backup.sqlite"
    old_stats_removal_interval: float = 3 * 24 * 3600.0
    generate_stat_validity_events: bool = True
    max_output_queue_size: int = 10_000
    input_queue_size: int = 10_000
    reload_poll_interval: float = 2.0
    #: seconds between two moves of the live objects out of the collector's reach (0: never)
    gc_freeze_interval: float = 0.2
    #: WebSocket permessage-deflate (smaller frames for remote clients, more CPU per push)
    websocket_compression: bool = False
    #: batched clients (``?batch=1``) get at most one frame every so many seconds (0: one
    #: as soon as values are ready)
    batch_frame_interval: float = 0.0
    #: the engine takes the events waiting for it at most once every so many seconds and
    #: pushes what they changed once (0: as often as events arrive)
    engine_batch_interval: float = 0.003

    @classmethod
    def from_config(cls, options: dict[str, Any]) -> ServerOptions:
        base = cls()
        return cls(
            auto_backup_interval=_float(options, "auto-backup-interval", base.auto_backup_interval),
            backup_file_name=str(options.get("backup-file-name", base.backup_file_name)),
            old_stats_removal_interval=_float(
                options, "old-stats-removal-interval", base.old_stats_removal_interval
            ),
            generate_stat_validity_events=_bool(
                options, "generate-stat-validity-events", base.generate_stat_validity_events
            ),
            max_output_queue_size=int(
                _float(options, "max-output-queue-size", base.max_output_queue_size)
            ),
            input_queue_size=int(_float(options, "input-queue-size", base.input_queue_size)),
            reload_poll_interval=_float(
                options, "config-reload-poll-interval", base.reload_poll_interval
            ),
            gc_freeze_interval=_float(options, "gc-freeze-interval", base.gc_freeze_interval),
            websocket_compression=_bool(
                options, "websocket-compression", base.websocket_compression
            ),
            batch_frame_interval=max(
                0.0, _float(options, "batch-frame-interval", base.batch_frame_interval)
            ),
            engine_batch_interval=max(
                0.0, _float(options, "engine-batch-interval", base.engine_batch_interval)
            ),
        )


class Waker(Protocol):
    """A client connection, as the server sees it: told when it has something to write."""

    def wake(self) -> None: ...


class StatServer:
    #: statistics ticked, and statistics swept, between two chances for the engine to run
    #: (see ``_ticker``)
    TICK_SLICE: ClassVar[int] = 500
    SWEEP_SLICE: ClassVar[int] = 20_000

    def __init__(
        self,
        config: LoadedConfig,
        *,
        config_path: str | Path | None = None,
        storage: Storage | str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.config_path = Path(config_path) if config_path else None
        self.config_text = self._read_config_text()
        self.clock = clock
        self.options = ServerOptions.from_config(config.options)
        self.metrics = Metrics()
        if storage is None:
            storage = self.options.backup_file_name
        self.storage = open_storage(storage) if isinstance(storage, str) else storage
        restored = restore(
            self.storage,
            self._new_engine,
            self._reconfigure_text,
            freeze=self.options.gc_freeze_interval > 0,
        )
        for problem in restored.problems:
            log.error("restore: %s", problem)
        self.restored = restored
        self.engine: Engine = restored.engine
        self.journal = Journal(self.storage, restored.seq)
        self._answer_pending: set[Waker] = set()
        self._links_changed = False
        self.pool = StatPool(
            self.engine,
            PoolOptions(
                old_stats_removal_interval=self.options.old_stats_removal_interval,
                generate_stat_validity_events=self.options.generate_stat_validity_events,
            ),
            journal=self._journal_pool,
        )
        self.positions: dict[str, Any] = dict(restored.positions)
        if restored.config_text is not None and restored.config_text != self.config_text:
            log.info("configuration changed while the server was down: applying it")
            self._apply_config(config, self.config_text)
        elif restored.config_text is None and restored.from_snapshot:
            pass
        if not restored.from_snapshot and restored.replayed == 0:
            self.journal.configured(self.config_text, self.clock())
        log.info(
            "backup %s: %s, %d journal entries replayed",
            self.storage.description,
            "snapshot restored" if restored.from_snapshot else "no snapshot",
            restored.replayed,
        )
        self.queue: asyncio.Queue[SourceEvent] = asyncio.Queue(self.options.input_queue_size)
        self.sessions: set[Any] = set()
        self.sources: dict[str, Any] = {}
        self.links: dict[str, Link] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        self._source_tasks: dict[str, asyncio.Task[Any]] = {}
        self._backup_lock = asyncio.Lock()
        #: rejections of each source already counted in the metrics, by reason
        self._source_rejected: dict[str, dict[str, int]] = {}
        self.started_at = self.clock()
        self.last_backup: float | None = None
        #: the longest event-loop stall seen (seconds; a benchmark may reset it)
        self.loop_lag_max = 0.0
        self.mode = "Primary"
        self._make_sources()

    # -- construction -------------------------------------------------------------------------
    def _read_config_text(self) -> str:
        if self.config_path is not None:
            try:
                return self.config_path.read_text(encoding="utf-8")
            except OSError:
                pass
        return ""

    def _new_engine(self) -> Engine:
        c = self.config
        # the pool watches the statistics that have Changes-mode subscribers
        return Engine(c.directory, c.catalog, c.engine_options)

    def _reconfigure_text(self, engine: Engine, text: str) -> None:
        """Journal replay of a configuration change."""
        if not text:
            return
        try:
            cfg = load_config_text(
                text, source="<journal>", base=self.config_path.parent if self.config_path else None
            )
        except ConfigError as exc:
            log.error("restore: a journaled configuration no longer loads: %s", exc)
            return
        engine.reconfigure(cfg.directory, cfg.catalog, cfg.engine_options)

    def _journal_pool(self, kind: str, payload: Any) -> None:
        now = self.clock()
        if kind == "open":
            request, at = payload
            self.journal.opened(request, at, now)
        elif kind == "remove":  # the statistic's id: the pool has it in hand
            self.journal.removed(payload, now)

    def _make_sources(self) -> None:
        directory = self.engine.directory
        for name, cfg in self.config.sources.items():
            info = directory.sources.get(name)
            if info is None:
                continue
            link = Link(
                name,
                info.kind.value,
                dns=directory.dns_of_source(name),
                tenants=info.tenants,
                client_name="statserver",
            )
            source = make_source(cfg, link, clock=self.clock)
            if source is None:
                continue
            self.links[name] = link
            self.sources[name] = source

    # -- running ----------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(asyncio.create_task(self._engine_loop(), name="engine"))
        self._tasks.append(asyncio.create_task(self._ticker(), name="ticker"))
        self._tasks.append(asyncio.create_task(self._watch_loop(), name="loop-watch"))
        if self.options.gc_freeze_interval > 0:
            self._tasks.append(asyncio.create_task(self._freezer(), name="gc-freeze"))
        if not isinstance(self.storage, MemoryStorage):
            self.journal.start(loop)
        if self.options.auto_backup_interval > 0:
            self._tasks.append(asyncio.create_task(self._backups(), name="backup"))
        if self.config_path is not None:
            self._tasks.append(asyncio.create_task(self._watch_config(), name="config"))
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        for name in self.sources:
            self._start_source(name)
        if self.options.gc_freeze_interval > 0:
            # what the restore built lives on: out of the collector's reach from the start
            self.freeze_objects()

    def _start_source(self, name: str) -> None:
        source = self.sources[name]
        task = asyncio.create_task(
            source.run(self._sink, self.positions.get(name)), name=f"source:{name}"
        )
        self._source_tasks[name] = task

    async def stop(self) -> None:
        """Stop sources and tasks, then write a final snapshot (in this process)."""
        tasks = [*self._source_tasks.values(), *self._tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._drain_queue()
        self.journal.stop()
        with contextlib.suppress(Exception):
            self.snapshot_now()
        self.storage.close()

    async def _sink(self, event: SourceEvent) -> None:
        await self.queue.put(event)

    def _drain_queue(self) -> None:
        batch = []
        while True:
            try:
                batch.append(self.queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        if batch:
            self.process(batch)

    async def _engine_loop(self) -> None:
        """Apply the events waiting, in batches of at most 2,000, at most once per
        ``engine-batch-interval``: an event that finds the engine idle is applied at once;
        those that arrive while a batch is applied, or within the interval after its start,
        wait for the next batch.  Each batch has fixed costs (a journal commit, the values
        it changed read and encoded once, a write to each client that watches one); under
        load the interval shares them among more events, and a statistic that changes
        several times within it is pushed once, with its last value."""
        interval = self.options.engine_batch_interval
        loop = asyncio.get_running_loop()
        while True:
            first = await self.queue.get()
            started = loop.time()
            batch = [first]
            while len(batch) < 2000:
                try:
                    batch.append(self.queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            self.apply(batch)
            # the values go out once the batch is committed; the loop serves the clients
            # and the sources while the writer thread waits on the disk or the network
            await self.journal.committed(self.journal.commit())
            self.publish()
            await asyncio.sleep(max(0.0, started + interval - loop.time()))

    def process(self, batch: list[SourceEvent]) -> None:
        """Journal and apply a batch of events, then push what changed (written once the
        batch is committed: :meth:`wake_clients`)."""
        self.apply(batch)
        self.publish()

    def apply(self, batch: list[SourceEvent]) -> None:
        """Journal (not yet committed) and apply a batch of events."""
        links_changed = False
        engine = self.engine
        metrics = self.metrics
        before = dict(engine.counters.rejected)
        journal = self.journal
        # per source: events in this batch, and the last one (its lag is the link lag)
        counts: dict[str, int] = {}
        last: dict[str, SourceEvent] = {}
        for ev in batch:
            raw = ev.raw or encode_event(ev.record)
            journal.event(ev.source, raw, ev.received_at, ev.position)
            engine.feed(ev.record, received_at=ev.received_at)
            source = ev.source
            if ev.position is not None:
                self.positions[source] = ev.position
            counts[source] = counts.get(source, 0) + 1
            last[source] = ev
            name = ev.record.event
            if name in ("EventLinkConnected", "EventLinkDisconnected", "EventRegistered"):
                links_changed = True
                if name != "EventRegistered":
                    metrics.link_up.labels(source).set(1 if name == "EventLinkConnected" else 0)
        for source, count in counts.items():
            metrics.events.labels(source).inc(count)
            ev = last[source]
            with contextlib.suppress(ValueError):
                metrics.link_lag.labels(source).set(ev.received_at - parse_time(ev.record.time))
        for reason, count in engine.counters.rejected.items():
            delta = count - before.get(reason, 0)
            if delta:
                metrics.rejected.labels(reason).inc(delta)
        self._count_source_rejections()
        metrics.journal.inc(len(batch))
        self._links_changed = self._links_changed or links_changed

    def publish(self) -> None:
        """Offer what the batches applied since the last call changed to the clients (the
        journal is committed by then)."""
        now = self.clock()
        pushes = self.pool.pushes
        self.pool.changed(self.engine.take_changes(), now)
        if self._links_changed:
            self._links_changed = False
            self.pool.validity(now)
        self.metrics.pushes.inc(self.pool.pushes - pushes)
        self.wake_clients()

    def _count_source_rejections(self) -> None:
        """Lines a source could not decode never reach the engine: count them too."""
        for name, source in self.sources.items():
            seen = self._source_rejected.setdefault(name, {})
            for reason, count in source.status.rejected.items():
                delta = count - seen.get(reason, 0)
                if delta > 0:
                    self.metrics.rejected.labels(reason).inc(delta)
                    seen[reason] = count

    def answer_after_commit(self, conn: Waker) -> None:
        """A client's request was handled (an opening, a removal may have been journaled):
        its answers are written once the journal is committed.  The requests handled in one
        turn of the event loop share that commit: a client that opens 200 statistics in a
        row costs one commit, not 200 (each a round trip to PostgreSQL, ~1 ms, during which
        no event is applied and no value written)."""
        if not self._answer_pending:  # the first of this turn: one call for them all
            asyncio.get_running_loop().call_soon(self._answer_committed)
        self._answer_pending.add(conn)

    def _answer_committed(self) -> None:
        self.journal.flush()
        pending, self._answer_pending = self._answer_pending, set()
        for conn in pending:
            conn.wake()

    def wake_clients(self) -> None:
        # nothing leaves before the inputs it reflects are committed (a request journaled
        # since the last commit waits for _answer_committed otherwise)
        self.journal.flush()
        deepest = 0
        for conn in self.sessions:
            conn.wake()
            deepest = max(deepest, len(conn.session.outbox))
        self.metrics.output_queue.set(deepest)
        self.metrics.input_queue.set(self.queue.qsize())

    def engine_now(self, wall: float) -> float:
        """The engine clock for clock-driven work: the tenants' source clocks moved on by
        the wall time since their last event, less a second of grace for late events."""
        times = [t.ts + max(0.0, wall - t.tl) for t in self.engine.tenants.values() if t.started]
        return (min(times) if times else wall) - 1.0

    def freeze_objects(self) -> float:
        """Collect the garbage, then move every object alive out of the cyclic collector's
        reach (``gc.freeze``): the statistics, the object state and the pool live for hours,
        and a full collection that walks tens of millions of them stalls the event loop for
        seconds.  Later collections walk only what was created since: done every
        ``gc-freeze-interval`` (:meth:`_freezer`), each is a pause of milliseconds.  Returns
        the seconds it took."""
        t = time.perf_counter()
        gc.collect()
        gc.freeze()
        return time.perf_counter() - t

    async def _freezer(self) -> None:
        """Every ``gc-freeze-interval``: a full collection of what is not frozen yet, then
        freeze it.  Short intervals keep each collection short (it walks only the objects
        that survived since the last one) and reclaim cyclic garbage before it is frozen."""
        interval = self.options.gc_freeze_interval
        while True:
            await asyncio.sleep(interval)
            took = self.freeze_objects()
            if log.isEnabledFor(logging.DEBUG):
                log.debug("gc: collected and froze in %.4f s", took)

    async def _watch_loop(self, period: float = 0.05) -> None:
        """Measure how late the event loop wakes a sleeping task: the stalls that hold
        events and pushes back (``statserver_event_loop_lag_seconds``, ``loop_lag_max``)."""
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(period)
            lag = max(0.0, loop.time() - t - period)
            self.metrics.loop_lag.observe(lag)
            self.loop_lag_max = max(self.loop_lag_max, lag)

    async def _yield_to_engine(self) -> float:
        """Let the engine and the clients run between two slices of clock-driven work;
        returns the time after."""
        self.wake_clients()
        await asyncio.sleep(0)
        return self.clock()

    async def _ticker(self) -> None:
        last_sweep = self.clock()
        while True:
            now = self.clock()
            await asyncio.sleep(1.0 - (now % 1.0))
            now = self.clock()
            pushes = self.pool.pushes
            self.pool.resets(self.engine.advance(self.engine_now(now)))
            # in slices, yielding to the engine in between: a tick (or a sweep) of tens of
            # thousands of statistics would otherwise hold every event back for as long
            work = self.pool.tick_work(now)
            for i in range(0, len(work), self.TICK_SLICE):
                if i:
                    now = await self._yield_to_engine()
                self.pool.tick(now, work[i : i + self.TICK_SLICE])
            if now - last_sweep >= 60:
                last_sweep = now
                stats = self.engine.statistics()
                removed = 0
                for i in range(0, len(stats), self.SWEEP_SLICE):
                    if i:
                        now = await self._yield_to_engine()
                    removed += len(self.pool.sweep(now, stats[i : i + self.SWEEP_SLICE]))
                if removed:
                    self.journal.flush()
                    log.info("removed %d statistics unused for too long", removed)
            self.metrics.pushes.inc(self.pool.pushes - pushes)
            self.metrics.statistics.set(self.engine.statistic_count())
            self.metrics.subscriptions.set(self.pool.subscription_count)
            self.metrics.clients.set(len(self.sessions))
            self.metrics.journal_waiting.set(self.journal.seq - self.journal.committed_seq)
            for name, source in self.sources.items():
                self.metrics.link_up.labels(name).set(1 if source.status.connected else 0)
            self._count_source_rejections()
            self.wake_clients()

    # -- backup -------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "positions": dict(self.positions),
            "config_text": self.config_text,
        }

    def snapshot_now(self) -> int:
        """Write a snapshot in this process (shutdown, tests); returns its journal seq."""
        from statserver.service.snapshot import encode_snapshot

        self.journal.flush()
        seq = self.journal.seq
        _, blob = encode_snapshot(self._state(), seq)
        with self.journal.exclusive():
            self.storage.write_snapshot(seq, blob)
            self.storage.truncate(seq)
        self.last_backup = self.clock()
        self.metrics.backups.labels("ok").inc()
        log.info("backup: snapshot at journal seq %d written to %s", seq, self.storage.description)
        return seq

    async def backup(self) -> bool:
        """Write a snapshot from a forked child; the journal it covers is then dropped."""
        async with self._backup_lock:
            self.journal.flush()
            seq = self.journal.seq
            if isinstance(self.storage, MemoryStorage):
                self.snapshot_now()
                return True
            with self.journal.exclusive():  # no commit half-done in the child's copy
                pid = snapshot_in_child(self._state(), self.storage, seq)
            ok = True
            if pid is not None:
                _, status = await asyncio.to_thread(os.waitpid, pid, 0)
                ok = os.waitstatus_to_exitcode(status) == 0
            if ok:
                with self.journal.exclusive():
                    self.storage.truncate(seq)
                self.last_backup = self.clock()
                self.metrics.backups.labels("ok").inc()
                log.info(
                    "backup: snapshot at journal seq %d written to %s",
                    seq,
                    self.storage.description,
                )
            else:
                log.error("backup: the snapshot process failed; the journal is kept")
                self.metrics.backups.labels("failed").inc()
            return ok

    async def _backups(self) -> None:
        while True:
            await asyncio.sleep(self.options.auto_backup_interval)
            try:
                await self.backup()
            except Exception:
                log.exception("backup failed")
                self.metrics.backups.labels("failed").inc()

    # -- configuration reload -----------------------------------------------------------------
    def request_reload(self) -> None:
        asyncio.get_running_loop().call_soon(self.reload)

    def reload(self) -> bool:
        """Reload the configuration file; False (and the old one kept) when it is invalid."""
        if self.config_path is None:
            return False
        try:
            cfg = load_config(self.config_path)
        except ConfigError as exc:
            log.error("configuration reload refused: %s", exc)
            return False
        text = self._read_config_text()
        if text == self.config_text:
            return True
        self.journal.configured(text, self.clock())
        self._apply_config(cfg, text)
        self.journal.flush()
        log.info("configuration reloaded from %s", self.config_path)
        return True

    def _apply_config(self, cfg: LoadedConfig, text: str) -> None:
        self.engine.reconfigure(cfg.directory, cfg.catalog, cfg.engine_options)
        self.config = cfg
        self.config_text = text
        for name, link in self.links.items():
            dns = self.engine.directory.dns_of_source(name)
            added = [dn for dn in dns if dn not in link.dns]
            link.dns = tuple(dns)
            source = self.sources.get(name)
            if added and source is not None and hasattr(source, "register"):
                source.register(added)
        now = self.clock()
        self.pool.changed(self.engine.take_changes(), now)
        self.wake_clients()

    async def _watch_config(self) -> None:
        assert self.config_path is not None
        path = self.config_path
        with contextlib.suppress(OSError):
            mtime = path.stat().st_mtime
        while True:
            await asyncio.sleep(self.options.reload_poll_interval)
            try:
                current = path.stat().st_mtime
            except OSError:
                continue
            if current != mtime:
                mtime = current
                self.reload()

    # -- clients ------------------------------------------------------------------------------
    def new_session(self, name: str = "") -> ClientSession:
        tenants = list(self.engine.tenants)
        return ClientSession(
            self.pool,
            name=name,
            max_queue=self.options.max_output_queue_size,
            default_tenant=tenants[0] if len(tenants) == 1 else None,
            validity_events=self.options.generate_stat_validity_events,
        )
