"""The live wallboard: what it shows and how it asks for it (docs/wallboard.md).

The page (``index.html``, ``app.js``, ``style.css`` beside this file, no build step, no
internet) and ``statserver watch`` both start from the same *plan*, served at
``GET /api/v1/wallboard``: the agents, agent groups and queues to show, and for each
column the client-protocol request that opens its statistic (an ``OpenStatistic`` with a
configured stat type, or an ``OpenStatisticEx`` with an inline definition), its unit and
its thresholds.  The client then speaks the ordinary protocol on ``/ws``: one subscription
per cell in ``Changes`` mode, values pushed, no polling.

Each column is a :class:`StatSpec`.  The built-in columns (:data:`DEFAULT_STATISTICS`) use a
stat type of the configuration when one of their usual names is defined with the same
category for the object type (``CallsWaiting``, ``ServiceLevel``, ...), and an inline
definition otherwise, so the wallboard works with a configuration that defines no stat
types at all.  The ``wallboard:`` key of the configuration overrides any of this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from statserver.core.model import Directory, ObjectType
from statserver.core.stats.definition import parse_stat_type
from statserver.errors import ConfigError

if TYPE_CHECKING:
    from statserver.config.schema import WallboardCfg, WallboardStatCfg
    from statserver.core.catalog import Catalog

__all__ = [
    "DEFAULT_GROUP_COLUMNS",
    "DEFAULT_QUEUE_COLUMNS",
    "DEFAULT_STATISTICS",
    "DEFAULT_STATUS_TIME",
    "STATIC_DIR",
    "StatSpec",
    "build_plan",
    "check_config",
    "status_class",
]

#: the page's files (index.html, app.js, style.css)
STATIC_DIR: Final = Path(__file__).resolve().parent

_Q: Final = (ObjectType.QUEUE, ObjectType.ROUTE_POINT, ObjectType.GROUP_QUEUES)
_G: Final = (ObjectType.GROUP_AGENTS, ObjectType.GROUP_PLACES)
_BUSY: Final = (
    "CallInbound,CallOutbound,CallInternal,CallConsult,CallUnknown,CallOnHold,CallRinging,"
    "CallDialing"
)


@dataclass(frozen=True)
class StatSpec:
    """One wallboard statistic (a column of the groups or queues table).

    ``definitions`` maps object types to inline definitions (Genesys keys); ``stat_type``
    names a configured stat type instead; ``candidates`` are stat type names used in
    preference to the inline definition when the configuration defines one with the same
    category for the object type.  ``warning``/``alarm`` colour the cell: with direction
    ``above`` when the value is at least the threshold, with ``below`` when it is at most.
    """

    key: str
    label: str
    definitions: Mapping[ObjectType, Mapping[str, str]] = field(default_factory=dict)
    stat_type: str | None = None
    candidates: tuple[str, ...] = ()
    #: categories a candidate may have (default: the inline definition's)
    categories: tuple[str, ...] = ()
    time_profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None
    unit: str | None = None
    warning: float | None = None
    alarm: float | None = None
    direction: str | None = None
    description: str = ""

    @property
    def object_types(self) -> tuple[ObjectType, ...]:
        return tuple(self.definitions)

    def thresholds(self) -> dict[str, Any] | None:
        if self.warning is None and self.alarm is None:
            return None
        direction = self.direction
        if direction is None:
            below = (
                self.warning is not None and self.alarm is not None and self.alarm < self.warning
            )
            direction = "below" if below else "above"
        return {"warning": self.warning, "alarm": self.alarm, "direction": direction}


def _defs(types: Iterable[ObjectType], **keys: str) -> dict[ObjectType, dict[str, str]]:
    return {t: dict(keys) for t in types}


_AHT_QUEUE: Final = (
    "(SUM(CallReleased; duration) + SUM(ACWCompleted; duration)) / COUNT(CallReleased)"
)
#: ServiceFactor1 with TimeRange 0-20, as a formula so that a queue without calls has no data
#: (ServiceFactor1 says 0 %, which would colour every quiet queue red)
_SERVICE_LEVEL: Final = (
    "100 * COUNT(CallAnswered; duration < 20) / (COUNT(CallAnswered) + COUNT(CallAbandoned))"
)
_AHT_AGENTS: Final = (
    "(SUM(CallInboundCompleted; duration) + SUM(ACWCompleted; duration))"
    " / COUNT(CallInboundCompleted)"
)

#: the built-in columns, by key (docs/wallboard.md lists them)
DEFAULT_STATISTICS: Final[dict[str, StatSpec]] = {
    s.key: s
    for s in (
        StatSpec(
            "waiting",
            "Waiting",
            _defs(_Q, Category="CurrentNumber", Subject="DNAction", MainMask="CallWait"),
            candidates=("CallsWaiting", "CurrNumberWaitingCalls", "Current_In_Queue"),
            warning=3,
            alarm=6,
            description="calls waiting now",
        ),
        StatSpec(
            "oldest",
            "Oldest",
            _defs(_Q, Category="CurrentMaxTime", Subject="DNAction", MainMask="CallWait"),
            candidates=("OldestCall", "OldestCallWaiting", "MaxWaitingTime", "CurrMaxWaitTime"),
            warning=30,
            alarm=60,
            description="how long the oldest waiting call has waited (s)",
        ),
        StatSpec(
            "serviceLevel",
            "Service level",
            _defs(_Q, Category="Formula", Subject="DNAction", Expression=_SERVICE_LEVEL),
            # a ServiceFactor1 stat type of the configuration is not taken: it says 0 % for a
            # quiet queue (name it with statType to use it anyway)
            candidates=("ServiceLevel",),
            unit="percent",
            warning=80,
            alarm=70,
            description="% of the calls answered or abandoned since midnight that were answered "
            "within 20 s (no data before the first one)",
        ),
        StatSpec(
            "asa",
            "ASA",
            _defs(_Q, Category="AverageTime", Subject="DNAction", MainMask="CallAnswered"),
            candidates=("ASA", "AverageSpeedOfAnswer", "AvgSpeedOfAnswer", "AverageAnswerTime"),
            warning=20,
            alarm=40,
            description="average speed of answer since midnight (s)",
        ),
        StatSpec(
            "aht",
            "AHT",
            {
                **_defs(_Q, Category="Formula", Subject="DNAction", Expression=_AHT_QUEUE),
                **_defs(_G, Category="Formula", Subject="DNAction", Expression=_AHT_AGENTS),
            },
            candidates=("AHT", "AverageHandleTime", "AverageHandlingTime"),
            unit="seconds",
            description="average handling time (talk + after-call work) since midnight (s)",
        ),
        StatSpec(
            "abandonRate",
            "Abandoned",
            _defs(
                _Q,
                Category="RelativeNumberPercentage",
                Subject="DNAction",
                MainMask="CallAbandoned",
                RelMask="CallEntered",
            ),
            candidates=("AbandonRate", "AbandonedRate", "AbandonRatePercent", "PercentAbandoned"),
            warning=5,
            alarm=10,
            description="% of the calls entered since midnight that were abandoned",
        ),
        StatSpec(
            "answered",
            "Answered",
            _defs(_Q, Category="TotalNumber", Subject="DNAction", MainMask="CallAnswered"),
            candidates=("CallsAnswered", "TotalNumberCallsAnswered"),
            description="calls answered since midnight",
        ),
        StatSpec(
            "abandoned",
            "Abandons",
            _defs(_Q, Category="TotalNumber", Subject="DNAction", MainMask="CallAbandoned"),
            candidates=("CallsAbandoned", "TotalNumberCallsAbandoned"),
            description="calls abandoned since midnight",
        ),
        StatSpec(
            "loggedIn",
            "Logged in",
            _defs(
                _G,
                Category="CurrentNumber",
                Subject="AgentStatus",
                MainMask="*,~LoggedOut,~NotMonitored",
            ),
            candidates=("AgentsLoggedIn", "LoggedInAgents"),
            description="agents logged in now",
        ),
        StatSpec(
            "ready",
            "Ready",
            _defs(_G, Category="CurrentNumber", Subject="AgentStatus", MainMask="WaitForNextCall"),
            candidates=("AgentsReady", "ReadyAgents", "CurrNumberReadyAgents"),
            description="agents ready now",
        ),
        StatSpec(
            "notReady",
            "Not ready",
            _defs(
                _G, Category="CurrentNumber", Subject="AgentStatus", MainMask="NotReadyForNextCall"
            ),
            candidates=("AgentsNotReady", "NotReadyAgents"),
            description="agents not ready now",
        ),
        StatSpec(
            "busy",
            "Busy",
            _defs(_G, Category="CurrentNumber", Subject="AgentStatus", MainMask=_BUSY),
            candidates=("AgentsBusy", "BusyAgents", "AgentsTalking", "AgentsOnCall"),
            description="agents ringing, dialing, talking or holding now",
        ),
        StatSpec(
            "acw",
            "ACW",
            _defs(_G, Category="CurrentNumber", Subject="AgentStatus", MainMask="AfterCallWork"),
            candidates=("AgentsInACW", "AgentsACW", "ACWAgents"),
            description="agents in after-call work now",
        ),
    )
}

DEFAULT_QUEUE_COLUMNS: Final = ("waiting", "oldest", "serviceLevel", "asa", "aht", "abandonRate")
DEFAULT_GROUP_COLUMNS: Final = ("loggedIn", "ready", "notReady", "busy", "acw", "aht")
#: time in status (s) that colours an agent's time cell
DEFAULT_STATUS_TIME: Final[dict[str, dict[str, float]]] = {
    "NotReadyForNextCall": {"warning": 300, "alarm": 900},
    "AfterCallWork": {"warning": 60, "alarm": 180},
    "CallOnHold": {"warning": 60, "alarm": 120},
    "CallRinging": {"warning": 15, "alarm": 30},
}
#: the agents' state: CurrentStateReasons on the agent status (status, start, reason codes)
AGENT_STATE: Final[dict[str, str]] = {
    "Category": "CurrentStateReasons",
    "Subject": "AgentStatus",
    "MainMask": "*",
}
#: configured stat types used for the agents' state when one is CurrentStateReasons for Agent
AGENT_STATE_CANDIDATES: Final = ("AgentState", "AgentStateReasons", "CurrentAgentState")
_STATE_CATEGORIES: Final = ("CurrentState", "CurrentStateReasons")
_QUEUE_TYPES: Final = (ObjectType.QUEUE,)

_STATUS_CLASSES: Final[dict[str, str]] = {
    "WaitForNextCall": "ready",
    "NotReadyForNextCall": "notready",
    "AfterCallWork": "acw",
    "CallRinging": "ringing",
    "CallDialing": "ringing",
    "CallOnHold": "hold",
    "CallInbound": "busy",
    "CallOutbound": "busy",
    "CallInternal": "busy",
    "CallConsult": "busy",
    "CallUnknown": "busy",
    "LoggedOut": "loggedout",
    "NotMonitored": "loggedout",
}


def status_class(status: str) -> str:
    """The colour class of an agent status (the page and ``watch`` use the same)."""
    return _STATUS_CLASSES.get(status, "idle")


# ------------------------------------------------------------------------------ config
def _merge(base: StatSpec | None, key: str, cfg: WallboardStatCfg) -> StatSpec:
    spec = base or StatSpec(key, key)
    changes: dict[str, Any] = {}
    if cfg.stat_type is not None or cfg.definition is not None:
        # a metric given by the configuration replaces the built-in one entirely
        changes["candidates"] = ()
        changes["stat_type"] = cfg.stat_type
        if cfg.definition is not None:
            definition = {str(k): str(v) for k, v in cfg.definition.items()}
            types = definition.pop("Objects", None)
            if types:
                objs = [ObjectType.parse(t) for t in types.split(",") if t.strip()]
            else:
                objs = list(spec.object_types or (*_Q, *_G))
            changes["definitions"] = dict.fromkeys(objs, definition)
        else:
            changes["definitions"] = {}
    for name in (
        "label",
        "time_profile",
        "time_range",
        "time_range2",
        "filter",
        "unit",
        "warning",
        "alarm",
        "direction",
    ):
        value = getattr(cfg, name)
        if value is not None:
            changes[name] = value
    return replace(spec, **changes)


def statistics_of(cfg: WallboardCfg | None) -> dict[str, StatSpec]:
    """The built-in columns with the configuration's overrides and additions."""
    specs = dict(DEFAULT_STATISTICS)
    if cfg is not None:
        for key, entry in cfg.statistics.items():
            specs[key] = _merge(specs.get(key), key, entry)
    return specs


