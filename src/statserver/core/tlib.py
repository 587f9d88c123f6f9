"""T-Library events (T-Server, SIP Server) turned into regular-DN and mediation-DN actions.

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

from collections.abc import Callable, Mapping
from typing import Any, Final

from statserver.core.items import EMPTY_ATTRS, Attrs
from statserver.core.state import Call, DnState, LoginState, MediationState, Waiting
from statserver.core.tenant import TenantEngine
from statserver.errors import EventRejected
from statserver.events.record import EventRecord

__all__ = [
    "TLIB_HANDLERS",
    "attrs_of",
    "drop_call",
    "link_connected",
    "link_disconnected",
    "logout",
    "register",
]

_CALL_TYPES: Final = frozenset({"Inbound", "Outbound", "Internal", "Consult", "Unknown"})
_READY_MODES: Final = frozenset({"ManualIn", "AutoIn", "ReturnBack"})
_NOT_READY_MODES: Final = frozenset({"AuxWork", "NoCallDisconnect", "WalkAway", "LegalGuard"})


def attrs_of(rec: EventRecord, media: str = "voice") -> Attrs:
    return Attrs(
        conn_id=rec.conn_id,
        call_type=rec.call_type,
        ani=rec.ani,
        dnis=rec.dnis,
        customer_id=rec.customer_id,
        this_queue=rec.this_queue,
        other_dn=rec.other_dn,
        treatment_type=rec.treatment_type,
        media_type=rec.media_type or media,
        user_data=rec.user_data,
        reasons=rec.reasons,
        extensions=rec.extensions,
    )


def _call_type(value: str | None, default: str = "Unknown") -> str:
    if value in _CALL_TYPES:
        return value
    return default


def _regular(eng: TenantEngine, rec: EventRecord, switch: str) -> DnState:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, DnState):
        register(eng, target)
        return target
    if target is None:
        raise _unknown_dn(rec, switch)
    msg = f"{rec.event} on {target.key}, a {target.info.type}; expected a regular DN here"
    raise EventRejected("wrong-dn-type", msg)


def _unknown_dn(rec: EventRecord, switch: str) -> EventRejected:
    if rec.this_dn is None:
        return EventRejected("missing-field", f"{rec.event} needs thisDN")
    return EventRejected(
        "unknown-dn", f"{rec.event}: DN {rec.this_dn}@{switch} is not in the configuration"
    )


def _need_conn(rec: EventRecord) -> str:
    if not rec.conn_id:
        raise EventRejected("missing-field", f"{rec.event} needs connID")
    return rec.conn_id


# ---------------------------------------------------------------------------- registration
def register(eng: TenantEngine, dn: DnState) -> None:
    """The DN becomes monitored (EventRegistered, or implicitly by any event)."""
    if dn.registered:
        return
    dn.registered = True
    eng.dn_end(dn, dn.monitor_item)
    dn.monitor_item = None
    if dn.hook_item is None:
        dn.hook_item = eng.dn_start(dn, "OnHook")


def link_connected(eng: TenantEngine, switch: str) -> None:
    eng.link_state[switch] = True
    for dn in eng.dns.values():
        item = dn.monitor_item
        if dn.info.switch != switch or dn.registered or item is None or item.name == "Monitored":
            continue
        eng.dn_end(dn, item)
        dn.monitor_item = eng.dn_start(dn, "Monitored")


def link_disconnected(eng: TenantEngine, switch: str) -> None:
    """Everything on the switch's DNs ends; the DNs are NotMonitored until re-registered."""
    eng.link_state[switch] = False
    for dn in eng.dns.values():
        if dn.info.switch != switch:
            continue
        for conn in list(dn.calls):
            drop_call(eng, dn, dn.calls.pop(conn))
        if dn.login is not None:
            logout(eng, dn)
        eng.dn_end(dn, dn.hook_item)
        eng.dn_end(dn, dn.dnd_item)
        dn.hook_item = dn.dnd_item = None
        for item in list(dn.open.values()):
            eng.dn_end(dn, item)
        dn.registered = False
        eng.dn_end(dn, dn.monitor_item)
        dn.monitor_item = eng.dn_start(dn, "NotMonitored")
    for med in eng.mediation.values():
        if med.info.switch != switch:
            continue
        for waiting in list(med.waiting.values()):
            eng.end(med, med.open, waiting.item)
        med.waiting.clear()
        for item in list(med.open.values()):
            eng.end(med, med.open, item)
        med.pseudo.clear()
        med.registered = False
        eng.mark_mediation(med)
    for key in [k for k in eng.distributed if k[0] == switch]:
        del eng.distributed[key]


