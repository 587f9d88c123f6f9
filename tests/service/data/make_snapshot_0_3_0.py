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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from release_snapshot import T0, event, new_server, write

from statserver.core.engine import StatisticRequest

PROFILES = (None, ("Growing", "00:00+01:00"), ("Growing", "00:00+00:15"))


def main() -> None:
    server = new_server()
    event(server, "EventAgentLogin", T0, thisDN="7001", agentID="5001", workMode="ManualIn")
    for profile in PROFILES:
        request = StatisticRequest("Resources", "Agent", "a1", "ReadyTime", inline_profile=profile)
        server.pool.open(request, T0)
    event(server, "EventAgentNotReady", T0 + 600, thisDN="7001")
    event(server, "EventAgentReady", T0 + 840, thisDN="7001")
    write(server, "snapshot-0.3.0.bin")


if __name__ == "__main__":
    main()
