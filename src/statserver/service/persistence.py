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

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    """Numbers and buffers inputs; :meth:`flush` commits them to storage."""

    def __init__(self, storage: Storage, seq: int) -> None:
        self.storage = storage
        self.seq = seq
        self.buffer: list[Entry] = []
        self.written = 0

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

    def flush(self) -> None:
        if self.buffer:
            entries, self.buffer = self.buffer, []
            self.storage.append(entries)
            self.written += len(entries)


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