def _on_registered(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if target is None:
        raise _unknown_dn(rec, switch)
    ext: Mapping[str, Any] = rec.extensions or {}
    if isinstance(target, MediationState):
        target.registered = True
        eng.mark_mediation(target)
        for call in ext.get("calls", ()) or ():
            conn = str(call.get("connID", ""))
            if conn and conn not in target.waiting:
                _enqueue(eng, target, conn, _call_type(call.get("callType")), EMPTY_ATTRS)
        return
    dn = target
    register(eng, dn)
    # reconcile the agent state the T-Server reports
    agent_id = rec.agent_id or ext.get("agentID")
    if agent_id:
        if dn.login is None or dn.login.login_id != agent_id:
            if dn.login is not None:
                logout(eng, dn)
            _login(eng, dn, switch, str(agent_id), rec.this_queue, attrs_of(rec))
        mode = rec.work_mode or ext.get("workMode")
        if mode:
            _apply_work_mode(eng, dn, str(mode), attrs_of(rec))
    elif ("agentID" in ext or ext.get("loggedOut")) and dn.login is not None:
        logout(eng, dn)
    if ext.get("offHook") and (dn.hook_item is None or dn.hook_item.name != "OffHook"):
        eng.dn_end(dn, dn.hook_item)
        dn.hook_item = eng.dn_start(dn, "OffHook")
    if "dnd" in ext:
        _set_dnd(eng, dn, bool(ext["dnd"]))
    reported = {str(c.get("connID")): c for c in ext.get("calls", ()) or () if c.get("connID")}
    if "calls" in ext:
        for conn in [c for c in dn.calls if c not in reported]:
            drop_call(eng, dn, dn.calls.pop(conn))
    for conn, c in reported.items():
        if conn in dn.calls:
            continue
        call = Call(conn, _call_type(c.get("callType")), EMPTY_ATTRS.replace(conn_id=conn))
        dn.calls[conn] = call
        state = str(c.get("state", "Established"))
        if state == "Ringing":
            call.phase = "ringing"
            call.phase_item = eng.dn_start(dn, "CallRinging", call.attrs)
        elif state == "Dialing":
            call.phase = "dialing"
            call.phase_item = eng.dn_start(dn, "CallDialing", call.attrs)
        else:
            _establish(eng, dn, call, reflect=False)
            if state == "Held":
                _hold(eng, dn, call)


# ---------------------------------------------------------------------------- agent state
def _login(
    eng: TenantEngine, dn: DnState, switch: str, agent_id: str, queue: str | None, attrs: Attrs
) -> LoginState:
    agent = eng.agent_by_login(switch, agent_id)
    if agent is None:
        eng.warn("unknown-agent")
    item = eng.dn_start(dn, "LoggedIn", attrs)
    login = dn.login = LoginState(agent.key if agent else "", agent_id, item)
    if agent is not None:
        eng.associate(agent, dn)
    if queue:
        _queue_login(eng, dn, switch, queue)
    return login


def _queue_login(eng: TenantEngine, dn: DnState, switch: str, queue: str) -> None:
    login = dn.login
    med = eng.dn_for(switch, queue)
    if login is None or not isinstance(med, MediationState) or med.key in login.queues:
        return
    login.queues.add(med.key)
    who = login.agent or login.login_id
    _pseudo(eng, med, "AgentLogin", who, True)
    _pseudo(eng, med, "DNLogin", dn.key, True)
    if login.mode_item is not None and login.mode_item.name == "WaitForNextCall":
        _pseudo(eng, med, "AgentReady", who, True)
        _pseudo(eng, med, "DNReady", dn.key, True)
    if any(c.phase == "established" for c in dn.calls.values()):
        _pseudo(eng, med, "AgentActive", who, True)
        _pseudo(eng, med, "DNActive", dn.key, True)
    if login.agent:
        eng.reevaluate_groups(eng.agents[login.agent])


def _pseudo(eng: TenantEngine, med: MediationState, name: str, who: str, on: bool) -> None:
    key = (name, who)
    item = med.pseudo.get(key)
    if on and item is None:
        med.pseudo[key] = eng.start(med, med.open, name, EMPTY_ATTRS)
    elif not on and item is not None:
        del med.pseudo[key]
        eng.end(med, med.open, item)


def _queue_pseudo(eng: TenantEngine, dn: DnState, names: tuple[str, str], on: bool) -> None:
    login = dn.login
    if login is None:
        return
    who = login.agent or login.login_id
    for q in login.queues:
        med = eng.mediation.get(q)
        if med is not None:
            _pseudo(eng, med, names[0], who, on)
            _pseudo(eng, med, names[1], dn.key, on)


def _queue_logout(eng: TenantEngine, dn: DnState, queue_key: str) -> None:
    login = dn.login
    med = eng.mediation.get(queue_key)
    if login is None or med is None or queue_key not in login.queues:
        return
    who = login.agent or login.login_id
    for name, key in (
        ("AgentLogin", who),
        ("DNLogin", dn.key),
        ("AgentReady", who),
        ("DNReady", dn.key),
        ("AgentActive", who),
        ("DNActive", dn.key),
    ):
        _pseudo(eng, med, name, key, False)
    login.queues.discard(queue_key)


def logout(eng: TenantEngine, dn: DnState) -> None:
    login = dn.login
    if login is None:
        return
    _set_mode(eng, dn, None, EMPTY_ATTRS)
    for q in list(login.queues):
        _queue_logout(eng, dn, q)
    eng.dn_end(dn, login.item)
    dn.login = None
    if login.agent:
        eng.dissociate(eng.agents[login.agent], dn)


def _set_mode(eng: TenantEngine, dn: DnState, name: str | None, attrs: Attrs) -> None:
    """Make ``name`` (WaitForNextCall, NotReadyForNextCall, AfterCallWork or None) the mode."""
    login = dn.login
    if login is None:
        return
    login.ready_pending = None
    current = login.mode_item
    if current is not None and current.name == name:
        eng.dn_update(dn, current, attrs)
        return
    if current is not None:
        eng.dn_end(dn, current)
        if current.name == "WaitForNextCall":
            _queue_pseudo(eng, dn, ("AgentReady", "DNReady"), False)
        if current.name == "AfterCallWork":
            duration = eng.duration_since(current.start_exact)
            eng.dn_instant(dn, "ACWCompleted", current.attrs, duration)
            _reflect(eng, dn.last_queue, "ACWCompleted", current.attrs, duration)
    login.mode_item = None
    if name is not None:
        login.mode_item = eng.dn_start(dn, name, attrs)
        if name == "WaitForNextCall":
            _queue_pseudo(eng, dn, ("AgentReady", "DNReady"), True)
        elif name == "AfterCallWork":
            established = [c for c in dn.calls.values() if c.phase == "established"]
            if established:
                eng.dn_instant(dn, "ACWMissed", attrs)
                _reflect(eng, established[-1].queue, "ACWMissed", attrs, 0)


def _apply_work_mode(eng: TenantEngine, dn: DnState, mode: str, attrs: Attrs) -> None:
    if mode in _READY_MODES:
        _set_mode(eng, dn, "WaitForNextCall", attrs)
    elif mode == "AfterCallWork":
        _set_mode(eng, dn, "AfterCallWork", attrs)
    elif mode in _NOT_READY_MODES:
        _set_mode(eng, dn, "NotReadyForNextCall", attrs)


def _ensure_login(eng: TenantEngine, rec: EventRecord, dn: DnState, switch: str) -> bool:
    if dn.login is not None:
        return True
    if not rec.agent_id:
        eng.warn("agent-not-logged-in")
        return False
    eng.warn("implicit-login")
    _login(eng, dn, switch, rec.agent_id, rec.this_queue, attrs_of(rec))
    return True


def _on_login(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    if not rec.agent_id:
        raise EventRejected("missing-field", "EventAgentLogin needs agentID")
    attrs = attrs_of(rec)
    if dn.login is not None and dn.login.login_id != rec.agent_id:
        logout(eng, dn)
    if dn.login is None:
        _login(eng, dn, switch, rec.agent_id, rec.this_queue, attrs)
    elif rec.this_queue:
        _queue_login(eng, dn, switch, rec.this_queue)
    if rec.work_mode:
        _apply_work_mode(eng, dn, rec.work_mode, attrs)


def _on_logout(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    login = dn.login
    if login is None:
        eng.warn("logout-without-login")
        return
    if rec.this_queue and len(login.queues) > 1:
        queue = eng.dn_for(switch, rec.this_queue)
        if queue is not None and queue.key in login.queues:
            _queue_logout(eng, dn, queue.key)
            if login.agent:
                eng.reevaluate_groups(eng.agents[login.agent])
            return
    logout(eng, dn)


def _on_ready(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    if _ensure_login(eng, rec, dn, switch):
        if rec.this_queue and dn.login is not None:
            _queue_login(eng, dn, switch, rec.this_queue)
        _set_mode(eng, dn, "WaitForNextCall", attrs_of(rec))


def _on_not_ready(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    if _ensure_login(eng, rec, dn, switch):
        name = "AfterCallWork" if rec.work_mode == "AfterCallWork" else "NotReadyForNextCall"
        _set_mode(eng, dn, name, attrs_of(rec))


def _on_hook(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    name = "OffHook" if rec.event == "EventOffHook" else "OnHook"
    if dn.hook_item is not None and dn.hook_item.name == name:
        return
    eng.dn_end(dn, dn.hook_item)
    dn.hook_item = eng.dn_start(dn, name)


def _set_dnd(eng: TenantEngine, dn: DnState, on: bool) -> None:
    if on and dn.dnd_item is None:
        dn.dnd_item = eng.dn_start(dn, "DoNotDisturb")
    elif not on and dn.dnd_item is not None:
        eng.dn_end(dn, dn.dnd_item)
        dn.dnd_item = None


def _on_dnd(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    _set_dnd(eng, _regular(eng, rec, switch), rec.event == "EventDNDOn")


# ---------------------------------------------------------------------------- calls at a DN
def _reflect(eng: TenantEngine, queue: str | None, name: str, attrs: Attrs, duration: int) -> None:
    if queue is None:
        return
    med = eng.mediation.get(queue)
    if med is not None:
        eng.instant(med, name, attrs, duration)


def _new_call(eng: TenantEngine, rec: EventRecord, dn: DnState, switch: str) -> Call:
    conn = _need_conn(rec)
    call = dn.calls.get(conn)
    if call is None:
        call = Call(conn, _call_type(rec.call_type), attrs_of(rec))
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
            _set_mode(eng, dn, None, EMPTY_ATTRS)
            login.ready_pending = pending
    else:
        call.attrs = _merge(call.attrs, rec)
        if rec.call_type in _CALL_TYPES and call.phase != "established":
            call.call_type = rec.call_type
    return call


def _merge(attrs: Attrs, rec: EventRecord) -> Attrs:
    changes: dict[str, Any] = {}
    if rec.user_data is not None:
        changes["user_data"] = rec.user_data
    for key, value in (
        ("ani", rec.ani),
        ("dnis", rec.dnis),
        ("this_queue", rec.this_queue),
        ("call_type", rec.call_type),
        ("customer_id", rec.customer_id),
    ):
        if value is not None and getattr(attrs, key) != value:
            changes[key] = value
    return attrs.replace(**changes) if changes else attrs


def _end_phase(eng: TenantEngine, dn: DnState, call: Call) -> int:
    item = call.phase_item
    if item is None:
        return 0
    eng.dn_end(dn, item)
    call.phase_item = None
    return eng.duration_since(item.start_exact)


def _establish(eng: TenantEngine, dn: DnState, call: Call, *, reflect: bool = True) -> None:
    name = f"Call{call.call_type}"
    call.type_item = eng.dn_start(dn, name, call.attrs)
    if call.talk_start is None:
        call.talk_start = call.type_item.start_exact
    eng.dn_instant(dn, f"{name}Started", call.attrs)
    call.phase = "established"
    if sum(1 for c in dn.calls.values() if c.phase == "established") == 1:
        _queue_pseudo(eng, dn, ("AgentActive", "DNActive"), True)


def _hold(eng: TenantEngine, dn: DnState, call: Call) -> None:
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
        _reflect(eng, call.queue, "CallReleased", call.attrs, talk)


def _call_gone(eng: TenantEngine, dn: DnState, call: Call, switch: str | None) -> None:
    """Book-keeping when a call leaves a DN."""
    if call.phase == "established":
        # ACW follows the last call handled here (None: not distributed by a queue)
        dn.last_queue = call.queue
    if switch is not None:
        eng.distributed.pop((switch, call.conn_id), None)
    if call.phase == "established" and not any(c.phase == "established" for c in dn.calls.values()):
        _queue_pseudo(eng, dn, ("AgentActive", "DNActive"), False)
    login = dn.login
    if login is not None and login.ready_pending is not None and not dn.calls:
        pending = login.ready_pending
        login.ready_pending = None
        if login.mode_item is None:
            _set_mode(eng, dn, "WaitForNextCall", pending)


def drop_call(eng: TenantEngine, dn: DnState, call: Call) -> None:
    _unhold(eng, dn, call, report=False)
    _end_phase(eng, dn, call)
    _end_talk(eng, dn, call)
    _call_gone(eng, dn, call, None)


def _call_phase(
    eng: TenantEngine, rec: EventRecord, switch: str, phase: str, action: str, side: str
) -> None:
    """A new call reaches this DN: dialing out (Originated) or ringing in (Received)."""
    dn = _regular(eng, rec, switch)
    call = _new_call(eng, rec, dn, switch)
    if call.phase:
        return
    call.phase = phase
    call.phase_item = eng.dn_start(dn, action, call.attrs)
    eng.dn_instant(dn, f"{action}Started", call.attrs)
    if call.call_type in ("Consult", "Internal", "Outbound"):
        eng.dn_instant(dn, f"Call{call.call_type}{side}", call.attrs)


def _on_dialing(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    _call_phase(eng, rec, switch, "dialing", "CallDialing", "Originated")


def _on_ringing(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    _call_phase(eng, rec, switch, "ringing", "CallRinging", "Received")


def _on_established(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
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
            _reflect(eng, call.queue, "CallAnswered", call.attrs, waited)
    else:
        _end_phase(eng, dn, call)
    _establish(eng, dn, call)


def _on_held(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    call = dn.calls.get(_need_conn(rec))
    if call is None:
        eng.warn("unknown-call")
        return
    _hold(eng, dn, call)


def _on_retrieved(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    call = dn.calls.get(_need_conn(rec))
    if call is None:
        eng.warn("unknown-call")
        return
    _unhold(eng, dn, call, report=True)


def _on_released(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, MediationState):
        _mediation_cleared(eng, rec, target)
        return
    dn = _regular(eng, rec, switch)
    call = dn.calls.pop(_need_conn(rec), None)
    if call is None:
        eng.warn("unknown-call")
        return
    if call.phase in ("ringing", "dialing"):
        duration = _end_phase(eng, dn, call)
        if call.phase == "ringing":
            eng.dn_instant(dn, "CallMissed", call.attrs, duration)
            _reflect(eng, call.queue, "CallMissed", call.attrs, duration)
    else:
        _unhold(eng, dn, call, report=False)
        _end_talk(eng, dn, call)
    if rec.this_dn_role == "TransferredBy":
        eng.dn_instant(dn, "CallTransferMade", call.attrs)
    _call_gone(eng, dn, call, switch)


def _on_abandoned(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, MediationState):
        waiting = target.waiting.pop(_need_conn(rec), None)
        if waiting is None:
            eng.warn("unknown-call")
            return
        eng.end(target, target.open, waiting.item)
        duration = eng.duration_since(waiting.enter)
        eng.instant(target, "CallAbandoned", waiting.attrs, duration)
        return
    dn = _regular(eng, rec, switch)
    call = dn.calls.pop(_need_conn(rec), None)
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
            _reflect(eng, call.queue, "CallAbandonedFromRinging", call.attrs, waited)
    elif call.hold_item is not None:
        duration = _unhold(eng, dn, call, report=False)
        eng.dn_instant(dn, "CallAbandonedFromHold", call.attrs, duration)
        eng.dn_instant(dn, "CallAbandoned", call.attrs, duration)
        _end_talk(eng, dn, call)
    else:
        _end_talk(eng, dn, call)
    _call_gone(eng, dn, call, switch)


def _on_party_changed(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    conn = _need_conn(rec)
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
            _enqueue(eng, target, conn, _call_type(rec.call_type), _merge(waiting.attrs, rec))
        return
    dn = _regular(eng, rec, switch)
    call = dn.calls.pop(previous, None) if previous else None
    if call is None:
        call = dn.calls.pop(conn, None)
    if call is None:
        # a call this DN did not know yet: treat as a new established call
        call = _new_call(eng, rec, dn, switch)
        _establish(eng, dn, call)
        eng.dn_instant(dn, "CallPartyChanged", call.attrs)
        return
    call.conn_id = conn
    call.attrs = _merge(call.attrs, rec).replace(conn_id=conn)
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
    new_type = _call_type(rec.call_type, call.call_type)
    if call.phase == "established" and new_type != call.call_type:
        held = call.hold_item is not None
        _unhold(eng, dn, call, report=False)
        _end_talk(eng, dn, call, released=False)
        call.call_type = new_type
        call.phase = ""
        _establish(eng, dn, call)
        if held:
            _hold(eng, dn, call)
    else:
        for item in (call.phase_item, call.type_item, call.hold_item):
            eng.dn_update(dn, item, call.attrs)


def _on_party_added(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = _regular(eng, rec, switch)
    attrs = attrs_of(rec)
    if rec.this_dn_role == "AddedBy":
        eng.dn_instant(dn, "CallConferenceMade", attrs)
    elif rec.this_dn_role in ("NewParty", "ConferenceMember"):
        eng.dn_instant(dn, "CallConferenceJoined", attrs)


def _on_party_deleted(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    eng.dn_instant(_regular(eng, rec, switch), "CallPartyDeleted", attrs_of(rec))


def _on_data_changed(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    conn = _need_conn(rec)
    if isinstance(target, MediationState):
        waiting = target.waiting.get(conn)
        if waiting is not None:
            waiting.attrs = _merge(waiting.attrs, rec)
            eng.update(target, waiting.item, waiting.attrs)
        return
    dn = _regular(eng, rec, switch)
    call = dn.calls.get(conn)
    if call is None:
        return
    call.attrs = _merge(call.attrs, rec)
    for item in (call.phase_item, call.type_item, call.hold_item):
        eng.dn_update(dn, item, call.attrs)


def _on_user_event(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if target is None:
        raise _unknown_dn(rec, switch)
    if isinstance(target, DnState):
        register(eng, target)
    eng.instant(target, "UserEvent", attrs_of(rec))


# ---------------------------------------------------------------------------- mediation DNs
def _mediation(eng: TenantEngine, rec: EventRecord, switch: str) -> MediationState:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, MediationState):
        if not target.registered:
            target.registered = True
            eng.mark_mediation(target)
        return target
    if target is None:
        raise _unknown_dn(rec, switch)
    msg = f"{rec.event} on {target.key}, a {target.info.type}; expected a queue or routing point"
    raise EventRejected("wrong-dn-type", msg)


def _enqueue(
    eng: TenantEngine, med: MediationState, conn: str, call_type: str, attrs: Attrs
) -> None:
    wait_type = "Unknown" if call_type == "Internal" else call_type
    attrs = attrs.replace(conn_id=conn, media_type=med.info.media_type)
    item = eng.start(med, med.open, f"CallWait{wait_type}", attrs)
    med.waiting[conn] = Waiting(item, eng.ts, attrs)


def _on_queued(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    med = _mediation(eng, rec, switch)
    conn = _need_conn(rec)
    if conn in med.waiting:
        return
    attrs = attrs_of(rec, med.info.media_type)
    eng.instant(med, "CallEntered", attrs)
    _enqueue(eng, med, conn, _call_type(rec.call_type), attrs)


def _on_diverted(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, DnState):
        # the call rang here and was diverted elsewhere
        register(eng, target)
        call = target.calls.pop(_need_conn(rec), None)
        if call is None:
            return
        duration = _end_phase(eng, target, call)
        _unhold(eng, target, call, report=False)
        _end_talk(eng, target, call)
        eng.dn_instant(target, "CallForwarded", call.attrs, duration)
        _reflect(eng, call.queue, "CallForwarded", call.attrs, duration)
        _call_gone(eng, target, call, None)
        return
    med = _mediation(eng, rec, switch)
    conn = _need_conn(rec)
    waiting = med.waiting.pop(conn, None)
    if waiting is None:
        eng.warn("unknown-call")
        return
    eng.end(med, med.open, waiting.item)
    duration = eng.duration_since(waiting.enter)
    destination = rec.other_dn or rec.third_party_dn
    dest = eng.dn_for(switch, destination) if destination else None
    name = "CallDistributedToQueue" if isinstance(dest, MediationState) else "CallDistributed"
    eng.instant(med, name, waiting.attrs, duration)
    if not isinstance(dest, MediationState):
        tracked = eng.distributed
        tracked[(switch, conn)] = (med.key, waiting.enter)
        if len(tracked) > eng.options.max_tracked_calls:
            del tracked[next(iter(tracked))]


def _mediation_cleared(eng: TenantEngine, rec: EventRecord, med: MediationState) -> None:
    waiting = med.waiting.pop(_need_conn(rec), None)
    if waiting is None:
        return
    eng.end(med, med.open, waiting.item)
    eng.instant(med, "CallCleared", waiting.attrs, eng.duration_since(waiting.enter))


def _on_treatment(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    med = _mediation(eng, rec, switch)
    name = {
        "EventTreatmentApplied": "CallTreatmentStarted",
        "EventTreatmentEnd": "CallTreatmentCompleted",
        "EventTreatmentNotApplied": "CallTreatmentNotStarted",
    }[rec.event]
    eng.instant(med, name, attrs_of(rec, med.info.media_type))


Handler = Callable[[TenantEngine, EventRecord, str], None]

TLIB_HANDLERS: Final[dict[str, Handler]] = {
    "EventRegistered": _on_registered,
    "EventAgentLogin": _on_login,
    "EventAgentLogout": _on_logout,
    "EventAgentReady": _on_ready,
    "EventAgentNotReady": _on_not_ready,
    "EventOffHook": _on_hook,
    "EventOnHook": _on_hook,
    "EventDNDOn": _on_dnd,
    "EventDNDOff": _on_dnd,
    "EventDialing": _on_dialing,
    "EventRinging": _on_ringing,
    "EventEstablished": _on_established,
    "EventHeld": _on_held,
    "EventRetrieved": _on_retrieved,
    "EventReleased": _on_released,
    "EventAbandoned": _on_abandoned,
    "EventPartyChanged": _on_party_changed,
    "EventPartyAdded": _on_party_added,
    "EventPartyDeleted": _on_party_deleted,
    "EventAttachedDataChanged": _on_data_changed,
    "EventUserEvent": _on_user_event,
    "EventQueued": _on_queued,
    "EventRouteRequest": _on_queued,
    "EventDiverted": _on_diverted,
    "EventRouteUsed": _on_diverted,
    "EventTreatmentApplied": _on_treatment,
    "EventTreatmentEnd": _on_treatment,
    "EventTreatmentNotApplied": _on_treatment,
}