def check_config(cfg: WallboardCfg, catalog: Catalog, directory: Directory) -> None:
    """Validate the ``wallboard:`` section; raises :class:`ConfigError` with its path."""
    if cfg.tenant is not None and str(cfg.tenant) not in directory.tenants:
        known = ", ".join(directory.tenants)
        raise ConfigError(
            f"no tenant {cfg.tenant!r}; known tenants: {known}", path="wallboard.tenant"
        )
    for key, entry in cfg.statistics.items():
        objects = (entry.definition or {}).get("Objects")
        for t in str(objects or "").split(","):
            try:
                if t.strip():
                    ObjectType.parse(t)
            except ValueError as exc:
                path = f"wallboard.statistics.{key}.definition.Objects"
                raise ConfigError(str(exc), path=path) from None
    specs = statistics_of(cfg)
    for key, entry in cfg.statistics.items():
        path = f"wallboard.statistics.{key}"
        if entry.stat_type is not None and entry.definition is not None:
            raise ConfigError("give statType or definition, not both", path=path)
        if entry.stat_type is not None and entry.stat_type not in catalog.stat_types:
            known = ", ".join(sorted(catalog.stat_types)) or "none configured"
            raise ConfigError(
                f"no stat type {entry.stat_type!r}; known: {known}", path=f"{path}.statType"
            )
        spec = specs[key]
        if entry.definition is not None:
            for otype, keys in spec.definitions.items():
                try:
                    parse_stat_type(key, {**keys, "Objects": otype.value})
                except ValueError as exc:
                    raise ConfigError(str(exc), path=f"{path}.definition") from None
        elif entry.stat_type is None and key not in DEFAULT_STATISTICS:
            raise ConfigError("a new wallboard statistic needs statType or definition", path=path)
        if entry.time_profile is not None and entry.time_profile not in catalog.profiles:
            known = ", ".join(sorted(catalog.profiles))
            raise ConfigError(
                f"no time profile {entry.time_profile!r}; known: {known}",
                path=f"{path}.timeProfile",
            )
        if entry.filter is not None and entry.filter not in catalog.filters:
            known = ", ".join(sorted(catalog.filters)) or "none configured"
            raise ConfigError(f"no filter {entry.filter!r}; known: {known}", path=f"{path}.filter")
        if entry.direction is not None and entry.direction not in ("above", "below"):
            raise ConfigError(
                f"direction {entry.direction!r}; expected above or below", path=f"{path}.direction"
            )
    for name in ("queueColumns", "groupColumns"):
        columns = cfg.queue_columns if name == "queueColumns" else cfg.group_columns
        for i, column in enumerate(columns or ()):
            if column not in specs:
                known = ", ".join(specs)
                raise ConfigError(
                    f"no wallboard statistic {column!r}; known: {known} (or define it under "
                    "wallboard.statistics)",
                    path=f"wallboard.{name}[{i}]",
                )
    if cfg.trend is not None and cfg.trend not in specs:
        raise ConfigError(
            f"no wallboard statistic {cfg.trend!r}; known: {', '.join(specs)}",
            path="wallboard.trend",
        )
    if cfg.agent_state is not None:
        found = catalog.stat_types.get(cfg.agent_state)
        if found is None:
            known = ", ".join(sorted(catalog.stat_types)) or "none configured"
            raise ConfigError(
                f"no stat type {cfg.agent_state!r}; known: {known}", path="wallboard.agentState"
            )
        if found.category.name not in _STATE_CATEGORIES or ObjectType.AGENT not in found.objects:
            raise ConfigError(
                f"stat type {cfg.agent_state!r} must be a CurrentState or CurrentStateReasons "
                "stat type for Agent objects",
                path="wallboard.agentState",
            )
    tenants = _tenants(cfg, directory)
    for i, ref in enumerate(cfg.agents or ()):
        if not any(str(ref) in directory.tenants[t].agents for t in tenants):
            raise ConfigError(f"no agent {str(ref)!r}", path=f"wallboard.agents[{i}]")
    for i, ref in enumerate(cfg.groups or ()):
        if not any(_group(directory, t, str(ref)) for t in tenants):
            raise ConfigError(
                f"no agent group or place group {str(ref)!r}", path=f"wallboard.groups[{i}]"
            )
    for i, ref in enumerate(cfg.queues or ()):
        if not any(_queue(directory, t, str(ref)) for t in tenants):
            raise ConfigError(
                f"no queue, routing point or DN group {str(ref)!r} (DNs are named number@switch)",
                path=f"wallboard.queues[{i}]",
            )


