"""Time profiles: the intervals over which historical values are computed.

Genesys syntax (``[TimeProfiles]`` option ``<Name>,<Type> = <value>``):

* **Growing** ``"00:00"``, ``"07:00,15:00,23:00"``, ``"00:00+00:15"`` (start, then every
  step until the end of the day); the value resets to zero at each reset time, in the
  profile's time zone.  ``"EverGrowing"`` (type ``EverGrowing``, or Growing with the value
  ``never``) never resets.
* **Sliding** ``"3600:60"``: the last 3600 seconds, advanced in 60-second steps.
* **Selection** ``"10"``: the last 10 completed actions or statuses.
* **SinceLogin**: from the agent's login.

Resets are computed from the clock, not from events.  Daylight-saving changes are handled
in the profile's zone: a reset time that does not exist that day (the clock jumps over it)
happens at the moment of the jump; a reset time that happens twice (the clock goes back) is
used once for a list of times, and both times for a stepped profile (every 15 minutes means
every 15 minutes of the wall clock, even in a repeated hour).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import ClassVar, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from statserver.core.identity_enum import IdentityEnum

__all__ = [
    "DEFAULT_PROFILE",
    "GrowingProfile",
    "ProfileKind",
    "SelectionProfile",
    "SinceLoginProfile",
    "SlidingProfile",
    "TimeProfile",
    "parse_time_profile",
]


class ProfileKind(IdentityEnum):
    GROWING = "Growing"
    SLIDING = "Sliding"
    SELECTION = "Selection"
    SINCE_LOGIN = "SinceLogin"

    @property
    def wire_code(self) -> int:
        """The interval type code of the client protocol (GrowingWindow=0, ...)."""
        return _WIRE_CODES[self]


_WIRE_CODES: Final = {
    ProfileKind.GROWING: 0,
    ProfileKind.SINCE_LOGIN: 1,
    ProfileKind.SLIDING: 2,
    ProfileKind.SELECTION: 3,
}

_NEVER: Final = 1 << 62  # "no next reset": larger than any timestamp


@dataclass(eq=False)
class GrowingProfile:
    """Resets at given local times every day (or never, when ``minutes`` is empty)."""

    name: str
    #: reset wall-clock times, minutes after local midnight, sorted, unique
    minutes: tuple[int, ...]
    #: when true (a ``+step`` profile) a repeated local time resets in both occurrences
    stepped: bool = False
    zone: str = "UTC"
    _tz: tzinfo = field(init=False, repr=False)
    _cache: tuple[int, int] = field(default=(0, -1), init=False, repr=False)
    #: the sorted resets of the days around a day (a stepped profile has up to 1440 a day)
    _days: dict[date, list[int]] = field(default_factory=dict, init=False, repr=False)

    kind: ClassVar[ProfileKind] = ProfileKind.GROWING

    def __post_init__(self) -> None:
        self._tz = UTC if self.zone in ("UTC", "") else ZoneInfo(self.zone)

    @property
    def ever_growing(self) -> bool:
        return not self.minutes

    def interval(self, t: int) -> tuple[int, int]:
        """``(start, end)`` of the interval containing ``t``: ``start <= t < end``.

        With no resets the interval is ``(-huge, +huge)``.
        """
        start, end = self._cache
        if start <= t < end:
            return start, end
        if not self.minutes:
            return -_NEVER, _NEVER
        day = datetime.fromtimestamp(t, self._tz).date()
        resets = self._days.get(day)
        if resets is None:
            resets = []
            for offset in (-1, 0, 1):
                resets.extend(self._resets_on(day + timedelta(days=offset)))
            resets.sort()
            if len(self._days) >= 8:
                self._days.clear()
            self._days[day] = resets
        # two days around cover any interval unless a day has no reset at all (impossible)
        i = bisect_right(resets, t)
        result = (resets[i - 1], resets[i])
        self._cache = result
        return result

    def _resets_on(self, day: date) -> list[int]:
        out: list[int] = []
        for minute in self.minutes:
            wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
            out.extend(_wall_to_instants(wall, self._tz, both_folds=self.stepped))
        return out

    def describe(self) -> str:
        if not self.minutes:
            return "never resets"
        times = ", ".join(f"{m // 60:02d}:{m % 60:02d}" for m in self.minutes[:6])
        if len(self.minutes) > 6:
            step = self.minutes[1] - self.minutes[0]
            times = (
                f"{len(self.minutes)} times a day, every {step // 60:02d}:{step % 60:02d} "
                f"from {self.minutes[0] // 60:02d}:{self.minutes[0] % 60:02d}"
                if self.stepped
                else times + ", ..."
            )
        return f"resets at {times} ({self.zone})"


@dataclass(frozen=True)
class SlidingProfile:
    name: str
    window: int
    step: int
    kind: ClassVar[ProfileKind] = ProfileKind.SLIDING

    @property
    def buckets(self) -> int:
        return self.window // self.step

    def describe(self) -> str:
        return f"the last {self.window} s, advanced every {self.step} s"


@dataclass(frozen=True)
class SelectionProfile:
    name: str
    count: int
    kind: ClassVar[ProfileKind] = ProfileKind.SELECTION

    def describe(self) -> str:
        return f"the last {self.count} completed actions or statuses"


@dataclass(frozen=True)
class SinceLoginProfile:
    name: str
    kind: ClassVar[ProfileKind] = ProfileKind.SINCE_LOGIN

    def describe(self) -> str:
        return "since the agent's login"


TimeProfile = GrowingProfile | SlidingProfile | SelectionProfile | SinceLoginProfile

DEFAULT_PROFILE: Final = "Default"

_HHMM: Final = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _parse_hhmm(text: str, *, allow_24: bool = False) -> int:
    m = _HHMM.match(text)
    if not m:
        msg = f"{text.strip()!r} is not a time of day; expected HH:MM, e.g. 00:00 or 7:30"
        raise ValueError(msg)
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        msg = f"{text.strip()!r} is not a valid time of day (00:00 to 23:59)"
        raise ValueError(msg)
    return hours * 60 + minutes


def _parse_growing(name: str, value: str, zone: str) -> GrowingProfile:
    text = value.strip()
    if text.lower() in ("", "never", "evergrowing", "ever"):
        return GrowingProfile(name, (), zone=zone)
    minutes: set[int] = set()
    stepped = False
    for part in text.split(","):
        if "+" in part:
            start_text, step_text = part.split("+", 1)
            start = _parse_hhmm(start_text)
            step = _parse_hhmm(step_text, allow_24=True)
            if step == 0:
                msg = f"step {step_text.strip()!r} of {part.strip()!r} must be longer than 00:00"
                raise ValueError(msg)
            minutes.update(range(start, 24 * 60, step))
            stepped = True
        else:
            minutes.add(_parse_hhmm(part))
    return GrowingProfile(name, tuple(sorted(minutes)), stepped=stepped, zone=zone)


def parse_time_profile(
    name: str, kind: str, value: str | int | None, zone: str | None = None
) -> TimeProfile:
    """Build a time profile from its Genesys type and value; :class:`ValueError` if invalid."""
    key = kind.strip().lower().replace(" ", "").replace("_", "")
    text = "" if value is None else str(value)
    zone_name = (zone or "UTC").strip() or "UTC"
    if zone_name.upper() in ("UTC", "GMT"):
        zone_name = "UTC"
    if zone_name != "UTC":
        try:
            ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {zone_name!r}; expected an IANA name such as Europe/Paris"
            raise ValueError(msg) from None
    if key == "growing":
        # a time zone may also be written in the value, e.g. "00:00,Europe/Paris"
        parts = [p.strip() for p in text.split(",")]
        zones = [p for p in parts if "/" in p or p.upper() in ("UTC", "GMT")]
        if zones:
            if len(zones) > 1 or (zone is not None and zone.strip() != zones[0]):
                msg = f"Growing value {text!r} names more than one time zone"
                raise ValueError(msg)
            text = ",".join(p for p in parts if p not in zones)
            return parse_time_profile(name, kind, text, zones[0])
        return _parse_growing(name, text, zone_name)
    if key in ("evergrowing", "ever"):
        return GrowingProfile(name, (), zone=zone_name)
    if key == "sliding":
        parts = text.split(":")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            msg = f"Sliding value {text!r} must be '<window seconds>:<step seconds>', e.g. 3600:60"
            raise ValueError(msg)
        window, step = int(parts[0]), int(parts[1])
        if step <= 0 or window <= 0 or window % step:
            msg = (
                f"Sliding value {text!r}: window and step must be positive and the window a "
                "multiple of the step"
            )
            raise ValueError(msg)
        if window // step > 10_000:
            msg = f"Sliding value {text!r} has more than 10000 steps; use a longer step"
            raise ValueError(msg)
        return SlidingProfile(name, window, step)
    if key == "selection":
        if not text.strip().isdigit() or int(text) <= 0:
            msg = f"Selection value {text!r} must be a positive number of actions, e.g. 10"
            raise ValueError(msg)
        return SelectionProfile(name, int(text))
    if key == "sincelogin":
        return SinceLoginProfile(name)
    msg = f"unknown time profile type {kind!r}; expected Growing, Sliding, Selection, SinceLogin"
    raise ValueError(msg)


def _offset_at(t: float, tz: tzinfo) -> timedelta:
    off = datetime.fromtimestamp(t, tz).utcoffset()
    return off if off is not None else timedelta(0)


def _wall_to_instants(wall: datetime, tz: tzinfo, *, both_folds: bool) -> list[int]:
    """UTC instants (whole seconds) at which the local wall-clock time ``wall`` happens."""
    if tz is UTC:
        return [int(wall.replace(tzinfo=UTC).timestamp())]
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    t0, t1 = first.timestamp(), second.timestamp()
    exists = datetime.fromtimestamp(t0, tz).replace(tzinfo=None) == wall
    if not exists:
        # In a gap: the wall time is skipped; the reset happens when the clock jumps.
        lo, hi = min(t0, t1), max(t0, t1)
        after = _offset_at(hi, tz)
        while hi - lo > 1:
            mid = (lo + hi) / 2
            if _offset_at(mid, tz) == after:
                hi = mid
            else:
                lo = mid
        return [int(hi)]
    if t0 == t1 or not both_folds:
        return [int(min(t0, t1))]
    return sorted({int(t0), int(t1)})
