"""What every T-Library handler needs: event attributes, DN lookup, implicit registration,
and crediting the mediation DN that distributed a call ("actions reflecting regular DNs")."""

from __future__ import annotations

from typing import Any, Final

from statserver.core.items import Attrs
from statserver.core.state import DnState
from statserver.core.tenant import TenantEngine
from statserver.errors import EventRejected
from statserver.events.record import EventRecord

CALL_TYPES: Final = frozenset({"Inbound", "Outbound", "Internal", "Consult", "Unknown"})


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


def call_type(value: str | None, default: str = "Unknown") -> str:
    if value in CALL_TYPES:
        return value
    return default


def regular_dn(eng: TenantEngine, rec: EventRecord, switch: str) -> DnState:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, DnState):
        register(eng, target)
        return target
    if target is None:
        raise unknown_dn(rec, switch)
    msg = f"{rec.event} on {target.key}, a {target.info.type}; expected a regular DN here"
    raise EventRejected("wrong-dn-type", msg)


def unknown_dn(rec: EventRecord, switch: str) -> EventRejected:
    if rec.this_dn is None:
        return EventRejected("missing-field", f"{rec.event} needs thisDN")
    return EventRejected(
        "unknown-dn", f"{rec.event}: DN {rec.this_dn}@{switch} is not in the configuration"
    )


def need_conn(rec: EventRecord) -> str:
    if not rec.conn_id:
        raise EventRejected("missing-field", f"{rec.event} needs connID")
    return rec.conn_id


def register(eng: TenantEngine, dn: DnState) -> None:
    """The DN becomes monitored (EventRegistered, or implicitly by any event)."""
    if dn.registered:
        return
    dn.registered = True
    eng.dn_end(dn, dn.monitor_item)
    dn.monitor_item = None
    if dn.hook_item is None:
        dn.hook_item = eng.dn_start(dn, "OnHook")


def merge_attrs(attrs: Attrs, rec: EventRecord) -> Attrs:
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


def reflect(eng: TenantEngine, queue: str | None, name: str, attrs: Attrs, duration: int) -> None:
    if queue is None:
        return
    med = eng.mediation.get(queue)
    if med is not None:
        eng.instant(med, name, attrs, duration)