def _tenants(cfg: WallboardCfg | None, directory: Directory) -> list[str]:
    if cfg is not None and cfg.tenant is not None:
        return [str(cfg.tenant)]
    return list(directory.tenants)


def _group(directory: Directory, tenant: str, name: str) -> ObjectType | None:
    model = directory.tenants[tenant]
    if name in model.agent_groups:
        return ObjectType.GROUP_AGENTS
    if name in model.place_groups:
        return ObjectType.GROUP_PLACES
    return None


def _queue(directory: Directory, tenant: str, name: str) -> ObjectType | None:
    model = directory.tenants[tenant]
    dn = model.dns.get(name)
    if dn is not None:
        return dn.object_type
    if name in model.dn_groups:
        return ObjectType.GROUP_QUEUES
    return None


# ------------------------------------------------------------------------------ the plan
def _metric(spec: StatSpec, otype: ObjectType, catalog: Catalog) -> dict[str, Any] | None:
    """The request (name and metric) that opens ``spec`` for ``otype``; None if it does not
    apply to that object type."""
    extra: dict[str, Any] = {}
    for name, value in (
        ("timeProfile", spec.time_profile),
        ("timeRange", spec.time_range),
        ("timeRange2", spec.time_range2),
        ("filter", spec.filter),
    ):
        if value is not None:
            extra[name] = value
    if spec.stat_type is not None:
        d = catalog.stat_types.get(spec.stat_type)
        if d is None or otype not in d.objects:
            return None
        return {
            "request": "OpenStatistic",
            "metric": {"statisticType": spec.stat_type, **extra},
            "unit": spec.unit or d.category.unit,
        }
    inline = spec.definitions.get(otype)
    if inline is None:
        return None
    categories = spec.categories or (inline.get("Category", ""),)
    for name in spec.candidates:
        d = catalog.stat_types.get(name)
        if d is not None and d.category.name in categories and otype in d.objects:
            return {
                "request": "OpenStatistic",
                "metric": {"statisticType": name, **extra},
                "unit": spec.unit or d.category.unit,
            }
    try:
        d = parse_stat_type(spec.key, {**inline, "Objects": otype.value})
    except ValueError:
        return None
    if not d.category.ranges:  # the category takes no time range: do not send one
        extra.pop("timeRange", None)
        extra.pop("timeRange2", None)
    metric = {_camel(k): v for k, v in inline.items()}
    return {
        "request": "OpenStatisticEx",
        "metric": {**metric, **extra},
        "unit": spec.unit or d.category.unit,
    }


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _agent_state(cfg: WallboardCfg | None, catalog: Catalog) -> dict[str, Any]:
    if cfg is not None and cfg.agent_state is not None:
        return {"request": "OpenStatistic", "metric": {"statisticType": cfg.agent_state}}
    for name in AGENT_STATE_CANDIDATES:
        d = catalog.stat_types.get(name)
        if (
            d is not None
            and d.category.name == "CurrentStateReasons"
            and ObjectType.AGENT in d.objects
        ):
            return {"request": "OpenStatistic", "metric": {"statisticType": name}}
    return {
        "request": "OpenStatisticEx",
        "metric": {_camel(k): v for k, v in AGENT_STATE.items()},
    }


