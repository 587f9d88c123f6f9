"""A contact-center simulator: realistic T-Server and Interaction Server traffic.

* :mod:`statserver.sim.center` — the center to simulate, read from a configuration;
* :mod:`statserver.sim.core` — the pure discrete-event simulation (time in, records out),
  composed of :mod:`~statserver.sim.base` (state, clock, emitting records),
  :mod:`~statserver.sim.agents` (logins, shifts, breaks, work modes),
  :mod:`~statserver.sim.voice` (calls, routing, transfers, conferences, outbound) and
  :mod:`~statserver.sim.media` (chats and emails), over :mod:`~statserver.sim.model`;
* :mod:`statserver.sim.options` — rates, durations and the day profile;
* :mod:`statserver.sim.service` — serving it over the event link (TCP), paced;
* :mod:`statserver.sim.output` — writing JSON Lines files.

docs/simulator.md describes what is simulated and how to use ``statserver simulate``.
"""

from statserver.sim.center import Center, scale_agents
from statserver.sim.core import Emitted, Simulation, iso_time
from statserver.sim.options import SimOptions
from statserver.sim.service import SimService

__all__ = [
    "Center",
    "Emitted",
    "SimOptions",
    "SimService",
    "Simulation",
    "iso_time",
    "scale_agents",
]
