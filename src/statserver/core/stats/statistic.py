"""A statistic: one object, one stat type, one time profile, ranges and a filter.

A :class:`Statistic` is shared by every client that opens the same definition (the
persistent statistic pool).  It reads its value from its tracks and windows; it does no
work per event except being marked *touched* so that change notification knows what to
re-evaluate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from mypy_extensions import mypyc_attr

from statserver.core.portable import Portable
from statserver.core.stats.categories import Value
from statserver.core.stats.definition import StatDef
from statserver.core.stats.profiles import TimeProfile
from statserver.core.stats.track import Track
from statserver.core.stats.windows import Totals, Window

__all__ = ["FormulaPart", "StatKey", "StatOptions", "Statistic", "StatisticKey"]


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class StatOptions:
    """Engine options a category reads."""

    load_balance_aht: int = 90
    #: "end": TotalNumber counts a durable action when it completes; "start": when it starts
    action_total_number_at: str = "end"
    #: Q3: current times count from the statistic's opening at the earliest
    clip_current_to_open: bool = False


class StatisticKey(NamedTuple):
    """What makes two statistic requests the same statistic: the fields of a :data:`StatKey`
    by name, for code outside the engine's hot paths."""

    object_type: str
    object_id: str
    definition: tuple[Any, ...]
    profile: str
    ranges: tuple[tuple[int, int], ...]
    filter: str
    #: 0 for pooled statistics; a private statistic (never shared) has its own number
    instance: int = 0


#: The key of a statistic in its tenant's pool, as the engine keeps it (``Statistic.key``):
#: a plain tuple of the fields of :class:`StatisticKey`, equal to it and hashed alike.  Not
#: the named tuple itself: a snapshot loads a plain tuple in C, a named tuple through its
#: Python ``__new__``.  A tuple of any length to its type checker, so that the statistic and
#: the pool's dictionary hold one tuple object (see core/portable.py).
StatKey = tuple[Any, ...]


class Row(Portable):
    """What a formula or custom-value expression sees of one item."""

    __slots__ = ("attrs", "duration", "name", "start")

    def __init__(self, item: Any, duration: int) -> None:
        self.attrs = item.attrs
        self.duration = duration
        self.start = item.start
        self.name = item.name


@mypyc_attr(native_class=False)
@dataclass
class FormulaPart:
    """One aggregate of a Formula expression and where its values come from."""

    current: bool
    func: str
    track: Track
    window: Window | None
    #: the compiled formula and the index of this aggregate in it (closures are not kept
    #: here so that a statistic can be pickled into a snapshot)
    formula: Any
    index: int

    def row_value(self, item: Any, duration: int) -> float | None:
        agg = self.formula.aggregates[self.index]
        row = Row(item, duration)
        if agg.condition is not None and not agg.condition(row):
            return None
        if self.func == "COUNT" or agg.value is None:
            return 1.0
        v = agg.value(row)
        if isinstance(v, bool):
            return float(v)
        if isinstance(v, (int, float)):
            return float(v)
        try:
            return float(str(v))
        except ValueError:
            return None

    def evaluate(self, now: int, roll: bool = True, floor: int | None = None) -> float | None:
        if self.current:
            values: list[float] = []
            for item, _segment_start, start in self.track.entries():
                since = start if floor is None or start > floor else floor
                v = self.row_value(item, now - since)
                if v is not None:
                    values.append(v)
            count, total = len(values), sum(values)
            lo = min(values) if values else None
            hi = max(values) if values else None
        else:
            assert self.window is not None
            c = self.window.totals(now, None, roll=roll).custom
            count, total = (int(c[0]), c[1]) if c else (0, 0.0)
            lo = c[2] if c and count else None
            hi = c[3] if c and count else None
        if self.func == "COUNT":
            return float(count)
        if self.func == "SUM":
            return total
        if self.func == "AVG":
            return total / count if count else None
        if self.func == "MIN":
            return lo
        return hi


