"""Write ``snapshot-0.3.0.bin``: a snapshot of Stat Server 0.3.0 (backup format 4), which
``test_restore.py::test_a_snapshot_written_by_0_3_0_itself_loads_and_goes_on`` restores with this version.

Run with 0.3.0 installed (not this checkout), from the repository root::

    git worktree add /tmp/v030 <the 0.3.0 commit> && python3 -m venv /tmp/venv030
    /tmp/venv030/bin/pip install /tmp/v030
    /tmp/venv030/bin/python tests/service/data/make_snapshot_0_3_0.py

Agent a1 logs in ready at 10:00:00 (T0); ReadyTime opens at 10:00 under Default, hourly
and quarter-hourly Growing profiles; a1 is not ready from 10:10 to 10:14, and the snapshot
is taken at 10:14 while a1 is ready again.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]  # fakes.py, helpers.py

from fakes import service_config  # noqa: E402

from statserver.config import load_config_text  # noqa: E402
from statserver.core.engine import StatisticRequest  # noqa: E402
from statserver.events import decode_event_obj  # noqa: E402
from statserver.service.app import StatServer  # noqa: E402
from statserver.service.snapshot import encode_snapshot, server_version  # noqa: E402
from statserver.service.sources import SourceEvent  # noqa: E402
from statserver.service.storage import MemoryStorage  # noqa: E402

T0 = 1795600800  # 2026-11-25T10:00:00+00:00
PROFILES = (None, ("Growing", "00:00+01:00"), ("Growing", "00:00+00:15"))
#: the configuration of test_restore.py (CONFIG_TEXT)
CONFIG = service_config([{"name": "TS1", "kind": "tserver", "tenants": ["Resources"]}])


def event(server: StatServer, name: str, t: int, **fields: str) -> None:
    record = decode_event_obj({"event": name, "time": t, "source": "TS1", **fields})
    server.process([SourceEvent("TS1", record, b"", t)])


def main() -> None:
    server = StatServer(load_config_text(CONFIG, source="<0.3.0>"), storage=MemoryStorage())
    event(server, "EventAgentLogin", T0, thisDN="7001", agentID="5001", workMode="ManualIn")
    for profile in PROFILES:
        request = StatisticRequest("Resources", "Agent", "a1", "ReadyTime", inline_profile=profile)
        server.pool.open(request, T0)
    event(server, "EventAgentNotReady", T0 + 600, thisDN="7001")
    event(server, "EventAgentReady", T0 + 840, thisDN="7001")
    server.journal.flush()
    _, blob = encode_snapshot(server._state(), server.journal.seq)
    out = HERE / "snapshot-0.3.0.bin"
    out.write_bytes(blob)
    print(f"{out}: {len(blob)} bytes, Stat Server {server_version()}")


if __name__ == "__main__":
    main()
