"""Where backups live: a journal of every input since the last snapshot, and snapshots.

Two implementations with one contract (checked by the same tests): SQLite (the default, a
file in WAL mode) and PostgreSQL (psycopg 3).  ``MemoryStorage`` is the in-process twin for
tests.  Journal entries are ``(seq, kind, time, data)`` with ``seq`` strictly increasing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from statserver.errors import BackupError

__all__ = ["Entry", "MemoryStorage", "PostgresStorage", "SqliteStorage", "Storage", "open_storage"]

Entry = tuple[int, str, float, bytes]


class Storage(Protocol):
    def append(self, entries: list[Entry]) -> None: ...
    def entries_after(self, seq: int) -> Iterator[Entry]: ...
    def last_seq(self) -> int: ...
    def write_snapshot(self, seq: int, blob: bytes) -> None: ...
    def latest_snapshot(self) -> tuple[int, bytes] | None: ...
    def truncate(self, upto: int) -> None: ...
    def reopen(self) -> Storage: ...
    def recover(self) -> None: ...
    def close(self) -> None: ...
    @property
    def description(self) -> str: ...


class MemoryStorage:
    def __init__(self) -> None:
        self.journal: list[Entry] = []
        self.snapshots: list[tuple[int, bytes]] = []

    @property
    def description(self) -> str:
        return "memory"

    def append(self, entries: list[Entry]) -> None:
        self.journal.extend(entries)

    def entries_after(self, seq: int) -> Iterator[Entry]:
        return iter([e for e in self.journal if e[0] > seq])

    def last_seq(self) -> int:
        snap = max((s for s, _ in self.snapshots), default=0)
        return max((e[0] for e in self.journal), default=snap)

    def write_snapshot(self, seq: int, blob: bytes) -> None:
        self.snapshots.append((seq, blob))
        del self.snapshots[:-2]

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        return self.snapshots[-1] if self.snapshots else None

    def truncate(self, upto: int) -> None:
        self.journal = [e for e in self.journal if e[0] > upto]

    def recover(self) -> None:
        """Nothing to mend: memory does not fail."""

    def reopen(self) -> MemoryStorage:
        return self

    def close(self) -> None:
        pass


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL,
                                    t REAL NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (id INTEGER PRIMARY KEY AUTOINCREMENT,
                                      seq INTEGER NOT NULL, data BLOB NOT NULL);
"""


class SqliteStorage:
    """A SQLite file in WAL mode; safe against a killed process (synchronous=NORMAL)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=30000")
            self.db.executescript(_SQLITE_SCHEMA)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot open backup file {self.path}: {exc}") from None

    @property
    def description(self) -> str:
        return f"sqlite:{self.path}"

    def append(self, entries: list[Entry]) -> None:
        if not entries:
            return
        db = self.db
        db.execute("BEGIN")
        db.executemany("INSERT INTO journal (seq, kind, t, data) VALUES (?, ?, ?, ?)", entries)
        db.execute("COMMIT")

    def entries_after(self, seq: int) -> Iterator[Entry]:
        cur = self.db.execute(
            "SELECT seq, kind, t, data FROM journal WHERE seq > ? ORDER BY seq", (seq,)
        )
        for row in cur:
            yield int(row[0]), str(row[1]), float(row[2]), bytes(row[3])

    def last_seq(self) -> int:
        row = self.db.execute(
            "SELECT MAX(m) FROM (SELECT MAX(seq) AS m FROM journal "
            "UNION ALL SELECT MAX(seq) FROM snapshots)"
        ).fetchone()
        return int(row[0] or 0)

    def write_snapshot(self, seq: int, blob: bytes) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO snapshots (seq, data) VALUES (?, ?)", (seq, blob))
        db.execute(
            "DELETE FROM snapshots WHERE id NOT IN "
            "(SELECT id FROM snapshots ORDER BY id DESC LIMIT 2)"
        )
        db.execute("COMMIT")

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        row = self.db.execute("SELECT seq, data FROM snapshots ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def truncate(self, upto: int) -> None:
        self.db.execute("DELETE FROM journal WHERE seq <= ?", (upto,))

    def recover(self) -> None:
        """After a failed write: roll back what it left open."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def reopen(self) -> SqliteStorage:
        return SqliteStorage(self.path)

    def close(self) -> None:
        self.db.close()