class Statistic(Portable):
    """A shared aggregate.  ``main``/``rel`` are tracks; ``window``/``rel_window`` windows."""

    __slots__ = (
        "attached",
        "custom",
        "definition",
        "filter_name",
        "final",
        "formula",
        "formula_parts",
        "id",
        "key",
        "last_used",
        "local_time",
        "main",
        "object_id",
        "object_type",
        "opened_at",
        "options",
        "profile",
        "ranges",
        "refs",
        "rel",
        "rel_window",
        "structure_fn",
        "tenant",
        "window",
    )

    def __init__(
        self,
        stat_id: int,
        key: StatKey,
        definition: StatDef,
        profile: TimeProfile,
        ranges: tuple[tuple[int, int], ...],
        main: Track,
        *,
        object_type: str,
        object_id: str,
        opened_at: int,
        options: StatOptions,
        filter_name: str = "",
        local_time: bool = False,
        tenant: str = "",
    ) -> None:
        self.id = stat_id
        #: the name of the tenant the statistic belongs to
        self.tenant = tenant
        #: the pool's dictionary key itself (see StatKey)
        self.key = key
        self.definition = definition
        self.profile = profile
        self.ranges = ranges
        self.main = main
        self.rel: Track | None = None
        self.window: Window | None = None
        self.rel_window: Window | None = None
        self.object_type = object_type
        self.object_id = object_id
        self.opened_at = opened_at
        self.options = options
        self.filter_name = filter_name
        self.local_time = local_time
        self.custom: Any = None
        self.formula: Any = None
        #: Formula category only (a shared empty tuple otherwise: it costs no memory)
        self.formula_parts: Sequence[FormulaPart] = ()
        self.structure_fn: Callable[[int], Value] | None = None
        self.refs = 0
        self.last_used = opened_at
        #: every track the statistic reads, each followed by the subject of its node (to
        #: detach them): ``(track, subject, track, subject, ...)``, one flat tuple, shared
        #: with the statistics that read the same (see ``opening.open_statistic``)
        self.attached: tuple[Any, ...] = ()
        #: while true, windows are read as at the end of the interval ending at ``now``
        self.final = False

    # A snapshot holds a statistic as one tuple of its fields (see ``Acc.__getstate__``).
    def __getstate__(self) -> Any:
        return (
            self.attached,
            self.custom,
            self.definition,
            self.filter_name,
            self.final,
            self.formula,
            self.formula_parts,
            self.id,
            self.key,
            self.last_used,
            self.local_time,
            self.main,
            self.object_id,
            self.object_type,
            self.opened_at,
            self.options,
            self.profile,
            self.ranges,
            self.refs,
            self.rel,
            self.rel_window,
            self.structure_fn,
            self.tenant,
            self.window,
        )

    def __setstate__(self, s: Any) -> None:
        self.attached = s[0]
        self.custom = s[1]
        self.definition = s[2]
        self.filter_name = s[3]
        self.final = s[4]
        self.formula = s[5]
        self.formula_parts = s[6]
        self.id = s[7]
        self.key = s[8]
        self.last_used = s[9]
        self.local_time = s[10]
        self.main = s[11]
        self.object_id = s[12]
        self.object_type = s[13]
        self.opened_at = s[14]
        self.options = s[15]
        self.profile = s[16]
        self.ranges = s[17]
        self.refs = s[18]
        self.rel = s[19]
        self.rel_window = s[20]
        self.structure_fn = s[21]
        self.tenant = s[22]
        self.window = s[23]

    def attach(self, track: Track, subject: Any) -> None:
        self.attached += (track, subject)

    def tracks(self) -> list[tuple[Track, Any]]:
        """Every track the statistic reads, with the subject of its node."""
        a = self.attached
        return list(zip(a[0::2], a[1::2], strict=True))

    # -- values ----------------------------------------------------------------------------------
    def value(self, now: int) -> Value:
        return self.definition.category.compute(self, now)

    def value_before(self, boundary: int) -> Value:
        """The value of the interval that ends at ``boundary`` (Reset notification)."""
        self.final = True
        try:
            return self.definition.category.compute(self, boundary)
        finally:
            self.final = False

    @property
    def time_dependent(self) -> bool:
        """Whether the value changes with time alone (so it must be re-read periodically)."""
        cat = self.definition.category
        if cat.kind == "structured":
            return False
        if cat.unit in ("seconds", "percent", "rate") or cat.kind == "formula":
            return True
        return cat.ranges > 0 and cat.kind == "current"

    def totals(self, now: int) -> Totals:
        window = self.window
        assert window is not None, "historical category without a window"
        oldest = self.main.oldest_segment() if self.definition.subject.is_status else None
        if self.definition.category.collapsed:
            oldest = self.main.busy_seg if self.main.busy_start() is not None else None
        return window.totals(now, oldest, roll=not self.final)

    def rel_totals(self, now: int) -> Totals:
        assert self.rel_window is not None
        assert self.rel is not None
        oldest = self.rel.oldest_segment() if self.definition.subject.is_status else None
        return self.rel_window.totals(now, oldest, roll=not self.final)

    def total_number(self, now: int) -> int:
        """Status subjects: episodes overlapping the interval (entered in it, or in progress
        at its start).  Actions: completed in the interval (or started, by option)."""
        t = self.totals(now)
        if self.definition.subject.is_status:
            return t.entries + t.carry
        if self.options.action_total_number_at == "start":
            return t.entries
        return t.done

    def total_time(self, now: int) -> int:
        t = self.totals(now)
        return t.ptime if self.definition.subject.is_status else t.ctime

    def rel_total_number(self, now: int) -> int:
        t = self.rel_totals(now)
        rel_status = (
            self.definition.subject.is_status and not self.definition.category.rel_is_action
        )
        return t.entries + t.carry if rel_status else t.done

    def rel_total_time(self, now: int) -> int:
        t = self.rel_totals(now)
        rel_status = (
            self.definition.subject.is_status and not self.definition.category.rel_is_action
        )
        return t.ptime if rel_status else t.ctime

    def structure(self, now: int) -> Value:
        assert self.structure_fn is not None
        return self.structure_fn(now)

    def formula_value(self, now: int) -> Value:
        floor = self.opened_at if self.options.clip_current_to_open else None
        values = [part.evaluate(now, not self.final, floor) for part in self.formula_parts]
        elapsed = 0
        for part in self.formula_parts:
            if part.window is not None:
                elapsed = now - part.window.interval_start(now)
                break
        result = self.formula.evaluate(values, {"now": float(now), "interval_length": elapsed})
        if isinstance(result, float) and result.is_integer():
            return int(result)
        if isinstance(result, (int, float, str)) or result is None:
            return result
        return str(result)

    def interval_start(self, now: int) -> int | None:
        """Start of the current interval of the time profile (None for current categories)."""
        window = self.window or self.rel_window
        if window is None and self.formula_parts:
            window = next((p.window for p in self.formula_parts if p.window is not None), None)
        return None if window is None else window.interval_start(now)

    def __repr__(self) -> str:
        return (
            f"Statistic({self.id}, {self.definition.name!r} on {self.object_type} "
            f"{self.object_id!r}, profile={self.profile.name!r})"
        )
