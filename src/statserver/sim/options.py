"""What the simulated traffic looks like: rates, durations, probabilities, the day profile."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["DAY_PROFILE", "FLAT_PROFILE", "PROFILES", "SimOptions", "profile_factor"]

#: Calls arrive at ``base rate × factor(hour of the day)``: a contact center's day, quiet at
#: night, a first peak in the late morning and a second one in the afternoon.  One value
#: per hour (UTC, or the ``time_zone`` of the options), interpolated linearly in between.
DAY_PROFILE: tuple[float, ...] = (
    0.30, 0.25, 0.22, 0.20, 0.22, 0.30, 0.45, 0.70,  # 00-07
    0.95, 1.15, 1.25, 1.20, 1.00, 1.05, 1.20, 1.15,  # 08-15
    1.00, 0.85, 0.70, 0.60, 0.50, 0.45, 0.40, 0.35,  # 16-23
)  # fmt: skip
FLAT_PROFILE: tuple[float, ...] = (1.0,) * 24
PROFILES = {"day": DAY_PROFILE, "flat": FLAT_PROFILE}


@dataclass(frozen=True)
class SimOptions:
    """The knobs of a simulation.  Times are seconds, rates per hour, probabilities 0-1.

    The arrival rates are derived from the staffing: voice calls arrive so that the agents
    of a switch would be ``voice_load`` busy at a profile factor of 1; chats and emails so
    that their agents' capacity is ``chat_load`` / ``email_load`` used.
    """

    seed: int = 1
    #: when the simulation starts (Unix seconds; default: now)
    start: float = field(default_factory=lambda: float(int(time.time())))
    profile: tuple[float, ...] = DAY_PROFILE
    #: UTC offset of the profile's hours, in hours
    utc_offset: float = 0.0
    # -- voice
    voice_load: float = 0.85
    talk_mean: float = 210.0
    ring_min: float = 2.0
    ring_max: float = 8.0
    rona_probability: float = 0.02
    rona_timeout: float = 15.0
    patience_mean: float = 110.0
    hold_probability: float = 0.2
    abandon_on_hold_probability: float = 0.03
    transfer_probability: float = 0.06
    conference_probability: float = 0.03
    consult_probability: float = 0.04
    acw_probability: float = 0.9
    acw_mean: float = 30.0
    # -- outbound (agents with the Outbound skill), per such agent and hour
    outbound_rate: float = 3.0
    outbound_answer_probability: float = 0.65
    outbound_talk_mean: float = 150.0
    # -- agents
    login_ramp: float = 600.0
    session_min: float = 2 * 3600.0
    session_max: float = 4 * 3600.0
    off_min: float = 10 * 60.0
    off_max: float = 40 * 60.0
    break_interval_mean: float = 75 * 60.0
    #: reason code -> (weight, min duration, max duration)
    breaks: dict[str, tuple[float, float, float]] = field(
        default_factory=lambda: {
            "Break": (0.45, 300.0, 900.0),
            "Personal": (0.15, 120.0, 360.0),
            "Coaching": (0.15, 600.0, 1200.0),
            "Training": (0.10, 900.0, 1800.0),
            "Lunch": (0.15, 1800.0, 2700.0),
        }
    )
    # -- chat and email
    chat_load: float = 0.7
    chat_handle_mean: float = 360.0
    chat_patience_mean: float = 300.0
    email_load: float = 0.6
    email_handle_mean: float = 480.0
    accept_min: float = 2.0
    accept_max: float = 10.0
    revoke_probability: float = 0.03
    revoke_timeout: float = 20.0


def profile_factor(profile: tuple[float, ...], t: float, utc_offset: float = 0.0) -> float:
    """The factor of ``profile`` at Unix time ``t`` (linear between hour midpoints)."""
    hours = ((t / 3600.0) + utc_offset - 0.5) % 24.0
    i = int(hours)
    frac = hours - i
    return profile[i] * (1.0 - frac) + profile[(i + 1) % 24] * frac
