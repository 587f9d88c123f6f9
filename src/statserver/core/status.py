"""Status rules: DN status by priority, place and agent status across voice and media,
group status, capacity (Routable/NotRoutable) and the facts virtual groups test.

* **DN status** = the highest-priority durable action in progress on the DN (Genesys status
  priority table), a held call's talking action being hidden.  The status carries the
  attributes of the action that defines it (the latest started one of its name).
* **Media channel status**: the same table over the channel's actions under their voice
  names (Delivering = CallRinging, HandlingInbound = CallInbound, ...).
* **Place and agent status** (Genesys' documented algorithm, first rule that applies):
  no devices and no media → NotMonitored; only voice → voice status; only media →
  non-voice status; both: voice above NotReadyForNextCall → voice; non-voice above voice →
  non-voice; media but nobody logged into a voice device → non-voice; else voice.  An agent
  logged in nowhere is LoggedOut.  Several Interaction Servers each report a partial state of
  the agent (one media channel per server and media); the non-voice status is the highest of
  all of them, so losing one server drops only its channels.
* **Group status** = the highest-priority status among the members that are logged in
  (LoggedOut only when no member is), option ``group-status-ignores-logged-out``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

from statserver.core.items import EMPTY_ATTRS, Attrs, Item
from statserver.core.model import ObjectType
from statserver.core.native_init import install_inits
from statserver.core.options import EngineOptions
from statserver.core.portable import Portable
from statserver.core.state import AgentState, DnState, GroupState, MediaChannel, PlaceState
from statserver.core.vocabulary import DN_SPT, MEDIA_STATUS_NAME, STATUS_RANK

if TYPE_CHECKING:
    from statserver.core.tenant import TenantEngine

__all__ = [
    "AgentFacts",
    "agent_status",
    "capacity_vector",
    "dn_status",
    "group_status",
    "place_status",
    "update_capacity",
]

_DN_SPT_DESC = tuple(reversed(DN_SPT))
#: the priority table's rank of a status name, as a dictionary of this module: the
#: compiled build looks it up in C, where a bound ``get``, a key function for ``max`` or a
#: function of the interpreted vocabulary was a call through Python (bench/README.md,
#: twelfth session)
_RANK: Final[dict[str, int]] = dict(STATUS_RANK)


def _priority(status: str) -> int:
    """Rank of a status in the agent/DN priority table (higher wins); -1 when not in it."""
    return _RANK.get(status, -1)


_NOT_READY = _priority("NotReadyForNextCall")


def dn_status(dn: DnState) -> tuple[str, Attrs]:
    by_name = dn.by_name
    for name in _DN_SPT_DESC:
        items = by_name.get(name)
        if items:
            last = next(reversed(items.values()))
            return name, last.attrs
    # a registered DN with nothing going on is idle: OnHook (T-Servers rarely report hooks)
    return ("OnHook" if dn.registered else "NotMonitored"), EMPTY_ATTRS


def channel_status(ch: MediaChannel) -> tuple[str, Item | None]:
    best, best_item, best_p = "", None, -1
    for item in ch.open.values():
        name = MEDIA_STATUS_NAME.get(item.name)
        if name is None:
            continue
        p = _priority(name)
        if p > best_p or (p == best_p and best_item is not None and item.start >= best_item.start):
            best, best_item, best_p = name, item, p
    return best, best_item


def _combine(
    voice: tuple[str, Attrs] | None,
    media: tuple[str, Attrs] | None,
    voice_logged_in: bool,
) -> tuple[str, Attrs, str]:
    if voice is None and media is None:
        return "NotMonitored", EMPTY_ATTRS, ""
    if media is None:
        assert voice is not None
        return voice[0], voice[1], "voice"
    if voice is None:
        return media[0], media[1], "media"
    pv, pm = _priority(voice[0]), _priority(media[0])
    if pv > _NOT_READY:
        return voice[0], voice[1], "voice"
    if pm > pv:
        return media[0], media[1], "media"
    if not voice_logged_in:
        return media[0], media[1], "media"
    return voice[0], voice[1], "voice"


def _voice_of(dns: list[DnState]) -> tuple[str, Attrs] | None:
    if not dns:
        return None
    best, best_p = dns[0], -2
    for dn in dns:  # the first of the highest rank, as max() gives
        p = _priority(dn.status)
        if p > best_p:
            best, best_p = dn, p
    return best.status, best.status_item.attrs


def _media_of(channels: list[MediaChannel]) -> tuple[str, Attrs] | None:
    best: tuple[str, Attrs] | None = None
    best_p = -1
    for ch in channels:
        if ch.login_item is None:
            continue
        name, item = channel_status(ch)
        if not name:
            continue
        p = _priority(name)
        if p > best_p:
            best, best_p = (name, item.attrs if item is not None else EMPTY_ATTRS), p
    return best


def agent_status(eng: TenantEngine, agent: AgentState) -> tuple[str, Attrs, str]:
    if not agent.logged_in:
        return "LoggedOut", EMPTY_ATTRS, ""
    dns = eng.agent_dns(agent)
    voice = _voice_of([d for d in dns if d.info.media_type == "voice"])
    media = _media_of(list(agent.channels.values())) if eng.options.multimedia_in_status else None
    return _combine(voice, media, bool(agent.login_dns))


def place_status(eng: TenantEngine, place: PlaceState) -> tuple[str, Attrs]:
    dns = [eng.dns[k] for k in place.info.dns if k in eng.dns]
    voice = _voice_of(dns)
    channels: list[MediaChannel] = []
    for key in place.agents:
        channels.extend(eng.agents[key].channels.values())
    media = _media_of(channels) if eng.options.multimedia_in_status else None
    logged = any(d.login is not None for d in dns)
    name, attrs, _ = _combine(voice, media, logged)
    return name, attrs


def group_status(group: GroupState, options: EngineOptions) -> str:
    best, best_p = "", -1
    skip_logged_out = options.group_status_ignores_logged_out
    members = False
    for name, count in group.counts.items():
        if count <= 0:
            continue
        members = True
        if skip_logged_out and name == "LoggedOut":
            continue
        p = _priority(name)
        if p > best_p:
            best, best_p = name, p
    if best:
        return best
    if members:
        return "LoggedOut" if group.kind is ObjectType.GROUP_AGENTS else "NotMonitored"
    return "NotMonitored"


class AgentFacts(Portable):
    """What a virtual group script may test about an agent."""

    __slots__ = ("_agent", "_eng")

    def __init__(self, eng: TenantEngine, agent: AgentState) -> None:
        self._eng = eng
        self._agent = agent

    def skill_level(self, name: str) -> int | None:
        return self._agent.info.skills.get(name)

    def logged_in_queue(self, queue_key: str) -> bool:
        for key in self._agent.login_dns:
            dn = self._eng.dns.get(key)
            if dn is not None and dn.login is not None and queue_key in dn.login.queues:
                return True
        return False

    def logged_in_switch(self, switch: str) -> bool:
        return any(self._eng.dns[k].info.switch == switch for k in self._agent.login_dns)


# ---------------------------------------------------------------------- capacity
def capacity_vector(eng: TenantEngine, agent: AgentState) -> dict[str, tuple[bool, int, int, int]]:
    """Per media: (ready, current interactions, maximum, how many more may be routed now).

    Voice: ready when a DN of the agent has WaitForNextCall; current = calls dialing, ringing
    or established on the agent's DNs.  Other media: ready when a channel of that media is
    ready (on any Interaction Server) and not in DoNotDisturb; current = interactions being
    delivered or handled.  The maximum comes from the agent's ``capacity`` or the option
    ``default-capacity``.  Each media is independent (no cross-media capacity rule).
    """
    out: dict[str, tuple[bool, int, int, int]] = {}
    caps = agent.info.capacity
    default = eng.options.default_capacity
    if agent.login_dns:
        current = 0
        ready = False
        for d in eng.agent_dns(agent):
            current += len(d.calls)
            login = d.login
            if not ready and login is not None:
                mode = login.mode_item
                ready = mode is not None and mode.name == "WaitForNextCall"
        maximum = caps.get("voice", default.get("voice", 1))
        out["voice"] = (ready, current, maximum, max(0, maximum - current) if ready else 0)
    per_media: dict[str, list[MediaChannel]] = {}
    for ch in agent.channels.values():
        if ch.login_item is not None:
            per_media.setdefault(ch.media, []).append(ch)
    for media, channels in per_media.items():
        current = sum(len(ch.parties) for ch in channels)
        ready = any(
            ch.mode_item is not None
            and ch.mode_item.name == "WaitForNextCall"
            and ch.dnd_item is None
            for ch in channels
        )
        maximum = caps.get(media, default.get(media, 1))
        out[media] = (ready, current, maximum, max(0, maximum - current) if ready else 0)
    return out


def update_capacity(eng: TenantEngine, agent: AgentState) -> None:
    """Keep one Routable or NotRoutable action per media the agent is logged in on."""
    carrier = agent.capacity
    vector = capacity_vector(eng, agent)
    for media, item in list(carrier.by_media.items()):
        if media not in vector:
            eng.end(carrier, carrier.open, item)
            del carrier.by_media[media]
    for media, (_ready, _cur, _max, free) in vector.items():
        name = "Routable" if free > 0 else "NotRoutable"
        current = carrier.by_media.get(media)
        if current is not None and current.name == name:
            continue
        if current is not None:
            eng.end(carrier, carrier.open, current)
        carrier.by_media[media] = eng.start(carrier, carrier.open, name, _media_attrs(media))


@functools.cache
def _media_attrs(media: str) -> Attrs:
    """The attributes of Routable and NotRoutable actions: one object per media (attributes
    are frozen)."""
    return EMPTY_ATTRS.replace(media_type=media)


install_inits(globals())
