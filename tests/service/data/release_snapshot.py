"""What the scripts that write a release's snapshot (``make_snapshot_<version>.py``) share:
a server on the configuration of test_restore.py, events from its T-Server, and the
snapshot written beside this file.  They run with that release installed, not with this
checkout (see each script)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]  # fakes.py, helpers.py

from fakes import service_config  # noqa: E402

from statserver.config import load_config_text  # noqa: E402
from statserver.events import decode_event_obj  # noqa: E402
from statserver.service.app import StatServer  # noqa: E402
from statserver.service.snapshot import encode_snapshot, server_version  # noqa: E402
from statserver.service.sources import SourceEvent  # noqa: E402
from statserver.service.storage import MemoryStorage  # noqa: E402

T0 = 1795600800  # 2026-11-25T10:00:00+00:00
#: the configuration of test_restore.py (CONFIG_TEXT)
CONFIG = service_config([{"name": "TS1", "kind": "tserver", "tenants": ["Resources"]}])


def new_server() -> StatServer:
    return StatServer(load_config_text(CONFIG, source="<release>"), storage=MemoryStorage())


def event(server: StatServer, name: str, t: int, **fields: str) -> None:
    record = decode_event_obj({"event": name, "time": t, "source": "TS1", **fields})
    server.process([SourceEvent("TS1", record, b"", t)])


def write(server: StatServer, name: str) -> None:
    """The server's snapshot into ``name`` beside this file (or the path given as the
    script's first argument)."""
    server.journal.flush()
    _, blob = encode_snapshot(server._state(), server.journal.seq)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / name
    out.write_bytes(blob)
    print(f"{out}: {len(blob)} bytes, Stat Server {server_version()}")
