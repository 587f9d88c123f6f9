"""The live state of one tenant: DNs, media channels, agents, places, groups, staging areas.

Each class here is a :class:`~statserver.core.feeds.Carrier`: it owns the items in progress
on it and says which objects they propagate to.  The rules that change this state live in
:mod:`statserver.core.tlib` (T-Server events) and :mod:`statserver.core.ixn` (Interaction
Server events); the status rules in :mod:`statserver.core.status`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from statserver.core.feeds import Carrier
from statserver.core.items import Attrs, Item
from statserver.core.model import AgentInfo, DnInfo, GroupInfo, ObjectType, PlaceInfo
from statserver.core.native_init import install_inits
from statserver.core.portable import Portable
from statserver.core.stats.definition import Subject

if TYPE_CHECKING:
    from statserver.core.expr import GroupScript

__all__ = [
    "AgentState",
    "Call",
    "CapacityCarrier",
    "DnState",
    "GroupState",
    "LoginState",
    "MediaChannel",
    "MediaParty",
    "MediationState",
    "PlaceState",
    "StagingState",
    "TenantCarrier",
    "Waiting",
]


class StatusCarrier(Carrier):
    """A carrier with a status (a status episode item always in progress).

    ``history`` keeps the last statuses (name, start), so a statistic opened later can tell
    since when the object has stayed in a set of statuses (CurrentContinuousTime)."""

    __slots__ = ("history", "status_item")

    HISTORY: ClassVar[int] = 32

    def __init__(self, key: str, status_item: Item) -> None:
        super().__init__(key)
        self.status_item = status_item
        self.history: deque[tuple[str, int]] = deque(maxlen=self.HISTORY)

    def stayed_since(self, names: frozenset[str]) -> int | None:
        """Since when the status has stayed in ``names`` (None if it is not in them now)."""
        item = self.status_item
        if item.name not in names:
            return None
        since = item.start
        for name, start in reversed(self.history):
            if name not in names:
                break
            since = start
        return since

    @property
    def status(self) -> str:
        return self.status_item.name


class Call(Portable):
    """One call (connection id) at a regular DN."""

    __slots__ = (
        "attrs",
        "call_type",
        "conn_id",
        "hold_item",
        "phase",
        "phase_item",
        "queue",
        "queue_enter",
        "talk_start",
        "type_item",
    )

    def __init__(self, conn_id: str, call_type: str, attrs: Attrs) -> None:
        self.conn_id = conn_id
        self.call_type = call_type
        self.attrs = attrs
        #: "dialing", "ringing" or "established"
        self.phase = ""
        self.phase_item: Item | None = None
        self.type_item: Item | None = None
        self.hold_item: Item | None = None
        #: when the call was first established here (a call-type change does not reset it)
        self.talk_start: float | None = None
        #: the mediation DN that distributed the call, and when the call entered it
        self.queue: str | None = None
        self.queue_enter: float | None = None


class LoginState(Portable):
    """An agent logged in on a regular DN."""

    __slots__ = ("agent", "item", "login_id", "mode_item", "queues", "ready_pending")

    def __init__(self, agent: str, login_id: str, item: Item) -> None:
        self.agent = agent
        self.login_id = login_id
        self.item = item
        #: WaitForNextCall, NotReadyForNextCall or AfterCallWork in progress
        self.mode_item: Item | None = None
        #: mediation DNs the agent logged into through this DN
        self.queues: set[str] = set()
        #: ready-ends-on-call: the agent was ready when a call suspended WaitForNextCall
        self.ready_pending: Attrs | None = None


class _DnCarrier(StatusCarrier):
    """A DN: actions in ``open`` (DNAction) and a DN status (DNStatus)."""

    __slots__ = ("open",)

    def __init__(self, key: str, status_item: Item) -> None:
        super().__init__(key, status_item)
        self.open: dict[int, Item] = {}

    def items_for(self, subject: Subject) -> Iterator[Item]:
        if subject is Subject.DN_ACTION:
            return iter(list(self.open.values()))
        if subject is Subject.DN_STATUS:
            return iter((self.status_item,))
        return iter(())


class DnState(_DnCarrier):
    """A regular DN (extension, ACD position, ...)."""

    __slots__ = (
        "agent",
        "by_name",
        "calls",
        "dnd_item",
        "hook_item",
        "info",
        "last_queue",
        "login",
        "monitor_item",
        "place",
        "registered",
        "tenant",
    )

    def __init__(self, info: DnInfo, tenant: str, status_item: Item, place: str | None) -> None:
        super().__init__(info.key, status_item)
        self.info = info
        self.tenant = tenant
        self.place = place
        #: the agent associated with this DN (logged in here or at the DN's place)
        self.agent: str | None = None
        self.registered = False
        self.monitor_item: Item | None = None
        #: visible (not hidden by hold) durable items by name, for the status
        self.by_name: dict[str, dict[int, Item]] = {}
        self.login: LoginState | None = None
        self.hook_item: Item | None = None
        self.dnd_item: Item | None = None
        self.calls: dict[str, Call] = {}
        #: the mediation DN that distributed the last call (for ACWCompleted/ACWMissed)
        self.last_queue: str | None = None


class Waiting(Portable):
    """A call or interaction waiting in a mediation DN or staging area."""

    __slots__ = ("attrs", "enter", "item")

    def __init__(self, item: Item, enter: float, attrs: Attrs) -> None:
        self.item = item
        self.enter = enter
        self.attrs = attrs


class MediationState(_DnCarrier):
    """An ACD queue, routing point or virtual queue."""

    __slots__ = ("info", "pseudo", "registered", "waiting")

    def __init__(self, info: DnInfo, status_item: Item) -> None:
        super().__init__(info.key, status_item)
        self.info = info
        self.registered = False
        self.waiting: dict[str, Waiting] = {}
        #: pseudo actions: (action name, agent or DN) -> item
        self.pseudo: dict[tuple[str, str], Item] = {}


class MediaParty(Portable):
    """An agent's part in one interaction on a media channel."""

    __slots__ = ("attrs", "delivering", "direction", "handling", "handling_dir")

    def __init__(self, attrs: Attrs, direction: str) -> None:
        self.attrs = attrs
        self.direction = direction
        self.delivering: Item | None = None
        self.handling: Item | None = None
        self.handling_dir: Item | None = None


