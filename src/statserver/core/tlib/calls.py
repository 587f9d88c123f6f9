"""Calls at regular DNs: dialing, ringing, talking by call type, hold, release, abandon,
transfer and conference (CallPartyChanged), attached data, user events."""

from __future__ import annotations

from statserver.core.items import EMPTY_ATTRS
from statserver.core.state import Call, DnState, MediationState
from statserver.core.tenant import TenantEngine
from statserver.core.tlib.agents import queue_pseudo, set_mode
from statserver.core.tlib.common import (
    CALL_TYPES,
    attrs_of,
    call_type,
    merge_attrs,
    need_conn,
    reflect,
    register,
    regular_dn,
    unknown_dn,
)
from statserver.core.tlib.queues import distribute, enqueue, mediation_cleared
from statserver.events.record import EventRecord


def _new_call(eng: TenantEngine, rec: EventRecord, dn: DnState, switch: str) -> Call:
    conn = need_conn(rec)
    call = dn.calls.get(conn)
    if call is None:
        call = Call(conn, call_type(rec.call_type), attrs_of(rec))
        dn.calls[conn] = call
        origin = eng.distributed.get((switch, conn))
        if origin is not None:
            call.queue, call.queue_enter = origin
        elif rec.this_queue:
            med = eng.dn_for(switch, rec.this_queue)
            if isinstance(med, MediationState):
                call.queue = med.key
        login = dn.login
        if (
            eng.options.ready_ends_on_call
            and login is not None
            and login.mode_item is not None
            and login.mode_item.name == "WaitForNextCall"
        ):
            pending = login.mode_item.attrs
            set_mode(eng, dn, None, EMPTY_ATTRS)
            login.ready_pending = pending
    else:
        call.attrs = merge_attrs(call.attrs, rec)
        if rec.call_type in CALL_TYPES and call.phase != "established":
            call.call_type = rec.call_type
    return call


def _end_phase(eng: TenantEngine, dn: DnState, call: Call) -> int:
    item = call.phase_item
    if item is None:
        return 0
    eng.dn_end(dn, item)
    call.phase_item = None
    return eng.duration_since(item.start_exact)


def establish(eng: TenantEngine, dn: DnState, call: Call, *, reflect: bool = True) -> None:
    name = f"Call{call.call_type}"
    call.type_item = eng.dn_start(dn, name, call.attrs)
    if call.talk_start is None:
        call.talk_start = call.type_item.start_exact
    eng.dn_instant(dn, f"{name}Started", call.attrs)
    call.phase = "established"
    if sum(1 for c in dn.calls.values() if c.phase == "established") == 1:
        queue_pseudo(eng, dn, ("AgentActive", "DNActive"), True)


def hold(eng: TenantEngine, dn: DnState, call: Call) -> None:
    if call.hold_item is not None or call.phase != "established":
        return
    call.hold_item = eng.dn_start(dn, "CallOnHold", call.attrs)
    if call.type_item is not None:
        eng.dn_hide(dn, call.type_item)
    eng.dn_instant(dn, "CallHeld", call.attrs)


def _unhold(eng: TenantEngine, dn: DnState, call: Call, *, report: bool) -> int:
    item = call.hold_item
    if item is None:
        return 0
    eng.dn_end(dn, item)
    call.hold_item = None
    duration = eng.duration_since(item.start_exact)
    if report:
        eng.dn_instant(dn, "CallRetrievedFromHold", call.attrs, duration)
    if call.type_item is not None:
        eng.dn_show(dn, call.type_item)
    return duration


def _end_talk(eng: TenantEngine, dn: DnState, call: Call, *, released: bool = True) -> None:
    item = call.type_item
    if item is None:
        return
    eng.dn_end(dn, item)
    call.type_item = None
    duration = eng.duration_since(item.start_exact)
    eng.dn_instant(dn, f"{item.name}Completed", call.attrs, duration)
    if released:  # the call leaves the DN (not a mere change of call type)
        talk = eng.duration_since(
            call.talk_start if call.talk_start is not None else item.start_exact
        )
        reflect(eng, call.queue, "CallReleased", call.attrs, talk)


def _call_gone(eng: TenantEngine, dn: DnState, call: Call, switch: str | None) -> None:
    """Book-keeping when a call leaves a DN."""
    if call.phase == "established":
        # ACW follows the last call handled here (None: not distributed by a queue)
        dn.last_queue = call.queue
    if switch is not None:
        eng.distributed.pop((switch, call.conn_id), None)
    if call.phase == "established" and not any(c.phase == "established" for c in dn.calls.values()):
        queue_pseudo(eng, dn, ("AgentActive", "DNActive"), False)
    login = dn.login
    if login is not None and login.ready_pending is not None and not dn.calls:
        pending = login.ready_pending
        login.ready_pending = None
        if login.mode_item is None:
            set_mode(eng, dn, "WaitForNextCall", pending)


