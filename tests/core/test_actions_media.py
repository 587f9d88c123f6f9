"""Media-channel, staging-area and tenant actions from Interaction Server events.

The test configuration has two Interaction Servers (IXN1, IXN2); agents are named by their
employee id.  a1 may handle 2 chats at once, a3 has the default capacity (1 chat).
Actions are observed with CurrentNumber / TotalNumber / TotalTime (Subject DNAction) opened
before the first event; durations are worked out by hand from the event times.
"""

from __future__ import annotations

from typing import Any

import pytest

from helpers import Scenario
from statserver.core.stats.statistic import Statistic


def stat(
    sc: Scenario,
    otype: str,
    oid: str,
    category: str,
    mask: str,
    media: str | None = None,
    **kw: Any,
) -> Statistic:
    """Open an inline DNAction statistic, optionally restricted to a MediaType."""
    inline = {"Category": category, "Subject": "DNAction", "MainMask": mask}
    if media:
        inline["MediaType"] = media
    return sc.open(otype, oid, inline=inline, **kw)


def totals(sc: Scenario, otype: str, oid: str, masks: list[str], **kw: Any) -> dict[str, Statistic]:
    out: dict[str, Statistic] = {}
    for mask in masks:
        out[f"time:{mask}"] = stat(sc, otype, oid, "TotalTime", mask, **kw)
        out[f"num:{mask}"] = stat(sc, otype, oid, "TotalNumber", mask, **kw)
    return out


def read(sc: Scenario, stats: dict[str, Statistic], t: float) -> dict[str, Any]:
    return {k: sc.value(s, t) for k, s in stats.items()}


def ixn(sc: Scenario, t: float, event: str, source: str = "IXN1", **attrs: Any) -> None:
    assert sc.ev(t, event, source=source, **attrs), event


def chat(sc: Scenario, t: float, event: str, agent: str = "a1", **attrs: Any) -> None:
    ixn(sc, t, event, agentID=agent, mediaType="chat", **attrs)


# ============================================================================ media channels
def test_chat_lifecycle_on_a_media_channel() -> None:
    """Login/Ready for a media, then Delivering → Accepted → Handling(+Inbound), Rejected,
    Revoked, PartyRemoved and ProcessingStopped, each with its duration.

    i1: invited 10, added 14, removed 74.  i2: invited 80, rejected 83.
    i3: invited 90, revoked 96.  i4: invited 100, added 101, processing stopped 131.
    """
    sc = Scenario()
    names = [
        "LoggedIn",
        "WaitForNextCall",
        "NotReadyForNextCall",
        "Delivering",
        "DeliveringStarted",
        "Accepted",
        "Rejected",
        "Revoked",
        "Handling",
        "HandlingInbound",
        "HandlingStarted",
        "HandlingInboundStarted",
        "HandlingOutbound",
    ]
    s = totals(sc, "Agent", "a1", names)
    handling_now = stat(sc, "Agent", "a1", "CurrentNumber", "Handling")
    chat(sc, 0, "EventAgentLogin")
    chat(sc, 5, "EventReadyForMedia")
    chat(sc, 10, "EventAgentInvited", interactionID="i1")
    chat(sc, 14, "EventPartyAdded", interactionID="i1")
    assert sc.value(handling_now, 20) == 1
    chat(sc, 74, "EventPartyRemoved", interactionID="i1")
    assert sc.value(handling_now, 75) == 0
    chat(sc, 80, "EventAgentInvited", interactionID="i2")
    chat(sc, 83, "EventRejected", interactionID="i2")
    chat(sc, 90, "EventAgentInvited", interactionID="i3")
    chat(sc, 96, "EventRevoked", interactionID="i3")
    chat(sc, 100, "EventAgentInvited", interactionID="i4")
    chat(sc, 101, "EventPartyAdded", interactionID="i4")
    ixn(sc, 131, "EventProcessingStopped", interactionID="i4")
    assert sc.value(handling_now, 135) == 0
    chat(sc, 140, "EventAgentLogout")
    assert read(sc, s, 150) == {
        "time:LoggedIn": 140 - 0,
        "num:LoggedIn": 1,
        "time:WaitForNextCall": 140 - 5,
        "num:WaitForNextCall": 1,
        "time:NotReadyForNextCall": 5 - 0,  # a media login starts not ready
        "num:NotReadyForNextCall": 1,
        "time:Delivering": (14 - 10) + (83 - 80) + (96 - 90) + (101 - 100),
        "num:Delivering": 4,
        "time:DeliveringStarted": 0,
        "num:DeliveringStarted": 4,
        "time:Accepted": (14 - 10) + (101 - 100),
        "num:Accepted": 2,
        "time:Rejected": 83 - 80,
        "num:Rejected": 1,
        "time:Revoked": 96 - 90,
        "num:Revoked": 1,
        "time:Handling": (74 - 14) + (131 - 101),
        "num:Handling": 2,
        "time:HandlingInbound": (74 - 14) + (131 - 101),
        "num:HandlingInbound": 2,
        "time:HandlingStarted": 0,
        "num:HandlingStarted": 2,
        "time:HandlingInboundStarted": 0,
        "num:HandlingInboundStarted": 2,
        "time:HandlingOutbound": 0,
        "num:HandlingOutbound": 0,
    }


