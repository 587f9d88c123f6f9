"""The object model the engine works on: tenants, switches, DNs, places, agents and groups.

These are plain, validated records built from the configuration (``statserver.config``) or
by hand in tests.  The engine never reads files: it is given a :class:`Directory`.

Object identifiers follow Genesys: DNs are ``number@switch``, agents are their employee id,
places and groups their names, a tenant its name.  Names are unique per tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from statserver.core.identity_enum import IdentityEnum

__all__ = [
    "MEDIATION_DN_TYPES",
    "REGULAR_DN_TYPES",
    "AgentInfo",
    "Directory",
    "DnInfo",
    "DnKind",
    "GroupInfo",
    "ObjectType",
    "PlaceInfo",
    "SourceInfo",
    "SourceKind",
    "SwitchInfo",
    "TenantModel",
    "dn_key",
]


class ObjectType(IdentityEnum):
    """Statistic object types, as named in the client protocol (PSDK names)."""

    AGENT = "Agent"
    PLACE = "AgentPlace"
    GROUP_AGENTS = "GroupAgents"
    GROUP_PLACES = "GroupPlaces"
    REGULAR_DN = "RegularDN"
    QUEUE = "Queue"
    ROUTE_POINT = "RoutePoint"
    GROUP_QUEUES = "GroupQueues"
    TENANT = "Tenant"
    STAGING_AREA = "StagingArea"

    @classmethod
    def parse(cls, text: str) -> ObjectType:
        """The object type named ``text`` (protocol or ``Objects=`` spelling)."""
        found = _OBJECT_TYPE_NAMES.get(text.strip().lower())
        if found is None:
            names = ", ".join(t.value for t in cls)
            msg = f"unknown object type {text!r}; expected one of {names}"
            raise ValueError(msg)
        return found


_OBJECT_TYPE_NAMES: Final[dict[str, ObjectType]] = {
    **{t.value.lower(): t for t in ObjectType},
    # spellings used in stat type ``Objects=`` lists and older clients
    "place": ObjectType.PLACE,
    "regdn": ObjectType.REGULAR_DN,
    "routepoint": ObjectType.ROUTE_POINT,
    "routingpoint": ObjectType.ROUTE_POINT,
    "queue": ObjectType.QUEUE,
    "groupqueues": ObjectType.GROUP_QUEUES,
    "stagingarea": ObjectType.STAGING_AREA,
    "interactionqueue": ObjectType.STAGING_AREA,
}


class DnKind(IdentityEnum):
    REGULAR = "regular"
    MEDIATION = "mediation"


#: Configuration DN types that are regular DNs (they can be on places).
REGULAR_DN_TYPES: Final[frozenset[str]] = frozenset(
    {
        "Extension",
        "ACDPosition",
        "Chat",
        "Email",
        "VoIP",
        "Video",
        "CoBrowse",
        "EAPort",
        "VoiceMail",
        "Cellular",
        "CP",
        "FAX",
        "Data",
        "Music",
        "Mixed",
        "Trunk",
    }
)
#: Configuration DN types that are mediation DNs, with the object type of a statistic on them.
MEDIATION_DN_TYPES: Final[dict[str, ObjectType]] = {
    "ACDQueue": ObjectType.QUEUE,
    "VirtualQueue": ObjectType.QUEUE,
    "VirtACDQueue": ObjectType.QUEUE,
    "RoutingPoint": ObjectType.ROUTE_POINT,
    "ExtRoutingPoint": ObjectType.ROUTE_POINT,
    "RoutingQueue": ObjectType.ROUTE_POINT,
    "ServiceNumber": ObjectType.ROUTE_POINT,
    "VirtRoutingPoint": ObjectType.ROUTE_POINT,
}


def dn_key(number: str, switch: str) -> str:
    """The Genesys object id of a DN: ``number@switch``."""
    return f"{number}@{switch}"


@dataclass(frozen=True, slots=True)
class DnInfo:
    number: str
    switch: str
    type: str
    #: VQ / DN option ``use-alt-enter-time``: keep the enter time across a ConnID change.
    use_alt_enter_time: bool = False
    #: media of a virtual queue or multimedia DN (``voice`` by default)
    media_type: str = "voice"

    @property
    def key(self) -> str:
        return dn_key(self.number, self.switch)

    @property
    def kind(self) -> DnKind:
        return DnKind.MEDIATION if self.type in MEDIATION_DN_TYPES else DnKind.REGULAR

    @property
    def object_type(self) -> ObjectType:
        return MEDIATION_DN_TYPES.get(self.type, ObjectType.REGULAR_DN)


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    name: str
    dns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentInfo:
    employee_id: str
    user_name: str = ""
    #: switch name -> login id the switch reports in ``agentID``
    login_ids: dict[str, str] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)
    #: media type -> how many interactions of it the agent may handle at once
    capacity: dict[str, int] = field(default_factory=dict)
    #: the place to use for media-only logins when an Interaction Server names no place
    place: str | None = None


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """An agent, place or DN group.  A virtual agent group has a ``script``."""

    name: str
    members: tuple[str, ...] = ()
    script: str | None = None
    origination_dns: tuple[str, ...] = ()


class SourceKind(IdentityEnum):
    TSERVER = "tserver"
    INTERACTION = "interaction"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    kind: SourceKind
    tenants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SwitchInfo:
    name: str
    tenant: str
    source: str | None = None


@dataclass(slots=True)
class TenantModel:
    """Everything one tenant owns.  Each tenant is computed by its own engine shard."""

    name: str
    password: str = ""
    switches: dict[str, SwitchInfo] = field(default_factory=dict)
    dns: dict[str, DnInfo] = field(default_factory=dict)
    places: dict[str, PlaceInfo] = field(default_factory=dict)
    agents: dict[str, AgentInfo] = field(default_factory=dict)
    agent_groups: dict[str, GroupInfo] = field(default_factory=dict)
    place_groups: dict[str, GroupInfo] = field(default_factory=dict)
    dn_groups: dict[str, GroupInfo] = field(default_factory=dict)

    def place_of_dn(self) -> dict[str, str]:
        """DN key -> the place it is on."""
        return {dn: p.name for p in self.places.values() for dn in p.dns}

    def agent_by_login(self) -> dict[tuple[str, str], str]:
        """(switch, login id) -> employee id."""
        return {
            (switch, login): a.employee_id
            for a in self.agents.values()
            for switch, login in a.login_ids.items()
        }


@dataclass(slots=True)
class Directory:
    """The whole object model: tenants and the sources that report on them."""

    tenants: dict[str, TenantModel] = field(default_factory=dict)
    sources: dict[str, SourceInfo] = field(default_factory=dict)

    def dns_of_source(self, source: str) -> list[str]:
        """The DN numbers a T-Server source reports (what Stat Server registers with it)."""
        return [
            dn.number
            for t in self.tenants.values()
            for dn in t.dns.values()
            if t.switches.get(dn.switch) is not None and t.switches[dn.switch].source == source
        ]

    def switches_of_source(self, source: str) -> list[SwitchInfo]:
        return [
            sw for t in self.tenants.values() for sw in t.switches.values() if sw.source == source
        ]
