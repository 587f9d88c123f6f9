"""Interaction Server events turned into media-channel, staging-area and tenant actions.

Each Interaction Server reports a *partial* view of an agent: the media channels and
interactions it owns.  The engine keeps one :class:`~statserver.core.state.MediaChannel` per
(agent, Interaction Server, media); the agent's non-voice state is composed from all of
them, and losing one Interaction Server drops only its channels.

Rules: ``EventAgentLogin``/``EventMediaAdded`` with a ``mediaType`` log the agent into that
media on that server (NotReadyForNextCall unless ``workMode`` says ManualIn/AutoIn);
``EventAgentLogout`` without ``mediaType`` logs it out of every media of that server.
An interaction is identified by ``interactionID`` (used as the connection id of its
actions, so CurrentDistinctNumber and DistByConnID count interactions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from statserver.core.items import Attrs
from statserver.core.state import AgentState, MediaChannel, MediaParty, StagingState, Waiting
from statserver.core.tenant import TenantEngine
from statserver.errors import EventRejected
from statserver.events.record import EventRecord

__all__ = ["IXN_HANDLERS", "close_channel", "drop_source"]

_READY: Final = frozenset({"ManualIn", "AutoIn", "ReturnBack"})
_AGENT_PARTY: Final = frozenset({"Agent", "agent", "2"})


def _attrs(rec: EventRecord, media: str) -> Attrs:
    return Attrs(
        conn_id=rec.interaction_id or rec.conn_id,
        call_type=rec.interaction_type or rec.call_type,
        ani=rec.ani,
        dnis=rec.dnis,
        customer_id=rec.customer_id,
        this_queue=rec.queue or rec.this_queue,
        other_dn=rec.other_dn,
        treatment_type=rec.treatment_type,
        media_type=media,
        user_data=rec.user_data,
        reasons=rec.reasons,
        extensions=rec.extensions,
    )


def _agent(eng: TenantEngine, rec: EventRecord) -> AgentState:
    if not rec.agent_id:
        raise EventRejected("missing-field", f"{rec.event} needs agentID")
    agent = eng.agent_for_media(rec.agent_id)
    if agent is None:
        raise EventRejected(
            "unknown-agent", f"{rec.event}: agent {rec.agent_id!r} is not in the configuration"
        )
    if rec.place and rec.place in eng.places and agent.media_place != rec.place:
        _set_media_place(eng, agent, rec.place)
    return agent


def _set_media_place(eng: TenantEngine, agent: AgentState, place: str) -> None:
    old = agent.media_place
    agent.media_place = place
    if old is not None and old in eng.places and old not in agent.places:
        p = eng.places[old]
        if agent.key in p.agents:
            p.agents.remove(agent.key)
            eng.mark_place(p)
    target = eng.places[place]
    if agent.key not in target.agents:
        target.agents.append(agent.key)
        eng.mark_place(target)
    eng.retarget_agent(agent)


def _media(rec: EventRecord) -> str:
    return (rec.media_type or "").strip().lower()


def _channel(eng: TenantEngine, agent: AgentState, source: str, media: str) -> MediaChannel:
    ch = agent.channels.get((source, media))
    if ch is None:
        ch = agent.channels[(source, media)] = MediaChannel(agent.key, media, source)
        ch.targets = list(agent.capacity.targets)
    return ch


def _media_login(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    agent = _agent(eng, rec)
    media = _media(rec)
    if not media:
        return  # logged into the server only; media channels come with EventMediaAdded
    was = agent.logged_in
    ch = _channel(eng, agent, source, media)
    if ch.login_item is None:
        attrs = _attrs(rec, media)
        ch.login_item = eng.start(ch, ch.open, "LoggedIn", attrs)
        mode = "WaitForNextCall" if rec.work_mode in _READY else "NotReadyForNextCall"
        ch.mode_item = eng.start(ch, ch.open, mode, attrs)
    eng.media_login_changed(agent, was)


def close_channel(eng: TenantEngine, agent: AgentState, ch: MediaChannel) -> None:
    for ixn in list(ch.parties):
        _end_party(eng, ch, ixn, None)
    for item in list(ch.open.values()):
        eng.end(ch, ch.open, item)
    ch.login_item = ch.mode_item = ch.dnd_item = None
    del agent.channels[(ch.source, ch.media)]


def _media_logout(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    agent = _agent(eng, rec)
    media = _media(rec)
    was = agent.logged_in
    for (src, m), ch in list(agent.channels.items()):
        if src == source and (not media or m == media):
            close_channel(eng, agent, ch)
    if not agent.channels and agent.media_place is not None and not agent.places:
        place = eng.places.get(agent.media_place)
        if place is not None and agent.key in place.agents:
            place.agents.remove(agent.key)
            eng.mark_place(place)
        agent.media_place = None
    eng.media_login_changed(agent, was)


def _channels_for(agent: AgentState, source: str, media: str) -> list[MediaChannel]:
    return [
        ch for (src, m), ch in agent.channels.items() if src == source and (not media or m == media)
    ]


def _on_mode(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    agent = _agent(eng, rec)
    name = "WaitForNextCall" if rec.event == "EventReadyForMedia" else "NotReadyForNextCall"
    channels = _channels_for(agent, source, _media(rec))
    if not channels:
        eng.warn("media-not-logged-in")
        return
    for ch in channels:
        attrs = _attrs(rec, ch.media)
        if ch.mode_item is not None and ch.mode_item.name == name:
            eng.update(ch, ch.mode_item, attrs)
            continue
        if ch.mode_item is not None:
            eng.end(ch, ch.open, ch.mode_item)
        ch.mode_item = eng.start(ch, ch.open, name, attrs)
    eng.mark_agent(agent)


def _on_dnd(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    agent = _agent(eng, rec)
    on = rec.event in ("EventDoNotDisturbOn", "EventDNDOn")
    for ch in _channels_for(agent, source, _media(rec)):
        if on and ch.dnd_item is None:
            ch.dnd_item = eng.start(ch, ch.open, "DoNotDisturb", _attrs(rec, ch.media))
        elif not on and ch.dnd_item is not None:
            eng.end(ch, ch.open, ch.dnd_item)
            ch.dnd_item = None
    eng.mark_agent(agent)


# ------------------------------------------------------------------------------ interactions
def _interaction(rec: EventRecord) -> str:
    ixn = rec.interaction_id or rec.conn_id
    if not ixn:
        raise EventRejected("missing-field", f"{rec.event} needs interactionID")
    return ixn


def _party_channel(
    eng: TenantEngine, rec: EventRecord, source: str
) -> tuple[AgentState, MediaChannel]:
    agent = _agent(eng, rec)
    media = _media(rec)
    channels = _channels_for(agent, source, media)
    if not channels:
        if not media:
            raise EventRejected("missing-field", f"{rec.event} needs mediaType")
        eng.warn("media-not-logged-in")
        channels = [_channel(eng, agent, source, media)]
    return agent, channels[0]


def _on_invited(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    ixn = _interaction(rec)
    agent, ch = _party_channel(eng, rec, source)
    party = ch.parties.get(ixn) or _new_party(eng, ch, ixn, rec)
    if party.delivering is None and party.handling is None:
        party.delivering = eng.start(ch, ch.open, "Delivering", party.attrs)
        eng.instant(ch, "DeliveringStarted", party.attrs)
    eng.mark_agent(agent)


def _handling_elsewhere(eng: TenantEngine, ixn: str, ch: MediaChannel) -> bool:
    for other in eng.ixn_channels.get(ixn, ()):
        if other is not ch:
            party = other.parties.get(ixn)
            if party is not None and party.handling is not None:
                return True
    return False


def _new_party(eng: TenantEngine, ch: MediaChannel, ixn: str, rec: EventRecord) -> MediaParty:
    party = ch.parties[ixn] = MediaParty(_attrs(rec, ch.media), rec.interaction_type or "Inbound")
    eng.ixn_channels.setdefault(ixn, set()).add(ch)
    eng.interactions.setdefault(ixn, eng.ts)
    return party


def _on_party_added(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    ixn = _interaction(rec)
    agent, ch = _party_channel(eng, rec, source)
    party = ch.parties.get(ixn) or _new_party(eng, ch, ixn, rec)
    if party.handling is not None:
        return
    if party.delivering is not None:
        eng.end(ch, ch.open, party.delivering)
        duration = eng.duration_since(party.delivering.start_exact)
        party.delivering = None
        eng.instant(ch, "Accepted", party.attrs, duration)
    direction = (
        party.direction if party.direction in ("Inbound", "Outbound", "Internal") else ("Inbound")
    )
    if _handling_elsewhere(eng, ixn, ch):
        eng.instant(ch, "ConferenceJoined", party.attrs)
    party.handling = eng.start(ch, ch.open, "Handling", party.attrs)
    party.handling_dir = eng.start(ch, ch.open, f"Handling{direction}", party.attrs)
    eng.instant(ch, "HandlingStarted", party.attrs)
    eng.instant(ch, f"Handling{direction}Started", party.attrs)
    eng.mark_agent(agent)


def _end_party(eng: TenantEngine, ch: MediaChannel, ixn: str, outcome: str | None) -> None:
    party = ch.parties.pop(ixn, None)
    if party is None:
        return
    channels = eng.ixn_channels.get(ixn)
    if channels is not None:
        channels.discard(ch)
        if not channels:
            del eng.ixn_channels[ixn]
    if party.delivering is not None:
        eng.end(ch, ch.open, party.delivering)
        if outcome is not None:
            duration = eng.duration_since(party.delivering.start_exact)
            eng.instant(ch, outcome, party.attrs, duration)
    for item in (party.handling_dir, party.handling):
        if item is not None:
            eng.end(ch, ch.open, item)


def _on_party_gone(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    ixn = _interaction(rec)
    agent, ch = _party_channel(eng, rec, source)
    outcome = {"EventRejected": "Rejected", "EventRevoked": "Revoked"}.get(rec.event)
    party = ch.parties.get(ixn)
    if party is None:
        eng.warn("unknown-interaction")
        return
    if rec.event == "EventPartyRemoved" and "TransferredBy" in (rec.party_type, rec.this_dn_role):
        eng.instant(ch, "TransferMade", party.attrs)
    _end_party(eng, ch, ixn, outcome)
    eng.mark_agent(agent)


def _on_stopped(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    ixn = _interaction(rec)
    for ch in list(eng.ixn_channels.get(ixn, ())):
        _end_party(eng, ch, ixn, None)
        eng.mark_agent(eng.agents[ch.agent])
    area = _waiting_area(eng, ixn)
    waiting = area.waiting.pop(ixn) if area is not None else None
    eng.ixn_area.pop(ixn, None)
    if area is not None and waiting is not None:
        eng.end(area, area.open, waiting.item)
    first = eng.interactions.pop(ixn, None)
    queue = rec.queue or (area.key if area is not None else None)
    if queue:
        attrs = waiting.attrs if waiting is not None else _attrs(rec, _media(rec) or "")
        duration = eng.duration_since(first) if first is not None else 0
        eng.instant(eng.staging_area(queue), "InteractionDeleted", attrs, duration)


def _waiting_area(eng: TenantEngine, ixn: str) -> StagingState | None:
    area = eng.ixn_area.get(ixn)
    return area if area is not None and ixn in area.waiting else None


def _on_placed(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    ixn = _interaction(rec)
    if not rec.queue:
        raise EventRejected("missing-field", "EventPlacedInQueue needs queue")
    media = _media(rec)
    attrs = _attrs(rec, media)
    old = _waiting_area(eng, ixn)
    if old is not None and old.key == rec.queue:
        # already known to wait there: an Interaction Server reporting its state again after
        # a reconnection; nothing new happened
        return
    if old is not None:
        waiting = old.waiting.pop(ixn)
        eng.end(old, old.open, waiting.item)
        eng.instant(
            old, "InteractionDistributedToQueue", waiting.attrs, eng.duration_since(waiting.enter)
        )
        attrs = attrs if rec.user_data is not None else waiting.attrs.replace(this_queue=rec.queue)
    elif rec.old_queue:
        eng.instant(eng.staging_area(rec.old_queue), "InteractionDistributedToQueue", attrs, 0)
    area = eng.staging_area(rec.queue)
    eng.interactions.setdefault(ixn, eng.ts)
    eng.instant(area, "InteractionEntered", attrs)
    item = eng.start(area, area.open, "InteractionWaiting", attrs)
    area.waiting[ixn] = Waiting(item, eng.ts, attrs)
    eng.ixn_area[ixn] = area


def _on_taken(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    ixn = _interaction(rec)
    area = eng.staging.get(rec.queue) if rec.queue else _waiting_area(eng, ixn)
    if area is None or ixn not in area.waiting:
        eng.warn("unknown-interaction")
        return
    waiting = area.waiting.pop(ixn)
    eng.ixn_area.pop(ixn, None)
    eng.end(area, area.open, waiting.item)
    name = "InteractionDistributed" if rec.party_type in _AGENT_PARTY else "InteractionCleared"
    eng.instant(area, name, waiting.attrs, eng.duration_since(waiting.enter))


def _on_properties(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    ixn = _interaction(rec)
    if rec.user_data is None:
        return
    area = _waiting_area(eng, ixn)
    if area is not None:
        waiting = area.waiting[ixn]
        waiting.attrs = waiting.attrs.replace(user_data=rec.user_data)
        eng.update(area, waiting.item, waiting.attrs)
    for ch in eng.ixn_channels.get(ixn, ()):
        party = ch.parties.get(ixn)
        if party is not None:
            party.attrs = party.attrs.replace(user_data=rec.user_data)
            for item in (party.delivering, party.handling, party.handling_dir):
                if item is not None:
                    eng.update(ch, item, party.attrs)


def _on_external(eng: TenantEngine, rec: EventRecord, source: str) -> None:
    name = rec.event.removeprefix("Event")
    eng.instant(eng.tenant_carrier, name, _attrs(rec, _media(rec) or "voice"))


def drop_source(eng: TenantEngine, source: str) -> None:
    """An Interaction Server link was lost: drop only the partial state it reported."""
    for agent in eng.agents.values():
        channels = [ch for (src, _m), ch in agent.channels.items() if src == source]
        if not channels:
            continue
        was = agent.logged_in
        for ch in channels:
            close_channel(eng, agent, ch)
        eng.media_login_changed(agent, was)


Handler = Callable[[TenantEngine, EventRecord, str], None]

IXN_HANDLERS: Final[dict[str, Handler]] = {
    "EventAgentLogin": _media_login,
    "EventMediaAdded": _media_login,
    "EventAgentLogout": _media_logout,
    "EventMediaRemoved": _media_logout,
    "EventReadyForMedia": _on_mode,
    "EventNotReadyForMedia": _on_mode,
    "EventDoNotDisturbOn": _on_dnd,
    "EventDoNotDisturbOff": _on_dnd,
    "EventDNDOn": _on_dnd,
    "EventDNDOff": _on_dnd,
    "EventAgentInvited": _on_invited,
    "EventPartyAdded": _on_party_added,
    "EventPartyRemoved": _on_party_gone,
    "EventRejected": _on_party_gone,
    "EventRevoked": _on_party_gone,
    "EventProcessingStopped": _on_stopped,
    "EventPlacedInQueue": _on_placed,
    "EventTakenFromQueue": _on_taken,
    "EventPropertiesChanged": _on_properties,
    "EventExternalServiceRequested": _on_external,
    "EventExternalServiceResponded": _on_external,
}
