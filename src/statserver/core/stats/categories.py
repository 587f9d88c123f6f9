"""The statistical categories: what each computes from a statistic's tracks and windows.

Every category has a written definition in ``docs/stat-types.md``; the functions here are
that definition in code.  Units: counts are integers, times integer seconds (truncated, as
Genesys does), percentages and rates floats.  A ratio whose denominator is zero is 0.

Notation used below: for a track (the items in MainMask, or RelMask):
``n``  items in progress now; ``start_i`` their starts.  For a window (the time profile's
interval): ``T`` its totals (see :mod:`statserver.core.stats.windows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from mypy_extensions import mypyc_attr

if TYPE_CHECKING:
    from statserver.core.stats.statistic import Statistic

__all__ = ["CATEGORIES", "CategorySpec", "Value"]

Value = int | float | str | dict[str, Any] | None
Compute = Callable[["Statistic", int], Value]


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class CategorySpec:
    name: str
    kind: str  # "current", "historical", "structured", "formula"
    unit: str  # "count", "seconds", "percent", "rate", "value", "structure"
    compute: Compute
    needs_main: bool = True
    default_main: str = ""
    uses_rel: bool = False
    needs_rel: bool = False
    default_rel: str = ""
    #: the RelMask names actions whatever the subject (ServiceFactor1's abandons)
    rel_is_action: bool = False
    #: the RelMask side needs a window (historical) rather than only the items in progress
    rel_window: bool = False
    #: 0: no time range, 1: TimeRange, 2: TimeRange and TimeRange2
    ranges: int = 0
    #: the TimeRange may be left out (then no default range applies)
    range_optional: bool = False
    #: the range applies to the RelMask window (TimeRange2 of ServiceFactor1)
    needs_formula: bool = False
    collapsed: bool = False
    current_time_integral: bool = False
    custom: bool = False
    description: str = ""

    @property
    def historical(self) -> bool:
        return self.kind in ("historical", "formula")

    @property
    def main_window(self) -> bool:
        return self.kind == "historical" and not self.collapsed

    @property
    def timed(self) -> bool:
        """Whether it needs an interval length (not meaningful with a Selection profile)."""
        return self.name in _NEEDS_ELAPSED


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


def _pct(a: float, b: float) -> float:
    return 100.0 * a / b if b else 0.0


def _idiv(a: int, b: int) -> int:
    return int(a / b) if b else 0


# ---- current categories ------------------------------------------------------------------
def _floor(s: Statistic) -> int | None:
    """Q3: with ``clip-current-to-open`` current times count from the opening at the earliest."""
    return s.opened_at if s.options.clip_current_to_open else None


def _since(start: int, floor: int | None) -> int:
    return start if floor is None or start > floor else floor


def _cur_number(s: Statistic, now: int) -> Value:
    return len(s.main)


def _cur_time_of(track: Any, now: int, floor: int | None = None) -> int:
    if floor is None:
        return len(track) * now - int(track.sum_start)
    return sum(now - _since(start, floor) for start in track.current_starts())


def _cur_time(s: Statistic, now: int) -> Value:
    return _cur_time_of(s.main, now, _floor(s))


def _cur_max_time(s: Statistic, now: int) -> Value:
    oldest = s.main.oldest_current()
    return 0 if oldest is None else now - _since(oldest, _floor(s))


def _cur_min_time(s: Statistic, now: int) -> Value:
    newest = s.main.newest_current()
    return 0 if newest is None else now - _since(newest, _floor(s))


def _cur_avg_time(s: Statistic, now: int) -> Value:
    return _idiv(_cur_time_of(s.main, now, _floor(s)), len(s.main))


def _cur_rel_number_pct(s: Statistic, now: int) -> Value:
    assert s.rel is not None
    return _pct(len(s.main), len(s.rel))


def _cur_rel_time_pct(s: Statistic, now: int) -> Value:
    assert s.rel is not None
    floor = _floor(s)
    return _pct(_cur_time_of(s.main, now, floor), _cur_time_of(s.rel, now, floor))


def _cur_in_range_count(s: Statistic, now: int) -> int:
    lo, hi = s.ranges[0]
    floor = _floor(s)
    return sum(1 for start in s.main.current_starts() if lo <= now - _since(start, floor) < hi)


def _cur_in_range(s: Statistic, now: int) -> Value:
    return _cur_in_range_count(s, now)


def _cur_in_range_pct(s: Statistic, now: int) -> Value:
    return _pct(_cur_in_range_count(s, now), len(s.main))


def _cur_continuous(s: Statistic, now: int) -> Value:
    since = s.main.busy_start()
    return 0 if since is None else now - _since(since, _floor(s))


def _cur_distinct(s: Statistic, now: int) -> Value:
    keys = {item.attrs.conn_id or f"#{item.id}" for item in s.main.items()}
    return len(keys)


def _custom_values(s: Statistic, now: int) -> list[float]:
    custom = s.custom
    assert custom is not None
    values: list[float] = []
    seen: set[str] = set()
    floor = _floor(s)
    for item in s.main.items():
        if custom.distinct_by_conn_id and item.attrs.conn_id:
            if item.attrs.conn_id in seen:
                continue
            seen.add(item.attrs.conn_id)
        v = custom.value_of(item, now - _since(item.start, floor))
        if v is not None:
            values.append(v)
    return values


def _number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def _cur_custom(s: Statistic, now: int) -> Value:
    return _number(sum(_custom_values(s, now)))


def _cur_custom_avg(s: Statistic, now: int) -> Value:
    values = _custom_values(s, now)
    return _div(sum(values), len(values))


def _cur_custom_min(s: Statistic, now: int) -> Value:
    values = _custom_values(s, now)
    return _number(min(values)) if values else 0


def _cur_custom_max(s: Statistic, now: int) -> Value:
    values = _custom_values(s, now)
    return _number(max(values)) if values else 0


# ---- historical categories ----------------------------------------------------------------
def _total_number(s: Statistic, now: int) -> Value:
    return s.total_number(now)


def _total_time(s: Statistic, now: int) -> Value:
    return s.total_time(now)


def _adjusted_number(s: Statistic, now: int) -> Value:
    return s.totals(now).done


def _adjusted_time(s: Statistic, now: int) -> Value:
    return s.totals(now).atime


def _average_time(s: Statistic, now: int) -> Value:
    return _idiv(s.total_time(now), s.total_number(now))


def _max_time(s: Statistic, now: int) -> Value:
    return max(s.totals(now).max_d, 0)


def _min_time(s: Statistic, now: int) -> Value:
    return max(s.totals(now).min_d, 0)


def _max_number(s: Statistic, now: int) -> Value:
    return s.totals(now).max_n


def _min_number(s: Statistic, now: int) -> Value:
    return s.totals(now).min_n


def _avg_of_current_number(s: Statistic, now: int) -> Value:
    t = s.totals(now)
    return _div(t.ptime, t.elapsed)


def _avg_of_current_time(s: Statistic, now: int) -> Value:
    t = s.totals(now)
    return _idiv(t.cint, 2 * t.elapsed)


def _elapsed_pct(s: Statistic, now: int) -> Value:
    return _pct(s.total_time(now), s.totals(now).elapsed)


def _relative_time_pct(s: Statistic, now: int) -> Value:
    return _pct(s.total_time(now), s.rel_total_time(now))


def _relative_number_pct(s: Statistic, now: int) -> Value:
    if s.ranges:
        main = s.totals(now).ranges[0]
    else:
        main = s.total_number(now)
    return _pct(main, s.rel_total_number(now))


def _relative_number(s: Statistic, now: int) -> Value:
    return _div(s.total_number(now), s.rel_total_number(now))


def _per_relative_hour(s: Statistic, now: int) -> Value:
    return _div(3600.0 * s.total_number(now), s.rel_total_time(now))


def _in_range(s: Statistic, now: int) -> Value:
    return s.totals(now).ranges[0]


def _in_range_pct(s: Statistic, now: int) -> Value:
    t = s.totals(now)
    return _pct(t.ranges[0], t.done)


def _time_in_range(s: Statistic, now: int) -> Value:
    return s.totals(now).ranges[1]


def _per_second(s: Statistic, now: int) -> Value:
    return _div(s.total_number(now), s.totals(now).elapsed)


def _service_factor(s: Statistic, now: int) -> Value:
    answered = s.totals(now)
    assert s.rel_window is not None
    abandoned = s.rel_totals(now)
    answered_in = answered.ranges[0]
    short_abandons = abandoned.ranges[0] if abandoned.ranges else 0
    return _pct(answered_in, answered.done + abandoned.done - short_abandons)


def _continuous_number(s: Statistic, now: int) -> Value:
    t = s.totals(now)
    return t.entries + t.carry


def _distinct_time(s: Statistic, now: int) -> Value:
    return s.totals(now).ptime


def _custom_total(s: Statistic, now: int) -> Value:
    c = s.totals(now).custom
    return _number(c[1]) if c and c[0] else 0


def _custom_avg(s: Statistic, now: int) -> Value:
    c = s.totals(now).custom
    return _div(c[1], c[0]) if c else 0.0


def _custom_min(s: Statistic, now: int) -> Value:
    c = s.totals(now).custom
    return _number(c[2]) if c and c[0] else 0


def _custom_max(s: Statistic, now: int) -> Value:
    c = s.totals(now).custom
    return _number(c[3]) if c and c[0] else 0


# ---- compound queue categories (definitions of this project, see docs) -------------------
def _over_rate(s: Statistic, now: int, count: int) -> int | None:
    """``count / r`` in whole seconds, where ``r`` = RelMask completions (distributions) per
    second over the profile interval; computed exactly as ``count * elapsed // done``.
    None while ``r`` is 0."""
    t = s.rel_totals(now)
    if t.done <= 0 or t.elapsed <= 0:
        return None
    return count * t.elapsed // t.done


def _estim_wait(s: Statistic, now: int) -> Value:
    wait = _over_rate(s, now, len(s.main) + 1)
    return _cur_max_time(s, now) if wait is None else wait


def _time_to_end(s: Statistic, now: int) -> Value:
    return _over_rate(s, now, len(s.main)) or 0


def _load_balance(s: Statistic, now: int) -> Value:
    assert s.rel is not None
    return len(s.main) * s.options.load_balance_aht // max(1, len(s.rel))


def _load_balance1(s: Statistic, now: int) -> Value:
    assert s.rel is not None
    return _div(len(s.main), len(s.rel))


def _structured(s: Statistic, now: int) -> Value:
    return s.structure(now)


def _formula(s: Statistic, now: int) -> Value:
    return s.formula_value(now)


_NEEDS_ELAPSED: Final = frozenset(
    {
        "AverageOfCurrentNumber",
        "AverageOfCurrentTime",
        "ElapsedTimePercentage",
        "TotalNumberPerSecond",
        "EstimWaitingTime",
        "ExpectedWaitTime2",
        "EstimTimeToEndCurrentNumber",
    }
)


def _specs() -> list[CategorySpec]:
    C, H, S = "current", "historical", "structured"
    return [
        # current
        CategorySpec("CurrentNumber", C, "count", _cur_number),
        CategorySpec("CurrentTime", C, "seconds", _cur_time),
        CategorySpec("CurrentMaxTime", C, "seconds", _cur_max_time),
        CategorySpec("CurrentMinTime", C, "seconds", _cur_min_time),
        CategorySpec("CurrentAverageTime", C, "seconds", _cur_avg_time),
        CategorySpec(
            "CurrentRelativeNumberPercentage",
            C,
            "percent",
            _cur_rel_number_pct,
            uses_rel=True,
            needs_rel=True,
        ),
        CategorySpec(
            "CurrentRelativeTimePercentage",
            C,
            "percent",
            _cur_rel_time_pct,
            uses_rel=True,
            needs_rel=True,
        ),
        CategorySpec("CurrentNumberInTimeRange", C, "count", _cur_in_range, ranges=1),
        CategorySpec(
            "CurrentNumberInTimeRangePercentage", C, "percent", _cur_in_range_pct, ranges=1
        ),
        CategorySpec("CurrentContinuousTime", C, "seconds", _cur_continuous),
        CategorySpec("CurrentDistinctNumber", C, "count", _cur_distinct),
        CategorySpec("CurrentCustomValue", C, "value", _cur_custom, needs_formula=True),
        CategorySpec("CurrentAverageCustomValue", C, "value", _cur_custom_avg, needs_formula=True),
        CategorySpec("CurrentMinCustomValue", C, "value", _cur_custom_min, needs_formula=True),
        CategorySpec("CurrentMaxCustomValue", C, "value", _cur_custom_max, needs_formula=True),
        CategorySpec("CurrentState", S, "structure", _structured, needs_main=False),
        CategorySpec("CurrentStateReasons", S, "structure", _structured, needs_main=False),
        CategorySpec("CurrentTargetState", S, "structure", _structured, needs_main=False),
        # historical
        CategorySpec("TotalNumber", H, "count", _total_number),
        CategorySpec("TotalTime", H, "seconds", _total_time),
        CategorySpec("TotalAdjustedNumber", H, "count", _adjusted_number),
        CategorySpec("TotalAdjustedTime", H, "seconds", _adjusted_time),
        CategorySpec("AverageTime", H, "seconds", _average_time),
        CategorySpec("MaxTime", H, "seconds", _max_time),
        CategorySpec("MinTime", H, "seconds", _min_time),
        CategorySpec("MaxNumber", H, "count", _max_number),
        CategorySpec("MinNumber", H, "count", _min_number),
        CategorySpec("AverageOfCurrentNumber", H, "rate", _avg_of_current_number),
        CategorySpec(
            "AverageOfCurrentTime", H, "seconds", _avg_of_current_time, current_time_integral=True
        ),
        CategorySpec("ElapsedTimePercentage", H, "percent", _elapsed_pct),
        CategorySpec(
            "RelativeTimePercentage",
            H,
            "percent",
            _relative_time_pct,
            uses_rel=True,
            needs_rel=True,
            rel_window=True,
        ),
        CategorySpec(
            "RelativeNumberPercentage",
            H,
            "percent",
            _relative_number_pct,
            uses_rel=True,
            needs_rel=True,
            rel_window=True,
            ranges=1,
            range_optional=True,
        ),
        CategorySpec(
            "RelativeNumber",
            H,
            "rate",
            _relative_number,
            uses_rel=True,
            needs_rel=True,
            rel_window=True,
        ),
        CategorySpec(
            "AverageNumberPerRelativeHour",
            H,
            "rate",
            _per_relative_hour,
            uses_rel=True,
            needs_rel=True,
            rel_window=True,
        ),
        CategorySpec("TotalNumberInTimeRange", H, "count", _in_range, ranges=1),
        CategorySpec("TotalNumberInTimeRangePercentage", H, "percent", _in_range_pct, ranges=1),
        CategorySpec("TotalTimeInTimeRange", H, "seconds", _time_in_range, ranges=1),
        CategorySpec("TotalNumberPerSecond", H, "rate", _per_second),
        CategorySpec(
            "ServiceFactor1",
            H,
            "percent",
            _service_factor,
            default_main="CallAnswered",
            uses_rel=True,
            needs_rel=True,
            default_rel="CallAbandoned",
            rel_is_action=True,
            rel_window=True,
            ranges=2,
        ),
        CategorySpec("TotalContinuousNumber", H, "count", _continuous_number, collapsed=True),
        CategorySpec("TotalDistinctTime", H, "seconds", _distinct_time, collapsed=True),
        CategorySpec("TotalNumberErrors", H, "count", _total_number, default_main="InputError"),
        CategorySpec(
            "TotalCustomValue", H, "value", _custom_total, needs_formula=True, custom=True
        ),
        CategorySpec(
            "AverageCustomValue", H, "value", _custom_avg, needs_formula=True, custom=True
        ),
        CategorySpec("MinCustomValue", H, "value", _custom_min, needs_formula=True, custom=True),
        CategorySpec("MaxCustomValue", H, "value", _custom_max, needs_formula=True, custom=True),
        # compound (queues)
        CategorySpec(
            "EstimWaitingTime",
            C,
            "seconds",
            _estim_wait,
            default_main="CallWait",
            uses_rel=True,
            needs_rel=True,
            default_rel="CallDistributed",
            rel_is_action=True,
            rel_window=True,
        ),
        CategorySpec(
            "ExpectedWaitTime2",
            C,
            "seconds",
            _estim_wait,
            default_main="CallWait",
            uses_rel=True,
            needs_rel=True,
            default_rel="CallDistributed",
            rel_is_action=True,
            rel_window=True,
        ),
        CategorySpec(
            "EstimTimeToEndCurrentNumber",
            C,
            "seconds",
            _time_to_end,
            default_main="CallWait",
            uses_rel=True,
            needs_rel=True,
            default_rel="CallDistributed",
            rel_is_action=True,
            rel_window=True,
        ),
        CategorySpec(
            "LoadBalance",
            C,
            "seconds",
            _load_balance,
            default_main="CallWait",
            uses_rel=True,
            needs_rel=True,
            default_rel="AgentReady",
            rel_is_action=True,
        ),
        CategorySpec(
            "LoadBalance1",
            C,
            "rate",
            _load_balance1,
            default_main="CallWait",
            uses_rel=True,
            needs_rel=True,
            default_rel="AgentReady",
            rel_is_action=True,
        ),
        CategorySpec(
            "EstimTimeToComplete",
            C,
            "seconds",
            _load_balance,
            default_main="CallWait",
            uses_rel=True,
            needs_rel=True,
            default_rel="AgentLogin",
            rel_is_action=True,
        ),
        CategorySpec("Formula", "formula", "value", _formula, needs_main=False),
    ]


CATEGORIES: Final[dict[str, CategorySpec]] = {spec.name.lower(): spec for spec in _specs()}
