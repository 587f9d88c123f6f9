"""Mediation DNs (ACD queues, routing points, virtual queues): calls entering, waiting
(the CallWait family), distributed, abandoned, cleared; treatments."""

from __future__ import annotations

from statserver.core.items import Attrs
from statserver.core.state import MediationState, Waiting
from statserver.core.tenant import TenantEngine
from statserver.core.tlib.common import (
    attrs_of,
    call_type,
    need_conn,
    unknown_dn,
)
from statserver.errors import EventRejected
from statserver.events.record import EventRecord


def mediation_dn(eng: TenantEngine, rec: EventRecord, switch: str) -> MediationState:
    target = eng.dn_for(switch, rec.this_dn)
    if isinstance(target, MediationState):
        if not target.registered:
            target.registered = True
            eng.mark_mediation(target)
        return target
    if target is None:
        raise unknown_dn(rec, switch)
    msg = f"{rec.event} on {target.key}, a {target.info.type}; expected a queue or routing point"
    raise EventRejected("wrong-dn-type", msg)


def enqueue(
    eng: TenantEngine, med: MediationState, conn: str, call_type: str, attrs: Attrs
) -> None:
    wait_type = "Unknown" if call_type == "Internal" else call_type
    attrs = attrs.replace(conn_id=conn, media_type=med.info.media_type)
    item = eng.start(med, med.open, f"CallWait{wait_type}", attrs)
    med.waiting[conn] = Waiting(item, eng.ts, attrs)


def on_queued(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    med = mediation_dn(eng, rec, switch)
    conn = need_conn(rec)
    if conn in med.waiting:
        return
    attrs = attrs_of(rec, med.info.media_type)
    eng.instant(med, "CallEntered", attrs)
    enqueue(eng, med, conn, call_type(rec.call_type), attrs)


def distribute(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    """The call waiting in a mediation DN was sent to a destination (a DN or a queue)."""
    med = mediation_dn(eng, rec, switch)
    conn = need_conn(rec)
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


def mediation_cleared(eng: TenantEngine, rec: EventRecord, med: MediationState) -> None:
    waiting = med.waiting.pop(need_conn(rec), None)
    if waiting is None:
        return
    eng.end(med, med.open, waiting.item)
    eng.instant(med, "CallCleared", waiting.attrs, eng.duration_since(waiting.enter))


def on_treatment(eng: TenantEngine, rec: EventRecord, switch: str) -> None:
    med = mediation_dn(eng, rec, switch)
    name = {
        "EventTreatmentApplied": "CallTreatmentStarted",
        "EventTreatmentEnd": "CallTreatmentCompleted",
        "EventTreatmentNotApplied": "CallTreatmentNotStarted",
    }[rec.event]
    eng.instant(med, name, attrs_of(rec, med.info.media_type))