def test_voice_names_match_media_actions_with_a_media_type() -> None:
    """With MediaType chat, CallInbound/CallRinging/CallAnswered stand for HandlingInbound/
    Delivering/Accepted; MediaType email sees none of the chat's actions."""
    sc = Scenario()
    as_chat = totals(
        sc, "Agent", "a1", ["CallInbound", "CallRinging", "CallAnswered"], media="chat"
    )
    as_email = totals(sc, "Agent", "a1", ["Handling", "Delivering"], media="email")
    as_voice = stat(sc, "Agent", "a1", "TotalTime", "CallInbound")
    chat(sc, 0, "EventAgentLogin", workMode="ManualIn")
    chat(sc, 10, "EventAgentInvited", interactionID="i1")
    chat(sc, 17, "EventPartyAdded", interactionID="i1")
    chat(sc, 57, "EventPartyRemoved", interactionID="i1")
    assert read(sc, as_chat, 60) == {
        "time:CallInbound": 57 - 17,
        "num:CallInbound": 1,
        "time:CallRinging": 17 - 10,
        "num:CallRinging": 1,
        "time:CallAnswered": 17 - 10,
        "num:CallAnswered": 1,
    }
    assert read(sc, as_email, 60) == {
        "time:Handling": 0,
        "num:Handling": 0,
        "time:Delivering": 0,
        "num:Delivering": 0,
    }
    assert sc.value(as_voice, 60) == 0  # no MediaType: the voice name means the voice action


@pytest.mark.parametrize("direction", ["Inbound", "Outbound", "Internal"])
def test_interaction_type_selects_the_handling_action(direction: str) -> None:
    """interactionType selects HandlingInbound / HandlingOutbound / HandlingInternal."""
    sc = Scenario()
    dirs = ["Inbound", "Outbound", "Internal"]
    s = {d: stat(sc, "Agent", "a1", "TotalTime", f"Handling{d}") for d in dirs}
    started = {d: stat(sc, "Agent", "a1", "TotalNumber", f"Handling{d}Started") for d in dirs}
    chat(sc, 0, "EventAgentLogin", workMode="ManualIn")
    chat(sc, 10, "EventPartyAdded", interactionID="i1", interactionType=direction)
    chat(sc, 35, "EventPartyRemoved", interactionID="i1")
    assert {d: sc.value(v, 40) for d, v in s.items()} == {
        d: (35 - 10 if d == direction else 0) for d in dirs
    }
    assert {d: sc.value(v, 40) for d, v in started.items()} == {
        d: int(d == direction) for d in dirs
    }


def test_conference_joined_and_transfer_made() -> None:
    """A second agent added while the first handles the interaction: ConferenceJoined; the
    first leaves with partyType TransferredBy: TransferMade."""
    sc = Scenario()
    joined = {a: stat(sc, "Agent", a, "TotalNumber", "ConferenceJoined") for a in ("a1", "a2")}
    made = {a: stat(sc, "Agent", a, "TotalNumber", "TransferMade") for a in ("a1", "a2")}
    a2_handling = stat(sc, "Agent", "a2", "TotalTime", "Handling")
    for a in ("a1", "a2"):
        chat(sc, 0, "EventAgentLogin", agent=a, workMode="ManualIn")
    chat(sc, 10, "EventPartyAdded", interactionID="i1")
    chat(sc, 20, "EventPartyAdded", agent="a2", interactionID="i1")
    chat(sc, 30, "EventPartyRemoved", interactionID="i1", partyType="TransferredBy")
    chat(sc, 90, "EventPartyRemoved", agent="a2", interactionID="i1")
    assert {a: sc.value(v, 100) for a, v in joined.items()} == {"a1": 0, "a2": 1}
    assert {a: sc.value(v, 100) for a, v in made.items()} == {"a1": 1, "a2": 0}
    assert sc.value(a2_handling, 100) == 90 - 20


