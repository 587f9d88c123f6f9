"""A statistic: one object, one stat type, one time profile, ranges and a filter.

A :class:`Statistic` is shared by every client that opens the same definition (the
persistent statistic pool).  It reads its value from its tracks and windows; it does no
work per event except being marked *touched* so that change notification knows what to
re-evaluate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from mypy_extensions import mypyc_attr

from statserver.core.native_init import install_inits
from statserver.core.portable import Portable
from statserver.core.stats.categories import Value
from statserver.core.stats.definition import StatDef
from statserver.core.stats.profiles import TimeProfile
from statserver.core.stats.track import Track
from statserver.core.stats.windows import Totals, Window

__all__ = ["FormulaPart", "StatExtras", "StatKey", "StatOptions", "Statistic", "StatisticKey"]


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


class StatExtras(Portable):
    """What only Formula, CustomFormula and structured statistics hold (see ``Statistic``)."""

    __slots__ = ("custom", "formula", "formula_parts", "structure_fn")

    def __init__(self) -> None:
        self.custom: Any = None
        self.formula: Any = None
        self.formula_parts: Sequence[FormulaPart] = ()
        self.structure_fn: Callable[[int], Value] | None = None


_NO_EXTRAS: Final = StatExtras()


class Statistic(Portable):
    """A shared aggregate.  ``main``/``rel`` are tracks; ``window``/``rel_window`` windows.

    A million of them are open at once, so a statistic keeps only what differs between
    statistics and what is read per value: the object, the ranges and the filter are read
    from its key (``object_type``, ``object_id``, ``ranges``, ``filter_name``), and what
    only Formula, CustomFormula and structured statistics need lives in a
    :class:`StatExtras` that the others do not have (they share one empty instance, never
    written).  192 bytes instead of 240 on the compiled build (bench/README.md, eleventh
    session)."""

    __slots__ = (
        "attached",
        "definition",
        "extras",
        "final",
        "id",
        "key",
        "last_request",
        "local_time",
        "main",
        "opened_at",
        "options",
        "profile",
        "refs",
        "rel",
        "rel_window",
        "tenant",
        "window",
    )

    def __init__(
        self,
        stat_id: int,
        key: StatKey,
        definition: StatDef,
        profile: TimeProfile,
        main: Track,
        *,
        opened_at: int,
        options: StatOptions,
        local_time: bool = False,
        tenant: str = "",
    ) -> None:
        self.id = stat_id
        #: the name of the tenant the statistic belongs to
        self.tenant = tenant
        #: the pool's dictionary key itself (see StatKey): object type, object id,
        #: definition, profile name, ranges, filter name, instance
        self.key = key
        self.definition = definition
        self.profile = profile
        self.main = main
        self.rel: Track | None = None
        self.window: Window | None = None
        self.rel_window: Window | None = None
        self.opened_at = opened_at
        self.options = options
        self.local_time = local_time
        self.extras = _NO_EXTRAS
        self.refs = 0
        #: when a client last opened or closed it, on the service's clock (``StatPool``:
        #: a statistic nobody asks for is removed after ``old-stats-removal-interval``);
        #: -1.0 until the service looks.  The engine does not read it.
        self.last_request = -1.0
        #: every track the statistic reads, each followed by the subject of its node (to
        #: detach them): ``(track, subject, track, subject, ...)``, one flat tuple, shared
        #: with the statistics that read the same (see ``opening.open_statistic``)
        self.attached: tuple[Any, ...] = ()
        #: while true, windows are read as at the end of the interval ending at ``now``
        self.final = False

    # -- what the key holds --------------------------------------------------------------------
    @property
    def object_type(self) -> str:
        return str(self.key[0])

    @property
    def object_id(self) -> str:
        return str(self.key[1])

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        ranges: tuple[tuple[int, int], ...] = self.key[4]
        return ranges

    @property
    def filter_name(self) -> str:
        return str(self.key[5])

    # -- what only some categories hold (``StatExtras``) ----------------------------------------
    def _own_extras(self) -> StatExtras:
        extras = self.extras
        if extras is _NO_EXTRAS:
            extras = self.extras = StatExtras()
        return extras

    @property
    def custom(self) -> Any:
        """CustomFormula: the compiled custom value expression."""
        return self.extras.custom

    @custom.setter
    def custom(self, value: Any) -> None:
        self._own_extras().custom = value

    @property
    def formula(self) -> Any:
        """Formula: the compiled formula."""
        return self.extras.formula

    @formula.setter
    def formula(self, value: Any) -> None:
        self._own_extras().formula = value

    @property
    def formula_parts(self) -> Sequence[FormulaPart]:
        """Formula: its aggregates and where their values come from."""
        return self.extras.formula_parts

    @formula_parts.setter
    def formula_parts(self, value: Sequence[FormulaPart]) -> None:
        self._own_extras().formula_parts = value

    @property
    def structure_fn(self) -> Callable[[int], Value] | None:
        """Structured categories: what builds the value."""
        return self.extras.structure_fn

    @structure_fn.setter
    def structure_fn(self, value: Callable[[int], Value] | None) -> None:
        self._own_extras().structure_fn = value

    # A snapshot holds a statistic as one tuple of its fields (see ``Acc.__getstate__``).
    # Backup formats 4 and 5 held 24 fields, the object, ranges, filter and the extras
    # among them: ``__setstate__`` reads those too.
    def __getstate__(self) -> Any:
        extras = self.extras
        return (
            self.attached,
            self.definition,
            None if extras is _NO_EXTRAS else extras,
            self.final,
            self.id,
            self.key,
            self.last_request,
            self.local_time,
            self.main,
            self.opened_at,
            self.options,
            self.profile,
            self.refs,
            self.rel,
            self.rel_window,
            self.tenant,
            self.window,
        )

    def __setstate__(self, s: Any) -> None:
        if len(s) == 24:
            self._set_format_5(s)
            return
        self.attached = s[0]
        self.definition = s[1]
        extras = s[2]
        self.extras = _NO_EXTRAS if extras is None else extras
        self.final = s[3]
        self.id = s[4]
        self.key = s[5]
        self.last_request = s[6]
        self.local_time = s[7]
        self.main = s[8]
        self.opened_at = s[9]
        self.options = s[10]
        self.profile = s[11]
        self.refs = s[12]
        self.rel = s[13]
        self.rel_window = s[14]
        self.tenant = s[15]
        self.window = s[16]

    def _set_format_5(self, s: Any) -> None:
        """The 24 fields of backup formats 4 and 5, in their order (object type, object id,
        ranges and filter name were fields of their own, equal to the key's)."""
        self.attached = s[0]
        self.definition = s[2]
        self.final = s[4]
        self.id = s[7]
        self.key = s[8]
        # s[9]: the engine time it was last opened, read by nothing; the service's times of
        # the last requests were beside the engine (``persistence.restore`` sets them)
        self.last_request = -1.0
        self.local_time = s[10]
        self.main = s[11]
        self.opened_at = s[14]
        self.options = s[15]
        self.profile = s[16]
        self.refs = s[18]
        self.rel = s[19]
        self.rel_window = s[20]
        self.tenant = s[22]
        self.window = s[23]
        self.extras = _NO_EXTRAS
        custom, formula, parts, structure_fn = s[1], s[5], s[6], s[21]
        if custom is not None or formula is not None or parts or structure_fn is not None:
            extras = self._own_extras()
            extras.custom = custom
            extras.formula = formula
            extras.formula_parts = parts
            extras.structure_fn = structure_fn

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
        # through a local: mypyc (2.4) does not call what a property returns when the call
        # is written on the property (``self.structure_fn(now)`` gave the builder itself)
        build = self.extras.structure_fn
        assert build is not None
        return build(now)

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


install_inits(globals())
