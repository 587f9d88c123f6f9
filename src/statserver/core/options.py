"""Engine options: the decisions on the open questions that users may want the other way.

Each option has a Genesys-style name (``options:`` in the configuration, the ``[statserver]``
section in Genesys) and is documented in ``docs/configuration.md`` and ``docs/decisions.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final

__all__ = ["ENGINE_OPTION_NAMES", "EngineOptions"]


@dataclass(frozen=True)
class EngineOptions:
    #: stat types without UseSourceTimeStamps measure with event (source) times when true,
    #: with local receipt times when false (Genesys' default is local time)
    use_source_timestamps: bool = True
    #: Q8: a call ends WaitForNextCall (which comes back when the last call ends)
    ready_ends_on_call: bool = False
    #: Q1: TotalNumber of a durable *action* counts at its "end" (default) or its "start"
    action_total_number_at: str = "end"
    #: Q3: current time categories measure from the statistic's opening, not the real start
    clip_current_to_open: bool = False
    #: a group's GroupStatus ignores logged-out members unless all are logged out
    group_status_ignores_logged_out: bool = True
    #: media types counted in agent and place statuses (Genesys:
    #: multimedia-activity-in-status-table); false = voice only
    multimedia_in_status: bool = True
    #: seconds of handling assumed per call by LoadBalance / EstimTimeToComplete
    load_balance_aht: int = 90
    #: default interactions an agent may handle at once, per media, when not configured
    default_capacity: Mapping[str, int] = field(
        default_factory=lambda: {"voice": 1, "chat": 1, "email": 1}
    )
    #: keep a virtual queue's enter time when EventPartyChanged gives the call a new ConnID
    vq_use_alt_enter_time: bool = False
    #: calls remembered per switch between distribution and answer (bounded memory)
    max_tracked_calls: int = 200_000

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> EngineOptions:
        """Build from ``options:`` keys in Genesys spelling (``ready-ends-on-call``).

        Unknown keys are ignored here: the server has options of its own.  Raises
        :class:`ValueError` for a known key with a value of the wrong kind.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = f.name.replace("_", "-")
            if key not in options:
                continue
            raw = options[key]
            default = getattr(cls(), f.name)
            values[f.name] = _coerce(key, raw, default)
        if values.get("action_total_number_at", "end") not in ("end", "start"):
            msg = "action-total-number-at must be 'end' or 'start'"
            raise ValueError(msg)
        return cls(**values)


def _coerce(key: str, raw: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("yes", "true", "1", "on"):
            return True
        if text in ("no", "false", "0", "off"):
            return False
        msg = f"option {key} must be yes or no, not {raw!r}"
        raise ValueError(msg)
    if isinstance(default, int):
        try:
            return int(raw)
        except (TypeError, ValueError):
            msg = f"option {key} must be a whole number, not {raw!r}"
            raise ValueError(msg) from None
    if isinstance(default, Mapping):
        if not isinstance(raw, Mapping):
            msg = f"option {key} must be a map of media type to number, not {raw!r}"
            raise ValueError(msg)
        try:
            return {str(k): int(v) for k, v in raw.items()}
        except (TypeError, ValueError):
            msg = f"option {key} must map media types to whole numbers"
            raise ValueError(msg) from None
    return str(raw)


ENGINE_OPTION_NAMES: Final[frozenset[str]] = frozenset(
    f.name.replace("_", "-") for f in fields(EngineOptions)
)
