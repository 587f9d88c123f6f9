"""T-Library events (T-Server, SIP Server) turned into regular-DN and mediation-DN actions.

Modules: ``links`` (link state and registration), ``agents`` (login, modes, hook, DND),
``calls`` (calls at regular DNs), ``queues`` (mediation DNs), ``common``.

The mapping is the standard Genesys call model; ``docs/actions.md`` gives it as a table.
Rules worth knowing:

* an event on a DN that was never registered registers it implicitly (a recorded file
  needs no EventRegistered); ``EventRegistered`` may carry the DN's current state in
  ``extensions`` (``agentID``/``workMode`` of a logged-in agent, ``offHook``, ``dnd``,
  ``calls``) and the engine reconciles to it;
* an agent event (ready, not ready) on a DN where nobody is logged in logs the reported
  ``agentID`` in implicitly;
* the mediation DN that distributed a call is remembered per switch and connection id
  between EventDiverted/EventRouteUsed and the call's end at the agent, so CallAnswered,
  CallAbandonedFromRinging, CallMissed, CallReleased, ACWCompleted and ACWMissed are also
  credited to it ("actions reflecting regular DNs").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from statserver.core.tenant import TenantEngine
from statserver.core.tlib.agents import (
    logout,
    on_dnd,
    on_hook,
    on_login,
    on_logout,
    on_not_ready,
    on_ready,
)
from statserver.core.tlib.calls import (
    drop_call,
    on_abandoned,
    on_data_changed,
    on_dialing,
    on_diverted,
    on_established,
    on_held,
    on_party_added,
    on_party_changed,
    on_party_deleted,
    on_released,
    on_retrieved,
    on_ringing,
    on_user_event,
)
from statserver.core.tlib.common import attrs_of, register
from statserver.core.tlib.links import link_connected, link_disconnected, on_registered
from statserver.core.tlib.queues import on_queued, on_treatment
from statserver.events.record import EventRecord

__all__ = [
    "TLIB_HANDLERS",
    "Handler",
    "attrs_of",
    "drop_call",
    "link_connected",
    "link_disconnected",
    "logout",
    "register",
]

Handler = Callable[[TenantEngine, EventRecord, str], None]


TLIB_HANDLERS: Final[dict[str, Handler]] = {
    "EventRegistered": on_registered,
    "EventAgentLogin": on_login,
    "EventAgentLogout": on_logout,
    "EventAgentReady": on_ready,
    "EventAgentNotReady": on_not_ready,
    "EventOffHook": on_hook,
    "EventOnHook": on_hook,
    "EventDNDOn": on_dnd,
    "EventDNDOff": on_dnd,
    "EventDialing": on_dialing,
    "EventRinging": on_ringing,
    "EventEstablished": on_established,
    "EventHeld": on_held,
    "EventRetrieved": on_retrieved,
    "EventReleased": on_released,
    "EventAbandoned": on_abandoned,
    "EventPartyChanged": on_party_changed,
    "EventPartyAdded": on_party_added,
    "EventPartyDeleted": on_party_deleted,
    "EventAttachedDataChanged": on_data_changed,
    "EventUserEvent": on_user_event,
    "EventQueued": on_queued,
    "EventRouteRequest": on_queued,
    "EventDiverted": on_diverted,
    "EventRouteUsed": on_diverted,
    "EventTreatmentApplied": on_treatment,
    "EventTreatmentEnd": on_treatment,
    "EventTreatmentNotApplied": on_treatment,
}
