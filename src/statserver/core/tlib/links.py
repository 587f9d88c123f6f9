"""The link to a T-Server: connected (DNs Monitored), lost (everything on its DNs ends,
DNs NotMonitored), and the registration snapshot of each DN (EventRegistered)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from statserver.core.items import EMPTY_ATTRS
from statserver.core.state import Call, MediationState
from statserver.core.tenant import TenantEngine
from statserver.core.tlib.agents import apply_work_mode, login, logout, set_dnd
from statserver.core.tlib.calls import drop_call, establish, hold
from statserver.core.tlib.common import (
    attrs_of,
    call_type,
    register,
    unknown_dn,
)
from statserver.core.tlib.queues import enqueue
from statserver.events.record import EventRecord


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


def on_registered(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    target = eng.dn_for(switch, rec.this_dn)
    if target is None:
        raise unknown_dn(rec, switch)
    ext: Mapping[str, Any] = rec.extensions or {}
    if isinstance(target, MediationState):
        target.registered = True
        eng.mark_mediation(target)
        for call in ext.get("calls", ()) or ():
            conn = str(call.get("connID", ""))
            if conn and conn not in target.waiting:
                enqueue(eng, target, conn, call_type(call.get("callType")), EMPTY_ATTRS)
        return
    dn = target
    register(eng, dn)
    # reconcile the agent state the T-Server reports
    agent_id = rec.agent_id or ext.get("agentID")
    if agent_id:
        if dn.login is None or dn.login.login_id != agent_id:
            if dn.login is not None:
                logout(eng, dn)
            login(eng, dn, switch, str(agent_id), rec.this_queue, attrs_of(rec))
        mode = rec.work_mode or ext.get("workMode")
        if mode:
            apply_work_mode(eng, dn, str(mode), attrs_of(rec))
    elif ("agentID" in ext or ext.get("loggedOut")) and dn.login is not None:
        logout(eng, dn)
    if ext.get("offHook") and (dn.hook_item is None or dn.hook_item.name != "OffHook"):
        eng.dn_end(dn, dn.hook_item)
        dn.hook_item = eng.dn_start(dn, "OffHook")
    if "dnd" in ext:
        set_dnd(eng, dn, bool(ext["dnd"]))
    reported = {str(c.get("connID")): c for c in ext.get("calls", ()) or () if c.get("connID")}
    if "calls" in ext:
        for conn in [c for c in dn.calls if c not in reported]:
            drop_call(eng, dn, dn.calls.pop(conn))
    for conn, c in reported.items():
        if conn in dn.calls:
            continue
        call = Call(conn, call_type(c.get("callType")), EMPTY_ATTRS.replace(conn_id=conn))
        dn.calls[conn] = call
        state = str(c.get("state", "Established"))
        if state == "Ringing":
            call.phase = "ringing"
            call.phase_item = eng.dn_start(dn, "CallRinging", call.attrs)
        elif state == "Dialing":
            call.phase = "dialing"
            call.phase_item = eng.dn_start(dn, "CallDialing", call.attrs)
        else:
            establish(eng, dn, call, reflect=False)
            if state == "Held":
                hold(eng, dn, call)
