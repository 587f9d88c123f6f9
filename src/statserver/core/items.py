"""Items: action instances and status episodes, the unit every statistic aggregates.

An :class:`Item` is either a durable action in progress on a DN, media channel or staging
area, an instantaneous action, or a *status episode* (a period during which a DN, place,
agent or group had one status).  Statistics never see events, only items.

Times: ``start`` is whole seconds (Genesys truncates milliseconds before taking a
difference); ``start_exact`` keeps the source precision for CurrentState structures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from statserver.core.native_init import install_inits
from statserver.core.portable import Portable

__all__ = ["EMPTY_ATTRS", "Attrs", "Item", "whole"]

_EMPTY: Final[Mapping[str, Any]] = {}


def whole(t: float) -> int:
    """Whole seconds of a timestamp (milliseconds truncated, towards the past)."""
    i = int(t)
    return i - 1 if i > t else i


_ATTR_FIELDS: Final = (
    "ani",
    "call_type",
    "conn_id",
    "customer_id",
    "dnis",
    "extensions",
    "media_type",
    "other_dn",
    "reasons",
    "this_queue",
    "treatment_type",
    "user_data",
)


class Attrs(Portable):
    """The event attributes an action carries and filters test (frozen by convention)."""

    __slots__ = _ATTR_FIELDS

    def __init__(
        self,
        *,
        conn_id: str | None = None,
        call_type: str | None = None,
        ani: str | None = None,
        dnis: str | None = None,
        customer_id: str | None = None,
        this_queue: str | None = None,
        other_dn: str | None = None,
        treatment_type: str | None = None,
        media_type: str = "voice",
        user_data: Mapping[str, Any] | None = None,
        reasons: Mapping[str, Any] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.call_type = call_type
        self.ani = ani
        self.dnis = dnis
        self.customer_id = customer_id
        self.this_queue = this_queue
        self.other_dn = other_dn
        self.treatment_type = treatment_type
        self.media_type = media_type
        self.user_data: Mapping[str, Any] = user_data if user_data is not None else _EMPTY
        self.reasons: Mapping[str, Any] = reasons if reasons is not None else _EMPTY
        self.extensions: Mapping[str, Any] = extensions if extensions is not None else _EMPTY

    def replace(self, **changes: Any) -> Attrs:
        """A copy with some attributes changed."""
        values = {name: getattr(self, name) for name in _ATTR_FIELDS}
        values.update(changes)
        return Attrs(**values)

    def to_dict(self) -> dict[str, Any]:
        """The attributes that are set, under their event-record names."""
        out: dict[str, Any] = {}
        for key, name in _RECORD_NAMES.items():
            value = getattr(self, key)
            if value:
                out[name] = dict(value) if isinstance(value, Mapping) else value
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attrs):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in _ATTR_FIELDS)

    def __hash__(self) -> int:  # pragma: no cover - attrs are not used as keys
        return hash((self.conn_id, self.call_type, self.media_type))

    def __repr__(self) -> str:
        return f"Attrs({self.to_dict()!r})"


_RECORD_NAMES: Final[dict[str, str]] = {
    "conn_id": "connID",
    "call_type": "callType",
    "ani": "ani",
    "dnis": "dnis",
    "customer_id": "customerID",
    "this_queue": "thisQueue",
    "other_dn": "otherDN",
    "treatment_type": "treatmentType",
    "media_type": "mediaType",
    "user_data": "userData",
    "reasons": "reasons",
    "extensions": "extensions",
}

EMPTY_ATTRS: Final[Attrs] = Attrs()


class Item(Portable):
    """One action instance or status episode.

    ``start`` is in source time (the event's ``time``), ``start_local`` in local receipt time;
    a statistic measures with one or the other (stat type option UseSourceTimeStamps).
    ``origin`` names where it happens (a DN key, ``agent/media@source``, a staging area) and
    is what CurrentState trees show.  Items are identified by ``id``, unique in a tenant.
    """

    __slots__ = ("attrs", "id", "name", "origin", "start", "start_exact", "start_local")

    def __init__(
        self,
        item_id: int,
        name: str,
        start_exact: float,
        start: int,
        start_local: int,
        attrs: Attrs = EMPTY_ATTRS,
        origin: str = "",
    ) -> None:
        """``start`` and ``start_local`` are the whole seconds of the source and local
        times (:func:`whole`): the tenant keeps them for the current event."""
        self.id = item_id
        self.name = name
        self.start_exact = start_exact
        self.start = start
        #: start in local receipt time (equal to the source time in replay)
        self.start_local = start_local
        self.attrs = attrs
        self.origin = origin

    @property
    def media(self) -> str:
        return self.attrs.media_type

    def __repr__(self) -> str:
        return f"Item({self.id}, {self.name!r}, start={self.start}, origin={self.origin!r})"


install_inits(globals())