class PostgresStorage:
    """The same tables in PostgreSQL (psycopg 3), under a table-name prefix."""

    def __init__(self, conninfo: str, prefix: str = "statserver") -> None:
        import psycopg

        self.conninfo = conninfo
        self.prefix = prefix
        self._psycopg = psycopg
        try:
            self.db: Any = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise BackupError(f"cannot connect to PostgreSQL ({conninfo}): {exc}") from None
        j, s = self._tables
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {j} (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, "
            "t DOUBLE PRECISION NOT NULL, data BYTEA NOT NULL)"
        )
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {s} (id BIGSERIAL PRIMARY KEY, seq BIGINT NOT NULL, "
            "data BYTEA NOT NULL)"
        )

    @property
    def _tables(self) -> tuple[str, str]:
        return f"{self.prefix}_journal", f"{self.prefix}_snapshots"

    @property
    def description(self) -> str:
        return f"postgresql:{self.prefix}"

    def append(self, entries: list[Entry]) -> None:
        if not entries:
            return
        j, _ = self._tables
        with (
            self.db.transaction(),
            self.db.cursor() as cur,
            cur.copy(f"COPY {j} (seq, kind, t, data) FROM STDIN") as copy,
        ):
            for entry in entries:
                copy.write_row(entry)

    def entries_after(self, seq: int) -> Iterator[Entry]:
        j, _ = self._tables
        with (
            self.db.cursor(name="journal_read")
            if not self.db.autocommit
            else (self.db.cursor()) as cur
        ):
            cur.execute(f"SELECT seq, kind, t, data FROM {j} WHERE seq > %s ORDER BY seq", (seq,))
            for row in cur:
                yield int(row[0]), str(row[1]), float(row[2]), bytes(row[3])

    def last_seq(self) -> int:
        j, s = self._tables
        row = self.db.execute(
            f"SELECT GREATEST((SELECT MAX(seq) FROM {j}), (SELECT MAX(seq) FROM {s}))"
        ).fetchone()
        return int(row[0] or 0)

    def write_snapshot(self, seq: int, blob: bytes) -> None:
        _, s = self._tables
        with self.db.transaction():
            self.db.execute(f"INSERT INTO {s} (seq, data) VALUES (%s, %s)", (seq, blob))
            self.db.execute(
                f"DELETE FROM {s} WHERE id NOT IN (SELECT id FROM {s} ORDER BY id DESC LIMIT 2)"
            )

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        _, s = self._tables
        row = self.db.execute(f"SELECT seq, data FROM {s} ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def truncate(self, upto: int) -> None:
        j, _ = self._tables
        self.db.execute(f"DELETE FROM {j} WHERE seq <= %s", (upto,))

    def recover(self) -> None:
        """After a failed write: connect again if the connection was lost (a restart of
        PostgreSQL, a network cut); raises BackupError while it cannot."""
        if self.db.closed or self.db.broken:
            try:
                self.db = self._psycopg.connect(self.conninfo, autocommit=True)
            except self._psycopg.Error as exc:
                raise BackupError(
                    f"cannot connect to PostgreSQL ({self.conninfo}): {exc}"
                ) from None

    def reopen(self) -> PostgresStorage:
        return PostgresStorage(self.conninfo, self.prefix)

    def close(self) -> None:
        self.db.close()


def open_storage(spec: str) -> Storage:
    """``postgresql://...`` (or ``postgres://``) for PostgreSQL, ``:memory:`` for memory,
    anything else is a SQLite file path."""
    if spec.startswith(("postgresql://", "postgres://")):
        return PostgresStorage(spec)
    if spec == ":memory:":
        return MemoryStorage()
    return SqliteStorage(spec)
