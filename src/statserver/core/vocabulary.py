"""The action vocabulary: every action Stat Server derives, its kind, family and triggers.

This table is the single source of truth for action names.  ``docs/actions.md`` is generated
from it (``statserver docs actions``) and a test keeps the two in step, so the documentation
always says which event starts and which event ends each action.

Kinds (Genesys terms):

* **durable** actions have a start and an end; they feed current categories while they last
  and historical durations when they end;
* **momentary** actions are points in time with no duration;
* **retrospective** actions are instantaneous but carry the duration of what just finished.

Families say where an action happens: on a *regular* DN (extension, ACD position), on a
*mediation* DN (ACD queue, routing point, virtual queue), on an agent's *media* channel
(reported by Interaction Servers), on a *staging* area (interaction queue), on the *tenant*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from statserver.core.identity_enum import IdentityEnum

__all__ = [
    "ACTIONS",
    "AGENT_SPT",
    "ALIASES",
    "CALL_TYPE_ACTIONS",
    "DN_SPT",
    "MEDIATION_SPT",
    "MEDIA_STATUS_NAME",
    "STATUS_NAMES",
    "STATUS_RANK",
    "VOICE_TO_MEDIA",
    "ActionSpec",
    "Family",
    "Kind",
]


class Kind(IdentityEnum):
    DURABLE = "durable"
    MOMENTARY = "momentary"
    RETROSPECTIVE = "retrospective"

    @property
    def instantaneous(self) -> bool:
        return self is not Kind.DURABLE


class Family(IdentityEnum):
    REGULAR = "regular DN"
    MEDIATION = "mediation DN"
    MEDIA = "media channel"
    STAGING = "staging area"
    TENANT = "tenant"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    kind: Kind
    family: Family
    starts: str
    ends: str = ""
    interaction: bool = False


D, M, R = Kind.DURABLE, Kind.MOMENTARY, Kind.RETROSPECTIVE
REG, MED, MCH, STG, TEN = (
    Family.REGULAR,
    Family.MEDIATION,
    Family.MEDIA,
    Family.STAGING,
    Family.TENANT,
)

_CALL_TYPES = ("Inbound", "Outbound", "Internal", "Consult", "Unknown")

_SPECS: list[ActionSpec] = [
    # ---- regular DN, durable, non-interaction -------------------------------------------
    ActionSpec(
        "NotMonitored",
        D,
        REG,
        "engine start; EventLinkDisconnected of the DN's source",
        "EventRegistered (or any event for the DN, which registers it implicitly)",
    ),
    ActionSpec(
        "Monitored",
        D,
        REG,
        "EventLinkConnected of the DN's source",
        "EventRegistered (or any event for the DN)",
    ),
    ActionSpec(
        "LoggedIn",
        D,
        REG,
        "EventAgentLogin; EventRegistered reporting a logged-in agent",
        "EventAgentLogout; EventLinkDisconnected",
    ),
    ActionSpec(
        "WaitForNextCall",
        D,
        REG,
        "EventAgentReady; EventAgentLogin with workMode ManualIn/AutoIn",
        "EventAgentNotReady; EventAgentLogout (and a call start when the option "
        "ready-ends-on-call is on)",
    ),
    ActionSpec(
        "NotReadyForNextCall",
        D,
        REG,
        "EventAgentNotReady with a workMode other than AfterCallWork",
        "EventAgentReady; EventAgentNotReady(AfterCallWork); EventAgentLogout",
    ),
    ActionSpec(
        "AfterCallWork",
        D,
        REG,
        "EventAgentNotReady with workMode AfterCallWork",
        "EventAgentReady; EventAgentNotReady (other workMode); EventAgentLogout",
    ),
    ActionSpec("OnHook", D, REG, "EventOnHook", "EventOffHook"),
    ActionSpec("OffHook", D, REG, "EventOffHook", "EventOnHook"),
    ActionSpec("DoNotDisturb", D, REG, "EventDNDOn", "EventDNDOff"),
    # ---- regular DN, durable, interaction ------------------------------------------------
    ActionSpec(
        "CallDialing",
        D,
        REG,
        "EventDialing",
        "EventEstablished; EventReleased; EventAbandoned",
        interaction=True,
    ),
    ActionSpec(
        "CallRinging",
        D,
        REG,
        "EventRinging",
        "EventEstablished (answer); EventAbandoned; EventReleased; EventDiverted; "
        "EventPartyChanged",
        interaction=True,
    ),
    *(
        ActionSpec(
            f"Call{ct}",
            D,
            REG,
            f"EventEstablished with callType {ct}",
            "EventReleased; EventAbandoned; EventPartyChanged that changes the call type",
            interaction=True,
        )
        for ct in _CALL_TYPES
    ),
    ActionSpec(
        "CallOnHold", D, REG, "EventHeld", "EventRetrieved; EventReleased", interaction=True
    ),
    # ---- regular DN, momentary / retrospective ------------------------------------------
    ActionSpec("CallDialingStarted", M, REG, "EventDialing", interaction=True),
    ActionSpec("CallRingingStarted", M, REG, "EventRinging", interaction=True),
    *(
        ActionSpec(f"Call{ct}Started", M, REG, f"start of Call{ct}", interaction=True)
        for ct in _CALL_TYPES
    ),
    *(
        ActionSpec(
            f"Call{ct}Completed",
            R,
            REG,
            f"end of Call{ct}; duration = that action's duration",
            interaction=True,
        )
        for ct in _CALL_TYPES
    ),
    ActionSpec(
        "CallConsultOriginated", M, REG, "EventDialing with callType Consult", interaction=True
    ),
    ActionSpec(
        "CallConsultReceived", M, REG, "EventRinging with callType Consult", interaction=True
    ),
    ActionSpec(
        "CallInternalOriginated", M, REG, "EventDialing with callType Internal", interaction=True
    ),
    ActionSpec(
        "CallInternalReceived", M, REG, "EventRinging with callType Internal", interaction=True
    ),
    ActionSpec(
        "CallOutboundOriginated", M, REG, "EventDialing with callType Outbound", interaction=True
    ),
    ActionSpec(
        "CallOutboundReceived", M, REG, "EventRinging with callType Outbound", interaction=True
    ),
    ActionSpec("CallHeld", M, REG, "EventHeld", interaction=True),
    ActionSpec(
        "CallRetrievedFromHold", R, REG, "EventRetrieved; duration = hold time", interaction=True
    ),
    ActionSpec(
        "CallAnswered",
        R,
        REG,
        "EventEstablished after EventRinging; duration = ringing time (on the "
        "distributing mediation DN: time from queue entry to answer)",
        interaction=True,
    ),
    ActionSpec(
        "CallAbandoned",
        R,
        REG,
        "EventAbandoned while ringing, dialing or on hold; duration = time in that phase",
        interaction=True,
    ),
    ActionSpec(
        "CallAbandonedFromRinging",
        R,
        REG,
        "EventAbandoned while ringing; duration = ringing time",
        interaction=True,
    ),
    ActionSpec(
        "CallAbandonedFromDialing",
        R,
        REG,
        "EventAbandoned while dialing; duration = dialing time",
        interaction=True,
    ),
    ActionSpec(
        "CallAbandonedFromHold",
        R,
        REG,
        "EventAbandoned while on hold; duration = hold time",
        interaction=True,
    ),
    ActionSpec(
        "CallMissed",
        R,
        REG,
        "EventReleased while ringing (ring-no-answer, pulled back); duration = ringing time",
        interaction=True,
    ),
    ActionSpec(
        "CallForwarded",
        R,
        REG,
        "EventDiverted or EventPartyChanged while ringing; duration = ringing time",
        interaction=True,
    ),
    ActionSpec("CallPartyChanged", M, REG, "EventPartyChanged", interaction=True),
    ActionSpec(
        "CallTransferMade", M, REG, "EventReleased with thisDNRole TransferredBy", interaction=True
    ),
    ActionSpec(
        "CallTransferTaken",
        M,
        REG,
        "EventPartyChanged that hands an existing call to this DN",
        interaction=True,
    ),
    ActionSpec(
        "CallConferenceMade", M, REG, "EventPartyAdded with thisDNRole AddedBy", interaction=True
    ),
    ActionSpec(
        "CallConferenceJoined",
        M,
        REG,
        "EventPartyAdded with thisDNRole NewParty or ConferenceMember",
        interaction=True,
    ),
    ActionSpec("CallPartyDeleted", M, REG, "EventPartyDeleted", interaction=True),
    ActionSpec(
        "ACWCompleted",
        R,
        REG,
        "end of AfterCallWork; duration = ACW time (also on the mediation DN that "
        "distributed the last call)",
    ),
    ActionSpec(
        "ACWMissed",
        M,
        REG,
        "EventAgentNotReady(AfterCallWork) while a call is still established "
        "(also on the distributing mediation DN)",
    ),
    ActionSpec("UserEvent", M, REG, "EventUserEvent (any DN)"),
    ActionSpec(
        "InputError", M, REG, "an input event naming this DN was rejected (see TotalNumberErrors)"
    ),
    # ---- mediation DN --------------------------------------------------------------------
    *(
        ActionSpec(
            f"CallWait{ct}",
            D,
            MED,
            f"EventQueued / EventRouteRequest with callType {ct} (Internal calls count as Unknown)",
            "EventDiverted; EventRouteUsed; EventAbandoned; EventReleased; "
            "EventPartyChanged without use-alt-enter-time",
            interaction=True,
        )
        for ct in ("Inbound", "Outbound", "Consult", "Unknown")
    ),
    ActionSpec("CallEntered", M, MED, "EventQueued; EventRouteRequest", interaction=True),
    ActionSpec(
        "CallDistributed",
        R,
        MED,
        "EventDiverted / EventRouteUsed to a regular DN; duration = waiting time",
        interaction=True,
    ),
    ActionSpec(
        "CallDistributedToQueue",
        R,
        MED,
        "EventDiverted / EventRouteUsed to another mediation DN; duration = waiting time",
        interaction=True,
    ),
    ActionSpec(
        "CallCleared",
        R,
        MED,
        "EventReleased on the mediation DN (call removed without distribution); "
        "duration = waiting time",
        interaction=True,
    ),
    ActionSpec(
        "CallReleased",
        R,
        MED,
        "EventReleased at the agent of a call distributed from this mediation DN; "
        "duration = talk time",
        interaction=True,
    ),
    ActionSpec("CallTreatmentStarted", M, MED, "EventTreatmentApplied", interaction=True),
    ActionSpec("CallTreatmentCompleted", M, MED, "EventTreatmentEnd", interaction=True),
    ActionSpec("CallTreatmentNotStarted", M, MED, "EventTreatmentNotApplied", interaction=True),
    ActionSpec(
        "AgentLogin",
        D,
        MED,
        "EventAgentLogin naming this queue in thisQueue (per agent)",
        "EventAgentLogout",
    ),
    ActionSpec(
        "DNLogin",
        D,
        MED,
        "EventAgentLogin naming this queue in thisQueue (per DN)",
        "EventAgentLogout",
    ),
    ActionSpec(
        "AgentReady",
        D,
        MED,
        "a logged-in agent of the queue becomes ready",
        "the agent becomes not ready or logs out",
    ),
    ActionSpec(
        "DNReady",
        D,
        MED,
        "a logged-in DN of the queue becomes ready",
        "the DN becomes not ready or logs out",
    ),
    ActionSpec(
        "AgentActive",
        D,
        MED,
        "a logged-in agent of the queue has a call established",
        "the last established call is released",
    ),
    ActionSpec(
        "DNActive",
        D,
        MED,
        "a logged-in DN of the queue has a call established",
        "the last established call is released",
    ),
    # ---- media channel (Interaction Server) -----------------------------------------------
    ActionSpec(
        "Delivering",
        D,
        MCH,
        "EventAgentInvited",
        "EventPartyAdded (accepted); EventRejected; EventRevoked",
        interaction=True,
    ),
    ActionSpec(
        "Handling",
        D,
        MCH,
        "EventPartyAdded (agent joins the interaction)",
        "EventPartyRemoved; EventProcessingStopped",
        interaction=True,
    ),
    *(
        ActionSpec(
            f"Handling{d}",
            D,
            MCH,
            f"EventPartyAdded for an {d.lower()} interaction",
            "EventPartyRemoved; EventProcessingStopped",
            interaction=True,
        )
        for d in ("Inbound", "Outbound", "Internal")
    ),
    ActionSpec(
        "Routable",
        D,
        MCH,
        "capacity allows routing of the media to the agent (ready and below capacity)",
        "capacity no longer allows it",
    ),
    ActionSpec(
        "NotRoutable",
        D,
        MCH,
        "capacity does not allow routing of the media",
        "capacity allows it again",
    ),
    ActionSpec("DeliveringStarted", M, MCH, "EventAgentInvited", interaction=True),
    ActionSpec("HandlingStarted", M, MCH, "EventPartyAdded", interaction=True),
    *(
        ActionSpec(
            f"Handling{d}Started", M, MCH, f"EventPartyAdded ({d.lower()})", interaction=True
        )
        for d in ("Inbound", "Outbound", "Internal")
    ),
    ActionSpec(
        "Accepted",
        R,
        MCH,
        "EventPartyAdded after EventAgentInvited; duration = delivering time",
        interaction=True,
    ),
    ActionSpec("Rejected", R, MCH, "EventRejected; duration = delivering time", interaction=True),
    ActionSpec("Revoked", R, MCH, "EventRevoked; duration = delivering time", interaction=True),
    ActionSpec(
        "TransferMade", M, MCH, "EventPartyRemoved with partyType TransferredBy", interaction=True
    ),
    ActionSpec(
        "ConferenceJoined",
        M,
        MCH,
        "EventPartyAdded while another agent handles it",
        interaction=True,
    ),
    # ---- staging area (interaction queue) ------------------------------------------------
    ActionSpec("InteractionEntered", M, STG, "EventPlacedInQueue", interaction=True),
    ActionSpec(
        "InteractionWaiting",
        D,
        STG,
        "EventPlacedInQueue",
        "EventTakenFromQueue; EventProcessingStopped; EventPlacedInQueue to another queue",
        interaction=True,
    ),
    ActionSpec(
        "InteractionDistributed",
        R,
        STG,
        "EventTakenFromQueue by an agent (partyType Agent); duration = time in queue",
        interaction=True,
    ),
    ActionSpec(
        "InteractionCleared",
        R,
        STG,
        "EventTakenFromQueue by something else than an agent; duration = time in queue",
        interaction=True,
    ),
    ActionSpec(
        "InteractionDistributedToQueue",
        R,
        STG,
        "EventPlacedInQueue naming this queue in oldQueue; credited to the old queue; "
        "duration = time in the old queue",
        interaction=True,
    ),
    ActionSpec(
        "InteractionDeleted",
        R,
        STG,
        "EventProcessingStopped; duration = time since the interaction first entered a queue",
        interaction=True,
    ),
    # ---- tenant ----------------------------------------------------------------------------
    ActionSpec("ExternalServiceRequested", M, TEN, "EventExternalServiceRequested"),
    ActionSpec("ExternalServiceResponded", M, TEN, "EventExternalServiceResponded"),
]

ACTIONS: Final[dict[str, ActionSpec]] = {}
for _spec in _SPECS:
    # The same name on several families (e.g. CallAnswered, UserEvent) is one action name.
    ACTIONS.setdefault(_spec.name, _spec)

#: Mask aliases: a name in a mask that stands for a family of actions.  Genesys expands an
#: alias only in positive terms: ``~CallWait`` does not remove the family.
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "CallWait": ("CallWaitInbound", "CallWaitOutbound", "CallWaitConsult", "CallWaitUnknown"),
}

#: Voice names that multimedia stat types may use for media-channel actions.
VOICE_TO_MEDIA: Final[dict[str, str]] = {
    "CallInbound": "HandlingInbound",
    "CallOutbound": "HandlingOutbound",
    "CallInternal": "HandlingInternal",
    "CallRinging": "Delivering",
    "CallAnswered": "Accepted",
    "CallRingingStarted": "DeliveringStarted",
    "CallInboundStarted": "HandlingInboundStarted",
    "CallOutboundStarted": "HandlingOutboundStarted",
    "CallInternalStarted": "HandlingInternalStarted",
}

#: The name a media-channel action takes in status computation (statuses use the SPT names).
MEDIA_STATUS_NAME: Final[dict[str, str]] = {
    "LoggedIn": "LoggedIn",
    "WaitForNextCall": "WaitForNextCall",
    "NotReadyForNextCall": "NotReadyForNextCall",
    "AfterCallWork": "AfterCallWork",
    "Delivering": "CallRinging",
    "HandlingInbound": "CallInbound",
    "HandlingOutbound": "CallOutbound",
    "HandlingInternal": "CallInternal",
}

CALL_TYPE_ACTIONS: Final[dict[str, str]] = {ct: f"Call{ct}" for ct in _CALL_TYPES}

#: Regular DN status priority table, ascending priority (documented by Genesys).
DN_SPT: Final[tuple[str, ...]] = (
    "NotMonitored",
    "Monitored",
    "LoggedIn",
    "OnHook",
    "WaitForNextCall",
    "OffHook",
    "CallDialing",
    "CallRinging",
    "NotReadyForNextCall",
    "AfterCallWork",
    "CallOnHold",
    "CallUnknown",
    "CallConsult",
    "CallInternal",
    "CallOutbound",
    "CallInbound",
)
#: Agent status priority table: the DN table with LoggedOut on top.
AGENT_SPT: Final[tuple[str, ...]] = (*DN_SPT, "LoggedOut")
#: Mediation DN status priority table.
MEDIATION_SPT: Final[tuple[str, ...]] = ("NotMonitored", "Monitored")

STATUS_NAMES: Final[frozenset[str]] = frozenset(AGENT_SPT)

#: status name -> its rank in the agent/DN priority table (higher wins)
STATUS_RANK: Final[Mapping[str, int]] = {name: i for i, name in enumerate(AGENT_SPT)}