class MediaChannel(Carrier):
    """One media of one agent as reported by one Interaction Server (a partial state)."""

    __slots__ = (
        "agent",
        "dnd_item",
        "login_item",
        "media",
        "mode_item",
        "open",
        "parties",
        "source",
    )

    def __init__(self, agent: str, media: str, source: str) -> None:
        super().__init__(f"{agent}/{media}@{source}")
        self.agent = agent
        self.media = media
        self.source = source
        self.open: dict[int, Item] = {}
        self.login_item: Item | None = None
        self.mode_item: Item | None = None
        self.dnd_item: Item | None = None
        self.parties: dict[str, MediaParty] = {}

    def items_for(self, subject: Subject) -> Iterator[Item]:
        if subject is Subject.DN_ACTION:
            return iter(list(self.open.values()))
        return iter(())


class AgentState(StatusCarrier):
    """An agent (person): where it is logged in, its media channels, its status."""

    __slots__ = (
        "capacity",
        "channels",
        "dns_cache",
        "groups",
        "info",
        "login_dns",
        "login_since",
        "media_place",
        "places",
        "status_src",
        "tenant",
    )

    def __init__(self, info: AgentInfo, tenant: str, status_item: Item) -> None:
        super().__init__(info.employee_id, status_item)
        self.info = info
        self.tenant = tenant
        #: regular DNs the agent is logged in on
        self.login_dns: list[str] = []
        #: places the agent is associated with (by login)
        self.places: list[str] = []
        #: place named by an Interaction Server for a media-only login
        self.media_place: str | None = None
        #: (source, media) -> channel
        self.channels: dict[tuple[str, str], MediaChannel] = {}
        #: agent groups the agent belongs to (static and virtual)
        self.groups: set[str] = set()
        #: when the agent last went from logged out to logged in (SinceLogin)
        self.login_since: float | None = None
        #: TenantEngine.agent_dns, until the agent's associations change
        self.dns_cache: list[DnState] | None = None
        #: Routable/NotRoutable actions
        self.capacity = CapacityCarrier(f"{info.employee_id}/capacity")
        #: where the status came from (for CurrentState): "voice", "media" or ""
        self.status_src = ""

    @property
    def logged_in(self) -> bool:
        return bool(self.login_dns) or any(
            ch.login_item is not None for ch in self.channels.values()
        )

    def items_for(self, subject: Subject) -> Iterator[Item]:
        if subject is Subject.AGENT_STATUS:
            return iter((self.status_item,))
        return iter(())


class PlaceState(StatusCarrier):
    __slots__ = ("agents", "groups", "info")

    def __init__(self, info: PlaceInfo, status_item: Item) -> None:
        super().__init__(info.name, status_item)
        self.info = info
        #: agents associated with the place (normally one)
        self.agents: list[str] = []
        self.groups: set[str] = set()

    def items_for(self, subject: Subject) -> Iterator[Item]:
        if subject is Subject.PLACE_STATUS:
            return iter((self.status_item,))
        return iter(())


class GroupState(StatusCarrier):
    """An agent or place group; ``counts`` are the members' statuses."""

    __slots__ = ("counts", "info", "kind", "members", "script")

    def __init__(
        self, info: GroupInfo, kind: ObjectType, status_item: Item, script: GroupScript | None
    ) -> None:
        super().__init__(info.name, status_item)
        self.info = info
        self.kind = kind
        self.members: set[str] = set()
        self.script = script
        self.counts: dict[str, int] = {}

    def items_for(self, subject: Subject) -> Iterator[Item]:
        if subject is Subject.GROUP_STATUS:
            return iter((self.status_item,))
        return iter(())


class StagingState(Carrier):
    """An interaction queue of an Interaction Server (a staging area)."""

    __slots__ = ("open", "tenant", "waiting")

    def __init__(self, name: str, tenant: str) -> None:
        super().__init__(name)
        self.tenant = tenant
        self.open: dict[int, Item] = {}
        self.waiting: dict[str, Waiting] = {}

    def items_for(self, subject: Subject) -> Iterator[Item]:
        if subject is Subject.DN_ACTION:
            return iter(list(self.open.values()))
        return iter(())


class TenantCarrier(Carrier):
    """The tenant itself (tenant actions such as ExternalServiceRequested)."""

    __slots__ = ("open",)

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.open: dict[int, Item] = {}


class CapacityCarrier(Carrier):
    """An agent's Routable/NotRoutable actions, one per media type."""

    __slots__ = ("by_media", "open")

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.by_media: dict[str, Item] = {}
        self.open: dict[int, Item] = {}

    def items_for(self, subject: Subject) -> Iterator[Item]:
        if subject is Subject.DN_ACTION:
            return iter(list(self.open.values()))
        return iter(())


install_inits(globals())