# ============================================================================ capacity
# each step: (time, event, interaction, routable after it for a1 (2 chats), for a3 (1 chat))
CAPACITY_STEPS = [
    (0, "EventAgentLogin", None, 0, 0),  # a media login starts not ready
    (5, "EventReadyForMedia", None, 1, 1),
    (10, "EventAgentInvited", "i1", 1, 0),  # a1: 1 of 2; a3: full
    (20, "EventAgentInvited", "i2", 0, 0),  # a1: 2 of 2
    (30, "EventPartyAdded", "i1", 0, 0),  # still 2 interactions
    (40, "EventPartyRemoved", "i1", 1, 0),  # a1: 1 of 2; a3: still 1 of 1
    (50, "EventNotReadyForMedia", None, 0, 0),
]


@pytest.mark.parametrize("agent", ["a1", "a3"], ids=["a1-capacity-2", "a3-default-1"])
def test_routable_follows_capacity(agent: str) -> None:
    """Routable/NotRoutable per media follow readiness and the number of interactions
    delivered or handled against the agent's capacity (a1: 2 chats; a3: default 1)."""
    sc = Scenario()
    routable = stat(sc, "Agent", agent, "CurrentNumber", "Routable", media="chat")
    not_routable = stat(sc, "Agent", agent, "CurrentNumber", "NotRoutable", media="chat")
    for t, event, interaction, a1_routable, a3_routable in CAPACITY_STEPS:
        extra = {"interactionID": interaction} if interaction else {}
        chat(sc, t, event, agent=agent, **extra)
        want = a1_routable if agent == "a1" else a3_routable
        assert (sc.value(routable), sc.value(not_routable)) == (want, 1 - want), (t, event)


def test_do_not_disturb_makes_the_media_not_routable() -> None:
    """A ready media channel in DoNotDisturb is not routable; DND off makes it routable again."""
    sc = Scenario()
    routable = stat(sc, "Agent", "a1", "CurrentNumber", "Routable", media="chat")
    dnd = stat(sc, "Agent", "a1", "TotalTime", "DoNotDisturb")
    chat(sc, 0, "EventAgentLogin", workMode="ManualIn")
    assert sc.value(routable) == 1
    chat(sc, 10, "EventDoNotDisturbOn")
    assert sc.value(routable) == 0
    chat(sc, 25, "EventDoNotDisturbOff")
    assert sc.value(routable) == 1
    assert sc.value(dnd, 30) == 25 - 10


def test_voice_routable_follows_calls() -> None:
    """Voice capacity (1 call): Routable while ready without a call, NotRoutable while a call
    rings or is established, and while not ready."""
    sc = Scenario()
    routable = stat(sc, "Agent", "a1", "CurrentNumber", "Routable", media="voice")
    not_routable = stat(sc, "Agent", "a1", "CurrentNumber", "NotRoutable", media="voice")
    steps = [
        (0, "EventAgentLogin", {"agentID": "5001"}, 0),
        (5, "EventAgentReady", {}, 1),
        (10, "EventRinging", {"connID": "c1", "callType": "Inbound"}, 0),
        (12, "EventEstablished", {"connID": "c1", "callType": "Inbound"}, 0),
        (40, "EventReleased", {"connID": "c1"}, 1),
        (50, "EventAgentNotReady", {}, 0),
    ]
    for t, event, attrs, want in steps:
        assert sc.ev(t, event, thisDN="7001", **attrs)
        assert (sc.value(routable), sc.value(not_routable)) == (want, 1 - want), (t, event)


def test_routable_times_and_capacity_vector() -> None:
    """Routable/NotRoutable durations for a1 (2 chats) and its CurrentTargetState entry."""
    sc = Scenario()
    s = totals(sc, "Agent", "a1", ["Routable", "NotRoutable"])
    target = sc.open(
        "Agent", "a1", inline={"Category": "CurrentTargetState", "Subject": "AgentStatus"}
    )
    chat(sc, 0, "EventAgentLogin")
    chat(sc, 5, "EventReadyForMedia")
    chat(sc, 10, "EventAgentInvited", interactionID="i1")
    (entry,) = sc.value(target, 12)["targets"]
    assert entry["capacity"] == [
        {"mediaType": "chat", "state": "Ready", "current": 1, "maximum": 2, "available": 1}
    ]
    chat(sc, 20, "EventAgentInvited", interactionID="i2")
    chat(sc, 40, "EventPartyRemoved", interactionID="i2")
    chat(sc, 50, "EventNotReadyForMedia")
    # completed only (actions are not projected): NotRoutable 0-5; Routable 5-20 and 40-50;
    # NotRoutable 20-40; the NotRoutable since 50 is still going
    assert read(sc, s, 60) == {
        "time:Routable": (20 - 5) + (50 - 40),
        "num:Routable": 2,
        "time:NotRoutable": (5 - 0) + (40 - 20),
        "num:NotRoutable": 2,
    }


