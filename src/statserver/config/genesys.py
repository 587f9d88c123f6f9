"""Reading the options of a Genesys Stat Server application, as exported to a text file.

The layout is the one Configuration Manager and Genesys Administrator export::

    [TimeProfiles]
    Default,Growing=00:00
    LastHour,Sliding=3600:60

    [TimeRanges]
    ServiceObjective=0-20

    [Filters]
    Gold=PairExists("Segment","Gold")

    [statserver]
    auto-backup-interval=60

    [Total_Calls_Answered]
    Category=TotalNumber
    MainMask=CallAnswered
    Objects=Queue,GroupQueues
    Subject=DNAction

Every section with a ``Category`` option is a stat type.  Sections Stat Server does not use
(``[log]``, ``[ha]``, ...) are listed in ``ignored`` so the caller can say so.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from typing import Any

from statserver.errors import ConfigError

__all__ = ["GenesysOptions", "parse_genesys_options"]


@dataclass
class GenesysOptions:
    stat_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    time_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    time_ranges: dict[str, str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    #: line numbers: ``"section"`` and ``"section.option"`` (lower case) -> line (1-based);
    #: a time profile is also found as ``"timeprofiles.<name>"``
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, section: str, option: str | None = None) -> int | None:
        """The line of ``[section]`` or of its ``option`` (falling back to the section)."""
        key = section.strip().lower()
        if option is not None:
            found = self.lines.get(f"{key}.{option.strip().lower()}")
            if found is not None:
                return found
        return self.lines.get(key)


_SERVER_SECTIONS = {"statserver", "overload", "ha", "java-config", "java-extensions"}
_SECTION_LINE = re.compile(r"^\[(?P<name>[^\]]+)\]")
_OPTION_LINE = re.compile(r"^(?P<name>[^=\s;#][^=]*?)\s*=")


def _line_index(text: str) -> dict[str, int]:
    """Where each section and option is, as configparser reads them (first occurrence)."""
    lines: dict[str, int] = {}
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        m = _SECTION_LINE.match(raw)
        if m:
            section = m.group("name").strip().lower()
            lines.setdefault(section, number)
            continue
        m = _OPTION_LINE.match(raw)
        if m and section is not None:
            name = m.group("name").strip().lower()
            lines.setdefault(f"{section}.{name}", number)
            if section == "timeprofiles" and "," in name:
                lines.setdefault(f"{section}.{name.split(',', 1)[0].strip()}", number)
    return lines


def parse_genesys_options(text: str, source: str = "<genesys options>") -> GenesysOptions:
    parser = configparser.ConfigParser(
        interpolation=None, delimiters=("=",), strict=False, comment_prefixes=("#", ";")
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=source)
    except configparser.MissingSectionHeaderError as exc:
        raise ConfigError(
            f"not a Genesys option file: {exc.line.strip()!r} comes before any [Section] line",
            source=f"{source}:{exc.lineno}",
        ) from None
    except configparser.ParsingError as exc:
        lineno = exc.errors[0][0]
        line = text.splitlines()[lineno - 1].strip()
        raise ConfigError(
            f"not a Genesys option file: {line!r} is neither a [Section] line nor a "
            "name=value option",
            source=f"{source}:{lineno}",
        ) from None
    except configparser.Error as exc:
        raise ConfigError(
            f"not a Genesys option file: {exc}; expected [Section] lines and name=value options",
            source=source,
        ) from None
    out = GenesysOptions(lines=_line_index(text))
    for section in parser.sections():
        items = dict(parser.items(section))
        lower = section.lower()
        if lower == "timeprofiles":
            for name, value in items.items():
                if "," not in name:
                    at = out.line(section, name)
                    raise ConfigError(
                        f"option {name!r} must be named '<Name>,<Type>' "
                        "(Type: Growing, Sliding, Selection, SinceLogin)",
                        source=f"{source}:{at}" if at else source,
                        path=f"[{section}].{name}",
                    )
                pname, ptype = (p.strip() for p in name.split(",", 1))
                spec: dict[str, Any] = {"type": ptype, "value": value.strip()}
                out.time_profiles[pname] = spec
        elif lower == "timeranges":
            out.time_ranges.update({k.strip(): v.strip() for k, v in items.items()})
        elif lower == "filters":
            out.filters.update({k.strip(): v.strip() for k, v in items.items()})
        elif lower in _SERVER_SECTIONS:
            if lower == "statserver":
                out.options.update({k.strip(): v.strip() for k, v in items.items()})
            else:
                out.ignored.append(section)
        elif any(k.lower() == "category" for k in items):
            out.stat_types[section] = {k.strip(): v.strip() for k, v in items.items()}
        else:
            out.ignored.append(section)
    return out
