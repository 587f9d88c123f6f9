"""The backup format: a versioned, checked snapshot of the whole engine state.

A snapshot is::

    b"STATSRV\\0" | 4-byte big-endian header length | header (JSON) | payload

The header says the format version, the Stat Server version that wrote it, when, the journal
sequence number it includes, and the SHA-256 of the payload; the payload is the engine state
pickled (protocol 5, platform independent) and compressed with Zstandard (level 3: a
quarter smaller than zlib's fastest level, and both ways faster).  Loading checks the magic,
the format, the version and the checksum, and says precisely what is wrong otherwise.
Pickle runs code when loading: a backup must come from a trusted place (your own server).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import pickle
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

import zstandard

from statserver.errors import BackupError

__all__ = [
    "FORMAT",
    "READABLE_FORMATS",
    "SnapshotHeader",
    "collector_paused",
    "decode_snapshot",
    "encode_snapshot",
    "server_version",
]

MAGIC: Final = b"STATSRV\x00"
#: 2: Zstandard instead of zlib; statistic keys are named tuples, windows are shared
#: (snapshots of format 1 are refused with a message that says so).
#: 3 (0.2.1): tracks keep an open segment as its item, Sliding windows their own step
#: accumulators as ``StepAcc``; 0.2.0 would misread such a snapshot, so it must refuse it,
#: and it refuses any format but 2.  0.2.1 reads formats 2 and 3.
#: 4 (0.3.0): a window holds the counters of its interval or step in progress itself (no
#: accumulator object of its own), and a Sliding ring only the steps before it;
#: accumulators, windows and statistics are pickled as one tuple of their fields (so
#: changing those fields or their order is a new format).  A snapshot of 0.2.x is refused
#: by its version already (major.minor must match).
#: 5 (0.3.1): a track keys its open segments by the item instead of the item's id.  0.3.1
#: reads format 4 too (``Engine.__setstate__`` keys them anew); 0.3.0 refuses format 5,
#: which it would misread.
#: 6 (0.3.2): a statistic holds 17 fields instead of 24 (its object, ranges and filter are
#: read from its key; Formula, CustomFormula and structured statistics keep what only they
#: need in a ``StatExtras``; it holds the time it was last requested, which the state kept
#: beside the engine, by id, as ``last_request``), the engine keeps no index of the
#: statistics by id, and a Sliding window's ring is ``None`` until a step that is not empty
#: ends.  0.3.2 reads formats 4 and 5 too (``Statistic.__setstate__`` takes the 24 fields,
#: ``Engine.__setstate__`` drops the index, ``persistence.restore`` hands the times of the
#: last requests to the statistics; a ring that is a list stays one); 0.3.1 refuses format
#: 6, which it would misread.
FORMAT: Final = 6
#: the formats this version loads
READABLE_FORMATS: Final = (4, 5, 6)
ZSTD_LEVEL: Final = 3


def server_version() -> str:
    try:
        return version("statserver")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


@dataclass(frozen=True)
class SnapshotHeader:
    format: int
    statserver: str
    created: float
    seq: int
    sha256: str
    size: int


def encode_snapshot(state: Any, seq: int) -> tuple[SnapshotHeader, bytes]:
    payload = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(pickle.dumps(state, protocol=5))
    header = SnapshotHeader(
        format=FORMAT,
        statserver=server_version(),
        created=time.time(),
        seq=seq,
        sha256=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
    )
    head = json.dumps(header.__dict__, sort_keys=True).encode()
    return header, MAGIC + struct.pack(">I", len(head)) + head + payload


@contextlib.contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """The cyclic garbage collector off for a while.  Unpickling a million statistics
    creates tens of millions of objects, none of them garbage: with the collector on, every
    few hundred allocations start a collection that walks the objects made so far.

    With ``freeze`` the objects alive at the end are moved out of the collector's reach
    (``gc.freeze``, see the ``gc-freeze-interval`` option); otherwise the first collections
    after the pause walk them all once."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _compatible(written: str, running: str) -> bool:
    return written.split(".")[:2] == running.split(".")[:2]


def decode_snapshot(blob: bytes, *, freeze: bool = False) -> tuple[SnapshotHeader, Any]:
    """Check a snapshot and load its state; ``freeze``: see :func:`collector_paused`."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4:
        raise BackupError("not a Stat Server backup (bad magic number)")
    (hlen,) = struct.unpack(">I", blob[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    try:
        header = SnapshotHeader(**json.loads(blob[start : start + hlen]))
    except (ValueError, TypeError) as exc:
        raise BackupError(f"backup header is damaged: {exc}") from None
    if header.format not in READABLE_FORMATS:
        *most, last = (str(f) for f in READABLE_FORMATS)
        readable = f"{', '.join(most)} and {last}" if most else last
        formats = "formats" if len(READABLE_FORMATS) > 1 else "format"
        raise BackupError(
            f"backup format {header.format} is not supported by this version (it reads "
            f"{formats} {readable})"
        )
    if not _compatible(header.statserver, server_version()):
        raise BackupError(
            f"backup written by Stat Server {header.statserver}; this is {server_version()}: "
            "restore it with the same major.minor version (see docs/operations.md, upgrade)"
        )
    payload = blob[start + hlen :]
    if len(payload) != header.size or hashlib.sha256(payload).hexdigest() != header.sha256:
        raise BackupError("backup checksum mismatch: the file is truncated or damaged")
    try:
        with collector_paused(freeze=freeze):
            state = pickle.loads(zstandard.ZstdDecompressor().decompress(payload))
    except Exception as exc:
        raise BackupError(f"backup cannot be loaded: {type(exc).__name__}: {exc}") from None
    return header, state
