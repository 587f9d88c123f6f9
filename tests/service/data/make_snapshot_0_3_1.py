"""Write ``snapshot-0.3.1.bin``: a snapshot of Stat Server 0.3.1 (backup format 5), which
``test_restore.py::test_a_snapshot_written_by_0_3_1_itself_loads_and_goes_on`` restores
with this version.

Run with 0.3.1 installed (not this checkout), from the repository root::

    git worktree add /tmp/v031 308019b && python3 -m venv /tmp/venv031
    /tmp/venv031/bin/pip install /tmp/v031
    /tmp/venv031/bin/python tests/service/data/make_snapshot_0_3_1.py

Agent a1 logs in ready at 10:00:00 (T0).  Opened at T0: ReadyTime of a1 and of a2 (never
logged in) under a Sliding profile of 600 s in steps of 60 s, and the CurrentState of a1
(a structured statistic: what 0.3.2 keeps in a ``StatExtras``).  a1 is not ready from
10:05 to 10:07, and the snapshot is taken at 10:07 while a1 is ready again.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from release_snapshot import T0, event, new_server, write

from statserver.core.engine import StatisticRequest

SLIDING = ("Sliding", "600:60")
STATE = {"Category": "CurrentState", "Subject": "AgentStatus"}


def main() -> None:
    server = new_server()
    event(server, "EventAgentLogin", T0, thisDN="7001", agentID="5001", workMode="ManualIn")
    for agent in ("a1", "a2"):
        request = StatisticRequest("Resources", "Agent", agent, "ReadyTime", inline_profile=SLIDING)
        server.pool.open(request, T0)
    server.pool.open(StatisticRequest("Resources", "Agent", "a1", inline=STATE), T0)
    event(server, "EventAgentNotReady", T0 + 300, thisDN="7001")
    event(server, "EventAgentReady", T0 + 420, thisDN="7001")
    write(server, "snapshot-0.3.1.bin")


if __name__ == "__main__":
    main()
