"""Exact restore: a journal of every input plus periodic snapshots of the engine.

The engine is deterministic: the same inputs in the same order give the same state.  The
server therefore records every input that changes the state, in order, in a journal —
events (with their receipt time and their position in their source), statistic openings,
pool removals and configuration changes — and every ``auto-backup-interval`` seconds writes
a snapshot of the whole engine and drops the journal it covers.  After a crash (even
``kill -9``) the server loads the last snapshot, replays the journal written after it, and
asks each source to resume after the last position it journaled: every statistic is then
exactly what it would have been without the crash.

Snapshots are written by a forked child process (copy-on-write), so the server does not
stop serving while a large engine is serialised.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from statserver.core.engine import Engine, StatisticRequest
from statserver.core.stats.statistic import Statistic
from statserver.errors import BackupError, EventRejected
from statserver.events.record import decode_event
from statserver.service.snapshot import decode_snapshot, encode_snapshot
from statserver.service.storage import Entry, Storage

__all__ = ["Journal", "Restored", "restore", "snapshot_in_child"]

log = logging.getLogger("statserver.backup")

_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder()


class Journal:
    """Numbers and buffers inputs and commits them to storage, in order.

    Two ways to commit what is buffered:

    * :meth:`flush` commits it and returns once it is committed (with the writer thread,
      once that thread has committed everything handed to it);
    * :meth:`commit` hands it to the writer thread (after :meth:`start`) and returns at
      once; ``await committed(seq)`` waits for it.  The event loop serves the sockets and
      the sources meanwhile instead of waiting on the disk or on PostgreSQL's round trip.

    Whatever leaves the server must reflect only committed inputs: the server writes to
    its clients after :meth:`flush` or after ``committed``.  Storage operations from the
    loop's thread (snapshots, truncation, fork) run inside :meth:`exclusive`.
    """

    def __init__(self, storage: Storage, seq: int) -> None:
        self.storage = storage
        self.seq = seq
        self.buffer: list[Entry] = []
        self.written = 0
        self._committed = seq  # without the writer thread; with it, the thread's
        self._writer: _Writer | None = None
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def add(self, kind: str, t: float, payload: Any) -> None:
        self.seq += 1
        self.buffer.append((self.seq, kind, t, _enc.encode(payload)))

    def event(self, source: str, raw: bytes, received_at: float, position: Any) -> None:
        self.add("e", received_at, [source, raw, received_at, position])

    def opened(self, request: StatisticRequest, at: float | None, now: float) -> None:
        body = dataclasses.asdict(request)
        if body.get("inline") is not None:
            body["inline"] = dict(body["inline"])
        self.add("o", now, [body, at])

    def removed(self, stat_id: int, now: float) -> None:
        self.add("r", now, stat_id)

    def configured(self, text: str, now: float) -> None:
        self.add("c", now, text)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit from a thread of its own from now on (:meth:`commit`)."""
        if self._writer is None:

            def committed() -> None:  # in the writer thread
                with contextlib.suppress(RuntimeError):  # the loop closed: no one waits
                    loop.call_soon_threadsafe(self._on_commit)

            self._writer = _Writer(self.storage, self._committed, committed)
            self._writer.start()

    def stop(self) -> None:
        """Commit what is left and stop the writer thread."""
        self.flush()
        if self._writer is not None:
            self._writer.stop()
            self._committed = self._writer.done_seq
            self._writer = None

    def commit(self) -> int:
        """Hand what is buffered to the writer thread (or commit it now, without one);
        returns the sequence number to wait for with :meth:`committed`."""
        if self.buffer:
            entries, self.buffer = self.buffer, []
            self.written += len(entries)
            if self._writer is None:
                self.storage.append(entries)
                self._committed = entries[-1][0]
            else:
                self._writer.submit(entries)
        return self.seq

    async def committed(self, seq: int) -> None:
        """Wait until every entry up to ``seq`` is committed (not while commits fail)."""
        if seq <= self.committed_seq or self.failing is not None:
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((seq, fut))
        await fut

    def flush(self) -> None:
        """Commit what is buffered and wait until everything journaled is committed (not
        while commits fail: the writer thread retries them)."""
        self.commit()
        if self._writer is not None:
            self._writer.wait_idle()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Use the storage from this thread (or fork) while the writer thread waits."""
        if self._writer is None:
            yield
        else:
            with self._writer.paused():
                yield

    @property
    def committed_seq(self) -> int:
        """The last entry committed."""
        return self._writer.done_seq if self._writer is not None else self._committed

    @property
    def failing(self) -> BaseException | None:
        """Why the last commit failed, while the writer thread retries; None when well."""
        return self._writer.failing if self._writer is not None else None

    @property
    def failures(self) -> int:
        """Commits that failed since the start (each retried)."""
        return self._writer.failures if self._writer is not None else 0

    def _on_commit(self) -> None:
        failing = self.failing is not None
        still = []
        for want, fut in self._waiters:
            if fut.done():
                continue
            if failing or want <= self.committed_seq:
                fut.set_result(None)
            else:
                still.append((want, fut))
        self._waiters = still


class _Writer:
    """The thread that commits the journal: whatever was handed to it since its last
    commit goes in one transaction (a group commit).  SQLite and psycopg release the GIL
    while they wait on the disk or the network.

    A commit that fails (PostgreSQL restarting, a full disk) is retried, with a pause that
    grows to :attr:`MAX_PAUSE`, after :meth:`Storage.recover` (a new connection) and
    without the entries the storage already holds; meanwhile the entries wait in memory,
    :attr:`failing` says why, and nothing waits for the commits: the server goes on
    serving (a crash during the outage loses what is not written)."""

    FIRST_PAUSE: ClassVar[float] = 0.05
    MAX_PAUSE: ClassVar[float] = 2.0

    def __init__(self, storage: Storage, done_seq: int, on_commit: Callable[[], None]) -> None:
        self.storage = storage
        self.on_commit = on_commit
        self.cond = threading.Condition()
        self.pending: list[Entry] = []
        self.busy = False
        self.stopping = False
        self.done_seq = done_seq
        self.failing: BaseException | None = None
        self.failures = 0
        self.thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, entries: list[Entry]) -> None:
        with self.cond:
            self.pending.extend(entries)
            self.cond.notify_all()

    def wait_idle(self) -> None:
        """Wait until everything submitted is committed (not while commits fail)."""
        with self.cond:
            while (self.pending or self.busy) and self.failing is None:
                self.cond.wait()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        with self.cond:
            while self.busy:
                self.cond.wait()
            yield

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.thread.join()

    def _run(self) -> None:
        pause = self.FIRST_PAUSE
        while True:
            with self.cond:
                while not self.pending and not self.stopping:
                    self.cond.wait()
                if not self.pending:
                    return
                entries, self.pending = self.pending, []
                self.busy = True
            try:
                if self.failing is not None:
                    self.storage.recover()
                    held = self.storage.last_seq()  # a commit whose answer was lost
                    entries = [e for e in entries if e[0] > held]
                self.storage.append(entries)
            except Exception as exc:
                with self.cond:
                    if self.failing is None:
                        log.error(
                            "backup: the journal cannot be written (%s): retrying; values "
                            "are pushed meanwhile, and a crash before it is written again "
                            "loses what waits",
                            exc,
                        )
                    self.failing = exc
                    self.failures += 1
                    self.pending[:0] = entries
                    self.busy = False
                    self.cond.notify_all()
                self.on_commit()  # nobody waits for the commits meanwhile
                with self.cond:
                    self.cond.wait_for(lambda: self.stopping, timeout=pause)
                    if self.stopping:
                        log.error(
                            "backup: stopped with %d journal entries not written",
                            len(self.pending),
                        )
                        return
                pause = min(pause * 2, self.MAX_PAUSE)
                continue
            with self.cond:
                if self.failing is not None:
                    log.warning("backup: the journal is written again")
                    self.failing = None
                    pause = self.FIRST_PAUSE
                self.busy = False
                if entries:
                    self.done_seq = entries[-1][0]
                self.cond.notify_all()
            self.on_commit()


@dataclass
class Restored:
    engine: Engine
    seq: int
    positions: dict[str, Any] = field(default_factory=dict)
    config_text: str | None = None
    replayed: int = 0
    from_snapshot: bool = False
    problems: list[str] = field(default_factory=list)


def restore(
    storage: Storage,
    new_engine: Callable[[], Engine],
    reconfigure: Callable[[Engine, str], None],
    *,
    freeze: bool = False,
) -> Restored:
    """Load the last snapshot and replay the journal after it.  With ``freeze`` the loaded
    state is moved out of the garbage collector's reach (``gc-freeze-interval``)."""
    problems: list[str] = []
    result: Restored | None = None
    snap = storage.latest_snapshot()
    if snap is not None:
        try:
            header, state = decode_snapshot(snap[1], freeze=freeze)
            result = Restored(
                engine=state["engine"],
                seq=header.seq,
                positions=dict(state["positions"]),
                config_text=state.get("config_text"),
                from_snapshot=True,
            )
            # backup formats 4 and 5: the times of the last requests beside the engine, by
            # statistic id (a statistic holds its own since format 6)
            requested: dict[int, float] = state.get("last_request") or {}
            if requested:
                for stat in result.engine.statistics():
                    stat.last_request = requested.get(stat.id, -1.0)
        except BackupError as exc:
            problems.append(f"the last snapshot cannot be used: {exc}")
            log.error("backup: the last snapshot cannot be used: %s", exc)
    if result is None:
        first = next(storage.entries_after(0), None)
        if snap is not None and snap[0] > 0 and (first is None or first[0] != 1):
            # the snapshot covered journal entries that were dropped: they are gone
            problems.append(
                "the journal the snapshot covered was dropped (it does not start at the "
                "beginning): starting afresh"
            )
            log.error("backup: %s", problems[-1])
            result = Restored(engine=new_engine(), seq=storage.last_seq())
            result.problems = problems
            return result
        result = Restored(engine=new_engine(), seq=0)
    result.problems = problems
    engine = result.engine
    #: the statistics by id, made at the first removal in the journal (the engine has no
    #: index by id) and kept up to date as the journal opens and removes them
    by_id: dict[int, Statistic] | None = None
    for seq, kind, t, data in storage.entries_after(result.seq):
        body = _dec.decode(data)
        if kind == "e":
            source, raw, received_at, position = body
            with contextlib.suppress(EventRejected):
                engine.feed(decode_event(raw), received_at=received_at)
            if position is not None:
                result.positions[source] = position
        elif kind == "o":
            req_body, at = body
            if req_body.get("inline_profile") is not None:
                req_body["inline_profile"] = tuple(req_body["inline_profile"])
            try:
                stat = engine.open(StatisticRequest(**req_body), at=at)
                stat.last_request = t
                if by_id is not None:
                    by_id[stat.id] = stat
            except Exception as exc:  # the same request failed when it was made
                log.debug("journal open %s failed again: %s", seq, exc)
        elif kind == "r":
            if by_id is None:
                by_id = {s.id: s for s in engine.statistics()}
            gone = by_id.pop(int(body), None)
            if gone is not None:
                engine.remove(gone)
        elif kind == "c":
            reconfigure(engine, str(body))
            result.config_text = str(body)
        result.seq = seq
        result.replayed += 1
    return result


def snapshot_in_child(state: dict[str, Any], storage: Storage, seq: int) -> int | None:
    """Write a snapshot from a forked child; returns its pid (None: written in-process)."""
    if not hasattr(os, "fork"):  # pragma: no cover - not on Linux
        _, blob = encode_snapshot(state, seq)
        storage.write_snapshot(seq, blob)
        return None
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            _, blob = encode_snapshot(state, seq)
            own = storage.reopen()
            own.write_snapshot(seq, blob)
            own.close()
            code = 0
        except BaseException:
            # the parent only sees the exit code: say here what went wrong
            log.exception("backup: the snapshot process failed")
        finally:
            os._exit(code)
    return pid
