"""One storage contract (src/statserver/service/storage.py), checked against every backend:
MemoryStorage, SqliteStorage and PostgresStorage.

The journal keeps ``(seq, kind, time, data)`` entries in ``seq`` order; ``last_seq`` is the
highest sequence number written (journal or snapshot); the two most recent snapshots are
kept; ``truncate(upto)`` drops the entries a snapshot covers; a backup written by one
connection is read back by another (the forked snapshot writer, a restarted process).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from statserver.errors import BackupError
from statserver.service.storage import (
    MemoryStorage,
    PostgresStorage,
    SqliteStorage,
    Storage,
    open_storage,
)

Factory = Callable[[], Storage]


def entries(seqs: range | list[int], kind: str = "e") -> list[tuple[int, str, float, bytes]]:
    return [(s, kind, 1000.0 + s, f"payload {s}".encode()) for s in seqs]


def check_storage(factory: Factory, *, persistent: bool) -> None:
    """The contract every storage keeps (``persistent``: data survives a new connection)."""
    st = factory()
    assert st.last_seq() == 0
    assert list(st.entries_after(0)) == []
    assert st.latest_snapshot() is None
    # append and read back in seq order, after any seq
    st.append(entries(range(1, 4)))
    st.append(entries(range(4, 6), "o"))
    st.append([])  # nothing to do
    got = list(st.entries_after(0))
    assert got == entries(range(1, 4)) + entries(range(4, 6), "o")
    assert [e[0] for e in st.entries_after(3)] == [4, 5]
    assert list(st.entries_after(5)) == []
    assert all(isinstance(e[3], bytes) and isinstance(e[2], float) for e in got)
    assert st.last_seq() == 5
    # snapshots: the latest wins, the two most recent are kept
    st.write_snapshot(3, b"snap-3")
    assert st.latest_snapshot() == (3, b"snap-3")
    st.truncate(3)
    assert [e[0] for e in st.entries_after(0)] == [4, 5]
    assert st.last_seq() == 5
    st.write_snapshot(5, b"snap-5")
    st.truncate(5)
    assert list(st.entries_after(0)) == []
    assert st.last_seq() == 5  # remembered by the snapshot when the journal is empty
    st.write_snapshot(5, b"snap-5b")
    assert st.latest_snapshot() == (5, b"snap-5b")
    _assert_kept_snapshots(st, [b"snap-5", b"snap-5b"])
    # a large blob and binary data survive unchanged
    blob = bytes(range(256)) * 4096
    st.append([(6, "e", 2.5, blob)])
    assert list(st.entries_after(5)) == [(6, "e", 2.5, blob)]
    # another connection (the forked snapshot writer, a restarted server) sees it all
    other = st.reopen()
    other.write_snapshot(6, b"snap-6")
    assert st.latest_snapshot() == (6, b"snap-6")
    assert [e[0] for e in other.entries_after(0)] == [6]
    if other is not st:
        other.close()
    st.close()
    if persistent:
        again = factory()
        assert again.latest_snapshot() == (6, b"snap-6")
        assert again.last_seq() == 6
        assert [e[0] for e in again.entries_after(0)] == [6]
        # a duplicate sequence number is refused (entries are never overwritten)
        with pytest.raises(Exception):  # noqa: B017 - each driver has its own error type
            again.append(entries([6]))
        assert [e[3] for e in again.entries_after(0)] == [blob]
        again.close()


def _assert_kept_snapshots(st: Storage, expected: list[bytes]) -> None:
    if isinstance(st, MemoryStorage):
        kept = [b for _, b in st.snapshots]
    elif isinstance(st, SqliteStorage):
        kept = [bytes(r[0]) for r in st.db.execute("SELECT data FROM snapshots ORDER BY id")]
    else:
        assert isinstance(st, PostgresStorage)
        _, table = st._tables
        kept = [bytes(r[0]) for r in st.db.execute(f"SELECT data FROM {table} ORDER BY id")]
    assert kept == expected


# ============================================================================ backends
def test_memory_storage() -> None:
    """MemoryStorage keeps the contract within one process."""
    check_storage(MemoryStorage, persistent=False)


def test_sqlite_storage(tmp_path: Path) -> None:
    """SQLite (the default): the contract, and the file reopened by a new connection."""
    path = tmp_path / "backup.sqlite"
    check_storage(lambda: SqliteStorage(path), persistent=True)


@pytest.fixture
def pg_prefix() -> str:
    """A table-name prefix of its own (in the test's own database, ``pg_database``)."""
    return f"sstest_{uuid.uuid4().hex[:10]}"


def test_postgres_storage(pg_database: str, pg_prefix: str) -> None:
    """PostgreSQL: the same contract, with tables under a prefix of their own."""
    check_storage(lambda: PostgresStorage(pg_database, pg_prefix), persistent=True)


# ============================================================================ across processes
READER = textwrap.dedent(
    """
    import sys
    from statserver.service.storage import PostgresStorage, open_storage
    spec, prefix = sys.argv[1], sys.argv[2]
    st = PostgresStorage(spec, prefix) if prefix else open_storage(spec)
    snap = st.latest_snapshot()
    print(st.last_seq(), snap[0] if snap else None, [e[0] for e in st.entries_after(0)])
    """
)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_backup_is_read_by_another_process(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """What one process wrote (journal and snapshot) another process reads back."""
    if kind == "sqlite":
        spec, prefix = str(tmp_path / "shared.sqlite"), ""
        st: Any = open_storage(spec)
    else:
        spec = request.getfixturevalue("pg_database")
        prefix = request.getfixturevalue("pg_prefix")
        st = PostgresStorage(spec, prefix)
    st.append(entries(range(1, 8)))
    st.write_snapshot(5, b"snap")
    st.truncate(5)
    st.close()
    out = subprocess.run(
        [sys.executable, "-c", READER, spec, prefix], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().split(maxsplit=2) == [
        "7",
        "5",
        "[6, 7]",
    ]  # last seq, snapshot seq, journal


def test_open_storage_chooses_the_backend(tmp_path: Path) -> None:
    """``--backup``: a postgresql:// URL, ``:memory:``, or a SQLite file path."""
    assert isinstance(open_storage(":memory:"), MemoryStorage)
    sqlite = open_storage(str(tmp_path / "b.sqlite"))
    assert isinstance(sqlite, SqliteStorage)
    assert sqlite.description == f"sqlite:{tmp_path / 'b.sqlite'}"
    sqlite.close()


def test_an_unusable_backup_location_is_a_backup_error(tmp_path: Path) -> None:
    """A file that cannot be opened, or a database that cannot be reached, is a BackupError
    that names it (the CLI prints it and exits)."""
    with pytest.raises(BackupError, match="cannot open backup file"):
        SqliteStorage(tmp_path / "no-such-dir" / "b.sqlite")
    with pytest.raises(BackupError, match="cannot connect to PostgreSQL"):
        PostgresStorage("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
