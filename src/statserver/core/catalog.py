"""The named definitions a statistic request can refer to: stat types, time profiles, time
ranges and filters (the Genesys ``[TimeProfiles]``, ``[TimeRanges]``, ``[Filters]`` sections
and one section per stat type)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from statserver.core.expr import compile_filter
from statserver.core.items import Attrs
from statserver.core.stats.definition import StatDef, parse_stat_type
from statserver.core.stats.profiles import (
    DEFAULT_PROFILE,
    GrowingProfile,
    TimeProfile,
    parse_time_profile,
)
from statserver.core.stats.track import FilterFn

__all__ = ["DEFAULT_RANGE", "Catalog", "CompiledFilter", "parse_time_range"]

DEFAULT_RANGE: Final = (0, 20)


def parse_time_range(text: str | int) -> tuple[int, int]:
    """``"0-20"`` -> ``(0, 20)``: whole seconds, half-open ``[from, to)``."""
    raw = str(text).strip()
    parts = raw.split("-")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        msg = f"time range {raw!r} must be '<from>-<to>' in whole seconds, e.g. 0-20"
        raise ValueError(msg)
    lo, hi = int(parts[0]), int(parts[1])
    if hi <= lo:
        msg = f"time range {raw!r}: the end must be greater than the start"
        raise ValueError(msg)
    return lo, hi


@dataclass(frozen=True)
class CompiledFilter:
    name: str
    text: str
    fn: FilterFn

    def __call__(self, attrs: Attrs) -> bool:
        return self.fn(attrs)

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # the compiled closure does not pickle: a snapshot keeps the text
        return (_compiled_filter, (self.name, self.text))


def _compiled_filter(name: str, text: str) -> CompiledFilter:
    return CompiledFilter(name, text, compile_filter(text))


@dataclass
class Catalog:
    stat_types: dict[str, StatDef] = field(default_factory=dict)
    profiles: dict[str, TimeProfile] = field(default_factory=dict)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    filters: dict[str, CompiledFilter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if DEFAULT_PROFILE not in self.profiles:
            self.profiles[DEFAULT_PROFILE] = GrowingProfile(DEFAULT_PROFILE, (0,))

    @property
    def default_range(self) -> tuple[int, int]:
        return self.ranges.get("Default", DEFAULT_RANGE)

    @classmethod
    def build(
        cls,
        stat_types: Mapping[str, Mapping[str, Any]] | None = None,
        profiles: Mapping[str, Mapping[str, Any]] | None = None,
        ranges: Mapping[str, str] | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> Catalog:
        """Compile definitions given as plain data (raises ValueError naming the entry)."""
        cat = cls()
        for name, spec in (profiles or {}).items():
            try:
                cat.profiles[name] = parse_time_profile(
                    name, str(spec.get("type", "")), spec.get("value"), spec.get("timeZone")
                )
            except ValueError as exc:
                msg = f"time profile {name}: {exc}"
                raise ValueError(msg) from None
        for name, text in (ranges or {}).items():
            try:
                cat.ranges[name] = parse_time_range(text)
            except ValueError as exc:
                msg = f"time range {name}: {exc}"
                raise ValueError(msg) from None
        for name, text in (filters or {}).items():
            try:
                cat.filters[name] = CompiledFilter(name, text, compile_filter(text))
            except ValueError as exc:
                msg = f"filter {name}: {exc}"
                raise ValueError(msg) from None
        for name, options in (stat_types or {}).items():
            try:
                cat.stat_types[name] = parse_stat_type(name, options)
            except ValueError as exc:
                msg = f"stat type {name}: {exc}"
                raise ValueError(msg) from None
        return cat
