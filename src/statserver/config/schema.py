"""The shape of the YAML configuration file (contracts.md §2), as msgspec structs.

Keys are the contract's camelCase names; stat type keys are the Genesys option names.
Numbers are accepted where identifiers are expected (``number: 8000``) and turned into text.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "AgentCfg",
    "AgentGroupCfg",
    "ConfigFile",
    "DnCfg",
    "DnGroupCfg",
    "PlaceCfg",
    "PlaceGroupCfg",
    "ProfileCfg",
    "SourceCfg",
    "SwitchCfg",
    "TenantCfg",
    "ThresholdCfg",
    "WallboardCfg",
    "WallboardStatCfg",
]

Ident = str | int


class _Base(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    pass


class TenantCfg(_Base):
    name: Ident
    password: str = ""
    description: str = ""


class SwitchCfg(_Base):
    name: Ident
    tenant: Ident | None = None
    source: Ident | None = None


class SourceCfg(msgspec.Struct, rename="camel"):
    """A T-Server or Interaction Server to connect to (extra keys are adapter settings)."""

    name: Ident
    kind: str
    tenants: list[Ident] = msgspec.field(default_factory=list)
    host: str | None = None
    port: int | None = None
    #: how the server reaches it: "tcp" (default when host/port are given), "file", "nats"
    transport: str | None = None
    file: str | None = None
    url: str | None = None
    subject: str | None = None
    stream: str | None = None
    follow: bool = False


class DnCfg(_Base):
    number: Ident
    switch: Ident
    type: str
    name: str | None = None
    use_alt_enter_time: bool = False
    media_type: str | None = None


class PlaceCfg(_Base):
    name: Ident
    dns: list[Ident] = msgspec.field(default_factory=list)
    tenant: Ident | None = None


class AgentCfg(_Base):
    employee_id: Ident
    user_name: str = ""
    first_name: str = ""
    last_name: str = ""
    login_ids: dict[str, Ident] = msgspec.field(default_factory=dict)
    skills: dict[str, int] = msgspec.field(default_factory=dict)
    capacity: dict[str, int] = msgspec.field(default_factory=dict)
    place: Ident | None = None
    tenant: Ident | None = None


class AgentGroupCfg(_Base):
    name: Ident
    agents: list[Ident] = msgspec.field(default_factory=list)
    script: str | None = None
    origination_dns: list[Ident] = msgspec.field(default_factory=list, name="originationDNs")
    tenant: Ident | None = None


class PlaceGroupCfg(_Base):
    name: Ident
    places: list[Ident] = msgspec.field(default_factory=list)
    tenant: Ident | None = None


class DnGroupCfg(_Base):
    name: Ident
    dns: list[Ident] = msgspec.field(default_factory=list)
    tenant: Ident | None = None


class ProfileCfg(_Base):
    type: str
    value: Ident | None = None
    time_zone: str | None = None


class ThresholdCfg(_Base):
    """Values that colour a wallboard cell: ``warning`` first, then ``alarm``."""

    warning: float | None = None
    alarm: float | None = None


class WallboardStatCfg(_Base):
    """A wallboard column: a built-in one overridden, or a new one (docs/wallboard.md)."""

    label: str | None = None
    #: a configured stat type, or ``definition``: inline Genesys keys (Category, MainMask, ...)
    stat_type: str | None = None
    definition: dict[str, Any] | None = None
    time_profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None
    #: count, seconds, percent, rate or value (default: the category's unit)
    unit: str | None = None
    warning: float | None = None
    alarm: float | None = None
    #: above: worse when higher (default); below: worse when lower (service level)
    direction: str | None = None


class WallboardCfg(_Base):
    """The ``wallboard:`` section: what the wallboard and ``statserver watch`` show."""

    title: str | None = None
    tenant: Ident | None = None
    agents: list[Ident] | None = None
    groups: list[Ident] | None = None
    queues: list[Ident] | None = None
    #: a CurrentState / CurrentStateReasons stat type for the agents table
    agent_state: str | None = None
    queue_columns: list[str] | None = None
    group_columns: list[str] | None = None
    trend: str | None = None
    trend_minutes: float = 15.0
    statistics: dict[str, WallboardStatCfg] = msgspec.field(default_factory=dict)
    status_time: dict[str, ThresholdCfg] = msgspec.field(default_factory=dict)


class ConfigFile(_Base):
    tenants: list[TenantCfg] = msgspec.field(default_factory=list)
    switches: list[SwitchCfg] = msgspec.field(default_factory=list)
    sources: list[SourceCfg] = msgspec.field(default_factory=list)
    dns: list[DnCfg] = msgspec.field(default_factory=list)
    places: list[PlaceCfg] = msgspec.field(default_factory=list)
    agents: list[AgentCfg] = msgspec.field(default_factory=list)
    agent_groups: list[AgentGroupCfg] = msgspec.field(default_factory=list)
    place_groups: list[PlaceGroupCfg] = msgspec.field(default_factory=list)
    dn_groups: list[DnGroupCfg] = msgspec.field(default_factory=list)
    stat_types: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)
    time_profiles: dict[str, ProfileCfg] = msgspec.field(default_factory=dict)
    time_ranges: dict[str, Ident] = msgspec.field(default_factory=dict)
    filters: dict[str, str] = msgspec.field(default_factory=dict)
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    #: Genesys option files (exported from a Stat Server application) merged in
    genesys_options: list[str] = msgspec.field(default_factory=list)
    wallboard: WallboardCfg | None = None
