"""The REST API's request and response bodies (msgspec structs: they are validated on the
way in, encoded on the way out, and give the OpenAPI document its schemas), and the HTTP
status of each protocol error code."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from statserver.errors import ErrorCode
from statserver.protocol.requests import Metric, StatObject

__all__ = ["ALL_METHODS", "HTTP_STATUS"]

ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

#: the HTTP status of each error code
HTTP_STATUS: Final[dict[str, int]] = {
    ErrorCode.MALFORMED_REQUEST: 400,
    ErrorCode.UNKNOWN_REQUEST: 404,
    ErrorCode.UNKNOWN_TENANT: 404,
    ErrorCode.UNKNOWN_OBJECT: 404,
    ErrorCode.UNKNOWN_OBJECT_TYPE: 400,
    ErrorCode.OBJECT_TYPE_NOT_ALLOWED: 400,
    ErrorCode.UNKNOWN_STAT_TYPE: 404,
    ErrorCode.UNKNOWN_TIME_PROFILE: 404,
    ErrorCode.UNKNOWN_TIME_RANGE: 404,
    ErrorCode.UNKNOWN_FILTER: 404,
    ErrorCode.INVALID_DEFINITION: 400,
    ErrorCode.UNSUPPORTED_CATEGORY: 400,
    ErrorCode.DUPLICATE_REFERENCE_ID: 409,
    ErrorCode.UNKNOWN_REFERENCE_ID: 404,
    ErrorCode.NOT_SUPPORTED: 400,
    ErrorCode.INVALID_TIME: 400,
    ErrorCode.OVERLOADED: 503,
    ErrorCode.INTERNAL: 500,
}


# ------------------------------------------------------------------------------ bodies
class _Out(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class ErrorBody(_Out):
    """An error: a stable ``code`` (statserver.errors.ErrorCode) and what was wrong."""

    code: str
    message: str


class ModeBody(_Out):
    """The server mode, as the ``ServerMode`` event of the client protocol says it."""

    mode: str


class TenantOut(_Out):
    name: str
    switches: list[str]
    dns: int
    places: int
    agents: int
    agent_groups: int
    place_groups: int
    dn_groups: int


class AgentOut(_Out):
    employee_id: str
    object_type: str
    user_name: str = ""
    login_ids: dict[str, str] = {}
    skills: dict[str, int] = {}
    place: str | None = None


class PlaceOut(_Out):
    name: str
    object_type: str
    dns: list[str] = []


class GroupOut(_Out):
    """An agent group (GroupAgents), place group (GroupPlaces) or DN group (GroupQueues)."""

    name: str
    object_type: str
    members: list[str] = []
    script: str | None = None


class DnOut(_Out):
    """A DN: ``id`` is number@switch; ``objectType`` what a statistic on it names."""

    id: str
    number: str
    switch: str
    type: str
    object_type: str
    media_type: str = "voice"


class StatTypeOut(_Out):
    name: str
    category: str
    subject: str
    objects: list[str]
    unit: str
    main_mask: str = ""
    rel_mask: str = ""
    media_type: str = ""
    formula: str | None = None
    expression: str | None = None
    description: str = ""


class TimeProfileOut(_Out):
    name: str
    type: str
    description: str


class TimeRangeOut(msgspec.Struct):
    """A time range: seconds, half-open ``[from, to)``."""

    name: str
    from_: int = msgspec.field(name="from")
    to: int = 0


class FilterOut(_Out):
    name: str
    condition: str


class StatisticOut(_Out):
    """A statistic of the pool (shared by every client that opened the same definition)."""

    id: int
    tenant: str
    object_type: str
    object_id: str
    statistic_type: str
    category: str
    time_profile: str
    subscriptions: int
    time_ranges: list[str] = []
    filter: str | None = None


class ValueOut(_Out):
    """A statistic value: a number, or a structure for the CurrentState categories; null
    when the statistic has no data.  ``time`` is the server time of the reading."""

    value: Any
    time: int
    interval_start: int | None = None


class GetBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A one-shot statistic: ``metric.statisticType`` names a stat type (GetStatistic) or
    ``metric.category`` and the masks define one inline (GetStatisticEx)."""

    object: StatObject
    metric: Metric


class PeekQuery(msgspec.Struct, rename="camel"):
    """A statistic of the pool, described as in OpenStatistic (named stat type)."""

    object_type: str
    object_id: str
    statistic_type: str
    tenant: str | None = None
    time_profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None
    #: read at this engine time (Unix seconds or ISO-8601 with offset) instead of now
    at: str | None = None
