"""Agent state on regular DNs: login and logout (with the queues logged into and their
pseudo actions), Ready / NotReady / AfterCallWork (ACWCompleted, ACWMissed), hook, DND."""

from __future__ import annotations

from typing import Final

from statserver.core.items import EMPTY_ATTRS, Attrs
from statserver.core.state import DnState, LoginState, MediationState
from statserver.core.tenant import TenantEngine
from statserver.core.tlib.common import (
    attrs_of,
    reflect,
    regular_dn,
)
from statserver.errors import EventRejected
from statserver.events.record import EventRecord

_READY_MODES: Final = frozenset({"ManualIn", "AutoIn", "ReturnBack"})
_NOT_READY_MODES: Final = frozenset({"AuxWork", "NoCallDisconnect", "WalkAway", "LegalGuard"})


def login(
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


def queue_pseudo(eng: TenantEngine, dn: DnState, names: tuple[str, str], on: bool) -> None:
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
    set_mode(eng, dn, None, EMPTY_ATTRS)
    for q in list(login.queues):
        _queue_logout(eng, dn, q)
    eng.dn_end(dn, login.item)
    dn.login = None
    if login.agent:
        eng.dissociate(eng.agents[login.agent], dn)


def set_mode(eng: TenantEngine, dn: DnState, name: str | None, attrs: Attrs) -> None:
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
            queue_pseudo(eng, dn, ("AgentReady", "DNReady"), False)
        if current.name == "AfterCallWork":
            duration = eng.duration_since(current.start_exact)
            eng.dn_instant(dn, "ACWCompleted", current.attrs, duration)
            reflect(eng, dn.last_queue, "ACWCompleted", current.attrs, duration)
    login.mode_item = None
    if name is not None:
        login.mode_item = eng.dn_start(dn, name, attrs)
        if name == "WaitForNextCall":
            queue_pseudo(eng, dn, ("AgentReady", "DNReady"), True)
        elif name == "AfterCallWork":
            established = [c for c in dn.calls.values() if c.phase == "established"]
            if established:
                eng.dn_instant(dn, "ACWMissed", attrs)
                reflect(eng, established[-1].queue, "ACWMissed", attrs, 0)


def apply_work_mode(eng: TenantEngine, dn: DnState, mode: str, attrs: Attrs) -> None:
    if mode in _READY_MODES:
        set_mode(eng, dn, "WaitForNextCall", attrs)
    elif mode == "AfterCallWork":
        set_mode(eng, dn, "AfterCallWork", attrs)
    elif mode in _NOT_READY_MODES:
        set_mode(eng, dn, "NotReadyForNextCall", attrs)


def _ensure_login(eng: TenantEngine, rec: EventRecord, dn: DnState, switch: str) -> bool:
    if dn.login is not None:
        return True
    if not rec.agent_id:
        eng.warn("agent-not-logged-in")
        return False
    eng.warn("implicit-login")
    login(eng, dn, switch, rec.agent_id, rec.this_queue, attrs_of(rec))
    return True


def on_login(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = regular_dn(eng, rec, switch)
    if not rec.agent_id:
        raise EventRejected("missing-field", "EventAgentLogin needs agentID")
    attrs = attrs_of(rec)
    if dn.login is not None and dn.login.login_id != rec.agent_id:
        logout(eng, dn)
    if dn.login is None:
        login(eng, dn, switch, rec.agent_id, rec.this_queue, attrs)
    elif rec.this_queue:
        _queue_login(eng, dn, switch, rec.this_queue)
    if rec.work_mode:
        apply_work_mode(eng, dn, rec.work_mode, attrs)


def on_logout(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = regular_dn(eng, rec, switch)
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


def on_ready(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = regular_dn(eng, rec, switch)
    if _ensure_login(eng, rec, dn, switch):
        if rec.this_queue and dn.login is not None:
            _queue_login(eng, dn, switch, rec.this_queue)
        set_mode(eng, dn, "WaitForNextCall", attrs_of(rec))


def on_not_ready(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = regular_dn(eng, rec, switch)
    if _ensure_login(eng, rec, dn, switch):
        name = "AfterCallWork" if rec.work_mode == "AfterCallWork" else "NotReadyForNextCall"
        set_mode(eng, dn, name, attrs_of(rec))


def on_hook(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    dn = regular_dn(eng, rec, switch)
    name = "OffHook" if rec.event == "EventOffHook" else "OnHook"
    if dn.hook_item is not None and dn.hook_item.name == name:
        return
    eng.dn_end(dn, dn.hook_item)
    dn.hook_item = eng.dn_start(dn, name)


def set_dnd(eng: TenantEngine, dn: DnState, on: bool) -> None:
    if on and dn.dnd_item is None:
        dn.dnd_item = eng.dn_start(dn, "DoNotDisturb")
    elif not on and dn.dnd_item is not None:
        eng.dn_end(dn, dn.dnd_item)
        dn.dnd_item = None


def on_dnd(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    set_dnd(eng, regular_dn(eng, rec, switch), rec.event == "EventDNDOn")