def drop_call(eng: TenantEngine, dn: DnState, call: Call) -> None:
    _unhold(eng, dn, call, report=False)
    _end_phase(eng, dn, call)
    _end_talk(eng, dn, call)
    _call_gone(eng, dn, call, None)


def _call_phase(
    eng: TenantEngine, rec: EventRecord, switch: str, phase: str, action: str, side: str
) -> None:
    """A new call reaches this DN: dialing out (Originated) or ringing in (Received)."""
    dn = regular_dn(eng, rec, switch)
    call = _new_call(eng, rec, dn, switch)
    if call.phase:
        return
    call.phase = phase
    call.phase_item = eng.dn_start(dn, action, call.attrs)
    eng.dn_instant(dn, f"{action}Started", call.attrs)
    if call.call_type in ("Consult", "Internal", "Outbound"):
        eng.dn_instant(dn, f"Call{call.call_type}{side}", call.attrs)


def on_dialing(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    _call_phase(eng, rec, switch, "dialing", "CallDialing", "Originated")


def on_ringing(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    _call_phase(eng, rec, switch, "ringing", "CallRinging", "Received")


def on_established(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = regular_dn(eng, rec, switch)
    call = _new_call(eng, rec, dn, switch)
    if call.phase == "established":
        return
    if call.phase == "ringing":
        duration = _end_phase(eng, dn, call)
        eng.dn_instant(dn, "CallAnswered", call.attrs, duration)
        if call.queue is not None:
            waited = (
                eng.duration_since(call.queue_enter) if call.queue_enter is not None else duration
            )
            reflect(eng, call.queue, "CallAnswered", call.attrs, waited)
    else:
        _end_phase(eng, dn, call)
    establish(eng, dn, call)


def _known_call(eng: TenantEngine, rec: EventRecord, switch: str) -> tuple[DnState, Call] | None:
    """The DN and the call an event names; None (and an ``unknown-call`` warning) when the
    DN has no such call."""
    dn = regular_dn(eng, rec, switch)
    call = dn.calls.get(need_conn(rec))
    if call is None:
        eng.warn("unknown-call")
        return None
    return dn, call


def on_held(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    found = _known_call(eng, rec, switch)
    if found is not None:
        hold(eng, *found)


def on_retrieved(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    found = _known_call(eng, rec, switch)
    if found is not None:
        _unhold(eng, *found, report=True)


def on_released(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, MediationState):
        mediation_cleared(eng, rec, target)
        return
    dn = regular_dn(eng, rec, switch)
    call = dn.calls.pop(need_conn(rec), None)
    if call is None:
        eng.warn("unknown-call")
        return
    if call.phase in ("ringing", "dialing"):
        duration = _end_phase(eng, dn, call)
        if call.phase == "ringing":
            eng.dn_instant(dn, "CallMissed", call.attrs, duration)
            reflect(eng, call.queue, "CallMissed", call.attrs, duration)
    else:
        _unhold(eng, dn, call, report=False)
        _end_talk(eng, dn, call)
    if rec.this_dn_role == "TransferredBy":
        eng.dn_instant(dn, "CallTransferMade", call.attrs)
    _call_gone(eng, dn, call, switch)


def on_abandoned(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, MediationState):
        waiting = target.waiting.pop(need_conn(rec), None)
        if waiting is None:
            eng.warn("unknown-call")
            return
        eng.end(target, target.open, waiting.item)
        duration = eng.duration_since(waiting.enter)
        eng.instant(target, "CallAbandoned", waiting.attrs, duration)
        return
    dn = regular_dn(eng, rec, switch)
    call = dn.calls.pop(need_conn(rec), None)
    if call is None:
        eng.warn("unknown-call")
        return
    if call.phase in ("ringing", "dialing"):
        duration = _end_phase(eng, dn, call)
        form = (
            "CallAbandonedFromRinging" if call.phase == "ringing" else ("CallAbandonedFromDialing")
        )
        eng.dn_instant(dn, form, call.attrs, duration)
        eng.dn_instant(dn, "CallAbandoned", call.attrs, duration)
        if call.phase == "ringing" and call.queue is not None:
            waited = (
                eng.duration_since(call.queue_enter) if call.queue_enter is not None else duration
            )
            reflect(eng, call.queue, "CallAbandonedFromRinging", call.attrs, waited)
    elif call.hold_item is not None:
        duration = _unhold(eng, dn, call, report=False)
        eng.dn_instant(dn, "CallAbandonedFromHold", call.attrs, duration)
        eng.dn_instant(dn, "CallAbandoned", call.attrs, duration)
        _end_talk(eng, dn, call)
    else:
        _end_talk(eng, dn, call)
    _call_gone(eng, dn, call, switch)


def on_party_changed(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    conn = need_conn(rec)
    previous = rec.previous_conn_id
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, MediationState):
        waiting = target.waiting.pop(previous or conn, None)
        if waiting is None:
            return
        keep = target.info.use_alt_enter_time or eng.options.vq_use_alt_enter_time
        if keep:
            target.waiting[conn] = waiting
            eng.update(target, waiting.item, waiting.attrs.replace(conn_id=conn))
        else:
            eng.end(target, target.open, waiting.item)
            enqueue(eng, target, conn, call_type(rec.call_type), merge_attrs(waiting.attrs, rec))
        return
    dn = regular_dn(eng, rec, switch)
    call = dn.calls.pop(previous, None) if previous else None
    if call is None:
        call = dn.calls.pop(conn, None)
    if call is None:
        # a call this DN did not know yet: treat as a new established call
        call = _new_call(eng, rec, dn, switch)
        establish(eng, dn, call)
        eng.dn_instant(dn, "CallPartyChanged", call.attrs)
        return
    call.conn_id = conn
    call.attrs = merge_attrs(call.attrs, rec).replace(conn_id=conn)
    dn.calls[conn] = call
    if previous:
        origin = eng.distributed.pop((switch, previous), None)
        if origin is not None:
            eng.distributed[(switch, conn)] = origin
    eng.dn_instant(dn, "CallPartyChanged", call.attrs)
    if call.phase == "ringing":
        duration = _end_phase(eng, dn, call)
        eng.dn_instant(dn, "CallForwarded", call.attrs, duration)
        call.phase = ""
        call.phase_item = eng.dn_start(dn, "CallRinging", call.attrs)
        call.phase = "ringing"
        return
    if previous and rec.this_dn_role not in ("ConferenceMember", "AddedBy"):
        # the call this DN was on became another one: a transfer completed to it (a party
        # joining a conference is reported by EventPartyAdded, not counted here)
        eng.dn_instant(dn, "CallTransferTaken", call.attrs)
    new_type = call_type(rec.call_type, call.call_type)
    if call.phase == "established" and new_type != call.call_type:
        held = call.hold_item is not None
        _unhold(eng, dn, call, report=False)
        _end_talk(eng, dn, call, released=False)
        call.call_type = new_type
        call.phase = ""
        establish(eng, dn, call)
        if held:
            hold(eng, dn, call)
    else:
        for item in (call.phase_item, call.type_item, call.hold_item):
            eng.dn_update(dn, item, call.attrs)


def on_party_added(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = regular_dn(eng, rec, switch)
    attrs = attrs_of(rec)
    if rec.this_dn_role == "AddedBy":
        eng.dn_instant(dn, "CallConferenceMade", attrs)
    elif rec.this_dn_role in ("NewParty", "ConferenceMember"):
        eng.dn_instant(dn, "CallConferenceJoined", attrs)


def on_party_deleted(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    eng.dn_instant(regular_dn(eng, rec, switch), "CallPartyDeleted", attrs_of(rec))


def on_data_changed(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    conn = need_conn(rec)
    if isinstance(target, MediationState):
        waiting = target.waiting.get(conn)
        if waiting is not None:
            waiting.attrs = merge_attrs(waiting.attrs, rec)
            eng.update(target, waiting.item, waiting.attrs)
        return
    dn = regular_dn(eng, rec, switch)
    call = dn.calls.get(conn)
    if call is None:
        return
    call.attrs = merge_attrs(call.attrs, rec)
    for item in (call.phase_item, call.type_item, call.hold_item):
        eng.dn_update(dn, item, call.attrs)


def on_user_event(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if target is None:
        raise unknown_dn(rec, switch)
    if isinstance(target, DnState):
        register(eng, target)
    eng.instant(target, "UserEvent", attrs_of(rec))


def on_diverted(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, DnState):
        # the call rang here and was diverted elsewhere
        register(eng, target)
        call = target.calls.pop(need_conn(rec), None)
        if call is None:
            return
        duration = _end_phase(eng, target, call)
        _unhold(eng, target, call, report=False)
        _end_talk(eng, target, call)
        eng.dn_instant(target, "CallForwarded", call.attrs, duration)
        reflect(eng, call.queue, "CallForwarded", call.attrs, duration)
        _call_gone(eng, target, call, None)
        return
    distribute(eng, rec, switch)