# ============================================================================ staging areas
def test_staging_area_actions() -> None:
    """InteractionEntered/Waiting/Distributed/Cleared/DistributedToQueue/Deleted.

    i1: placed in Chats 0, moved to Chats2 at 10 (oldQueue Chats), taken by an agent at 25,
    stopped at 100.  i2: placed in Chats 30, taken by a strategy at 34.  i3: placed in Chats
    40, processing stopped at 50.
    """
    sc = Scenario()
    names = [
        "InteractionEntered",
        "InteractionWaiting",
        "InteractionDistributed",
        "InteractionCleared",
        "InteractionDistributedToQueue",
        "InteractionDeleted",
    ]
    chats = totals(sc, "StagingArea", "Chats", names)
    chats2 = totals(sc, "StagingArea", "Chats2", names)
    waiting = {
        q: stat(sc, "StagingArea", q, "CurrentNumber", "InteractionWaiting")
        for q in ("Chats", "Chats2")
    }
    tenant_entered = stat(sc, "Tenant", "Resources", "TotalNumber", "InteractionEntered")
    placed = {"mediaType": "chat"}
    ixn(sc, 0, "EventPlacedInQueue", interactionID="i1", queue="Chats", **placed)
    assert [sc.value(w, 5) for w in waiting.values()] == [1, 0]
    ixn(
        sc, 10, "EventPlacedInQueue", interactionID="i1", queue="Chats2", oldQueue="Chats", **placed
    )
    assert [sc.value(w, 12) for w in waiting.values()] == [0, 1]
    ixn(sc, 25, "EventTakenFromQueue", interactionID="i1", queue="Chats2", partyType="Agent")
    ixn(sc, 30, "EventPlacedInQueue", interactionID="i2", queue="Chats", **placed)
    ixn(sc, 34, "EventTakenFromQueue", interactionID="i2", queue="Chats", partyType="Strategy")
    ixn(sc, 40, "EventPlacedInQueue", interactionID="i3", queue="Chats", **placed)
    ixn(sc, 50, "EventProcessingStopped", interactionID="i3")
    ixn(sc, 100, "EventProcessingStopped", interactionID="i1", queue="Chats2")
    assert [sc.value(w, 110) for w in waiting.values()] == [0, 0]
    assert read(sc, chats, 110) == {
        "time:InteractionEntered": 0,
        "num:InteractionEntered": 3,
        "time:InteractionWaiting": (10 - 0) + (34 - 30) + (50 - 40),
        "num:InteractionWaiting": 3,
        "time:InteractionDistributed": 0,
        "num:InteractionDistributed": 0,
        "time:InteractionCleared": 34 - 30,
        "num:InteractionCleared": 1,
        "time:InteractionDistributedToQueue": 10 - 0,  # credited to the old queue
        "num:InteractionDistributedToQueue": 1,
        "time:InteractionDeleted": 50 - 40,
        "num:InteractionDeleted": 1,
    }
    assert read(sc, chats2, 110) == {
        "time:InteractionEntered": 0,
        "num:InteractionEntered": 1,
        "time:InteractionWaiting": 25 - 10,
        "num:InteractionWaiting": 1,
        "time:InteractionDistributed": 25 - 10,
        "num:InteractionDistributed": 1,
        "time:InteractionCleared": 0,
        "num:InteractionCleared": 0,
        "time:InteractionDistributedToQueue": 0,
        "num:InteractionDistributedToQueue": 0,
        "time:InteractionDeleted": 100 - 0,  # since i1 first entered a queue
        "num:InteractionDeleted": 1,
    }
    assert sc.value(tenant_entered, 110) == 3 + 1


def test_tenant_external_service_actions() -> None:
    """EventExternalServiceRequested/Responded are momentary tenant actions."""
    sc = Scenario()
    req = stat(sc, "Tenant", "Resources", "TotalNumber", "ExternalServiceRequested")
    resp = stat(sc, "Tenant", "Resources", "TotalNumber", "ExternalServiceResponded")
    ixn(sc, 1, "EventExternalServiceRequested", interactionID="i1")
    ixn(sc, 2, "EventExternalServiceRequested", interactionID="i2", source="IXN2")
    ixn(sc, 3, "EventExternalServiceResponded", interactionID="i1")
    assert sc.value(req, 10) == 2
    assert sc.value(resp, 10) == 1