def _columns(
    keys: Iterable[str],
    specs: Mapping[str, StatSpec],
    types: Iterable[ObjectType],
    catalog: Catalog,
) -> list[dict[str, Any]]:
    out = []
    for key in keys:
        spec = specs[key]
        requests: dict[str, Any] = {}
        unit = spec.unit
        for otype in types:
            found = _metric(spec, otype, catalog)
            if found is not None:
                unit = unit or found.pop("unit")
                found.pop("unit", None)
                requests[otype.value] = found
        out.append(
            {
                "key": key,
                "label": spec.label,
                "unit": unit or "value",
                "description": spec.description,
                "thresholds": spec.thresholds(),
                "requests": requests,
            }
        )
    return out


def build_plan(
    cfg: WallboardCfg | None, catalog: Catalog, directory: Directory, *, now: float
) -> dict[str, Any]:
    """What the wallboard shows and the requests that open it (``GET /api/v1/wallboard``)."""
    specs = statistics_of(cfg)
    tenants = _tenants(cfg, directory)
    agents: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    queues: list[dict[str, Any]] = []
    for tenant in tenants:
        model = directory.tenants[tenant]
        wanted = [str(a) for a in cfg.agents] if cfg is not None and cfg.agents else None
        for emp in wanted if wanted is not None else model.agents:
            info = model.agents.get(emp)
            if info is None:
                continue
            agents.append(
                {
                    "tenant": tenant,
                    "id": info.employee_id,
                    "name": info.user_name or info.employee_id,
                    "loginIds": dict(info.login_ids),
                }
            )
        names = (
            [str(g) for g in cfg.groups]
            if cfg is not None and cfg.groups
            else list(model.agent_groups)
        )
        for name in names:
            otype = _group(directory, tenant, name)
            if otype is not None:
                groups.append(
                    {"tenant": tenant, "id": name, "name": name, "objectType": otype.value}
                )
        refs = (
            [str(q) for q in cfg.queues]
            if cfg is not None and cfg.queues
            else [k for k, dn in model.dns.items() if dn.object_type in _QUEUE_TYPES]
            + list(model.dn_groups)
        )
        for ref in refs:
            otype = _queue(directory, tenant, ref)
            if otype is not None:
                queues.append({"tenant": tenant, "id": ref, "name": ref, "objectType": otype.value})
    queue_columns = (cfg.queue_columns if cfg is not None else None) or DEFAULT_QUEUE_COLUMNS
    group_columns = (cfg.group_columns if cfg is not None else None) or DEFAULT_GROUP_COLUMNS
    status_time = dict(DEFAULT_STATUS_TIME)
    if cfg is not None:
        for status, t in cfg.status_time.items():
            status_time[status] = {
                k: v for k, v in (("warning", t.warning), ("alarm", t.alarm)) if v is not None
            }
    trend = (cfg.trend if cfg is not None else None) or "waiting"
    return {
        "title": (cfg.title if cfg is not None else None) or "Stat Server wallboard",
        "serverTime": now,
        "tenants": tenants,
        "agentState": _agent_state(cfg, catalog),
        "statusTime": status_time,
        "agents": agents,
        "groups": {
            "columns": _columns(group_columns, specs, _G, catalog),
            "rows": groups,
        },
        "queues": {
            "columns": _columns(queue_columns, specs, _Q, catalog),
            "rows": queues,
        },
        "trend": {
            "key": trend,
            "minutes": cfg.trend_minutes if cfg is not None else 15.0,
            "column": _columns([trend], specs, _Q, catalog)[0] if trend in specs else None,
        },
    }
