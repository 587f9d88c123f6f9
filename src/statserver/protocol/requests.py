"""Client statistic requests (contracts.md §3) and their translation to engine requests.

A request is ``{"request": "OpenStatistic", "referenceId": 7, "object": {...},
"metric": {...}, "notification": {...}}``.  The same shapes are used by ``statserver
replay`` query files (without ``notification``, with ``at`` and ``openAt``).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from statserver.core.engine import StatisticRequest
from statserver.errors import ErrorCode, RequestError

__all__ = [
    "INTERVAL_TYPES",
    "Metric",
    "Notification",
    "StatObject",
    "statistic_request",
]


class StatObject(msgspec.Struct, rename="camel"):
    object_id: str
    object_type: str
    tenant: str | None = None
    tenant_password: str = ""


class Metric(msgspec.Struct, rename="camel"):
    """Named (``statisticType``) or inline (``category``, ``mainMask``, ...) definition."""

    statistic_type: str | None = None
    time_profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None
    # inline definition (OpenStatisticEx / GetStatisticEx)
    category: str | None = None
    main_mask: str | list[str] | None = None
    rel_mask: str | list[str] | None = None
    subject: str | None = None
    objects: str | None = None
    media_type: str | None = None
    formula: str | None = None
    expression: str | None = None
    use_source_time_stamps: bool | None = None
    reason_start_overrides_status_start: bool | None = None
    interval_type: str | None = None
    interval_length: int | None = None
    interval_step: int | None = None


class Notification(msgspec.Struct, rename="camel"):
    mode: str = "Changes"
    frequency: float | None = None
    insensitivity: float = 0.0


#: interval types of inline metrics (PSDK StatisticInterval names and short forms)
INTERVAL_TYPES: Final[dict[str, str]] = {
    "growingwindow": "Growing",
    "growing": "Growing",
    "slidingwindow": "Sliding",
    "sliding": "Sliding",
    "slidingselection": "Selection",
    "selection": "Selection",
    "sincelogin": "SinceLogin",
    "evergrowing": "EverGrowing",
}


def _mask(value: str | list[str] | None) -> str | None:
    if value is None:
        return None
    return ",".join(value) if isinstance(value, list) else value


def _inline_profile(metric: Metric) -> tuple[str, str] | None:
    if metric.interval_type is None:
        return None
    kind = INTERVAL_TYPES.get(metric.interval_type.replace("_", "").lower())
    if kind is None:
        raise RequestError(
            ErrorCode.UNKNOWN_TIME_PROFILE,
            f"intervalType {metric.interval_type!r}; expected GrowingWindow, SlidingWindow, "
            "SlidingSelection or SinceLogin",
        )
    length = metric.interval_length or 0
    if kind == "Growing":
        value = (
            metric.time_profile if metric.time_profile and ":" in metric.time_profile else ("00:00")
        )
        return kind, value
    if kind == "Sliding":
        if (
            metric.time_profile
            and metric.time_profile.count(":") == 1
            and (metric.time_profile.replace(":", "").isdigit())
        ):
            return kind, metric.time_profile
        if length <= 0:
            raise RequestError(
                ErrorCode.UNKNOWN_TIME_PROFILE, "a SlidingWindow needs intervalLength in seconds"
            )
        step = metric.interval_step or (length // 60 if length % 60 == 0 and length >= 60 else 1)
        return kind, f"{length}:{step}"
    if kind == "Selection":
        if length <= 0:
            raise RequestError(
                ErrorCode.UNKNOWN_TIME_PROFILE, "a SlidingSelection needs intervalLength (count)"
            )
        return kind, str(length)
    return kind, ""


def statistic_request(
    obj: StatObject, metric: Metric, *, default_tenant: str | None = None, inline: bool = False
) -> StatisticRequest:
    """The engine request for a client's object and metric (``inline`` for the Ex forms)."""
    tenant = obj.tenant or default_tenant
    if not tenant:
        raise RequestError(ErrorCode.MALFORMED_REQUEST, "the object names no tenant")
    definition: dict[str, Any] | None = None
    inline_profile = None
    if inline:
        if not metric.category:
            raise RequestError(ErrorCode.MALFORMED_REQUEST, "an Ex request needs metric.category")
        definition = {"Category": metric.category}
        for key, value in (
            ("MainMask", _mask(metric.main_mask)),
            ("RelMask", _mask(metric.rel_mask)),
            ("Subject", metric.subject),
            ("Objects", metric.objects),
            ("MediaType", metric.media_type),
            ("Formula", metric.formula),
            ("Expression", metric.expression),
            ("UseSourceTimeStamps", metric.use_source_time_stamps),
            ("ReasonStartOverridesStatusStart", metric.reason_start_overrides_status_start),
        ):
            if value is not None:
                definition[key] = value
        inline_profile = _inline_profile(metric)
    elif not metric.statistic_type:
        raise RequestError(
            ErrorCode.MALFORMED_REQUEST,
            "metric.statisticType is required (use OpenStatisticEx for an inline definition)",
        )
    return StatisticRequest(
        tenant=tenant,
        object_type=obj.object_type,
        object_id=obj.object_id,
        stat_type=metric.statistic_type,
        inline=definition,
        time_profile=None if inline_profile else metric.time_profile,
        inline_profile=inline_profile,
        time_range=metric.time_range or None,
        time_range2=metric.time_range2 or None,
        filter=metric.filter or None,
    )
