"""Chats and emails on the Interaction Servers: arrivals into interaction queues, routing
to ready agents below their capacity, invitations, handling, revocations, abandons."""

from __future__ import annotations

from typing import Any

from statserver.sim.model import (
    SEGMENTS,
    Agent,
    Channel,
    Interaction,
    MediaQueue,
    placed_attrs,
)
from statserver.sim.voice import VoiceCalls

__all__ = ["MediaInteractions"]


class MediaInteractions(VoiceCalls):
    def _mi(self, mq: MediaQueue, event: str, **attrs: Any) -> None:
        self._i(mq.spec.tenant, mq.spec.source, mq.tag_tenant, event, **attrs)

    def _media_arrival(self, mq: MediaQueue) -> None:
        self._next_arrival(mq.rate, self._media_arrival, mq)
        segment = self.rng.choices([s for s, _ in SEGMENTS], weights=[w for _, w in SEGMENTS])[0]
        it = Interaction(self._new_id().upper(), mq, {"Segment": segment})
        self._place(it)
        if mq.patience_mean is not None:
            self._at(self.rng.expovariate(1.0 / mq.patience_mean), self._media_patience, it)
        self._dispatch_media(mq)

    def _place(self, it: Interaction, *, front: bool = False) -> None:
        self._mi(it.queue, "EventPlacedInQueue", **placed_attrs(it))
        self._wait_in(it.queue, it, front=front)

    def _stopped(self, it: Interaction) -> None:
        """The interaction leaves its queue for good (handled or abandoned)."""
        mq = it.queue
        self._mi(
            mq,
            "EventProcessingStopped",
            interactionID=it.id,
            queue=mq.spec.name,
            mediaType=mq.spec.media,
        )

    def _dispatch_media(self, mq: MediaQueue) -> None:
        while mq.waiting:
            it = mq.waiting[0]
            agent = self._pick_media_agent(mq, it)
            if agent is None:
                return
            mq.waiting.pop(0)
            self._invite(it, agent)

    def _pick_media_agent(self, mq: MediaQueue, it: Interaction) -> Agent | None:
        media = mq.spec.media
        best: Agent | None = None
        best_key: tuple[int, int] = (0, 0)
        for a in mq.agents:
            ch = a.channels[media]
            if not (ch.logged and ch.ready) or len(ch.parties) >= ch.capacity or a.id in it.refused:
                continue
            key = (len(ch.parties), ch.last_assigned)
            if best is None or key < best_key:
                best, best_key = a, key
        return best

    def _invite(self, it: Interaction, a: Agent) -> None:
        mq = it.queue
        o = self.options
        media = mq.spec.media
        ch = a.channels[media]
        self._mi(
            mq,
            "EventTakenFromQueue",
            interactionID=it.id,
            queue=mq.spec.name,
            partyType="Agent",
            agentID=a.id,
            mediaType=media,
        )
        self._ch(
            a,
            ch,
            "EventAgentInvited",
            interactionID=it.id,
            place=a.spec.place,
            interactionType="Inbound",
            userData=it.user_data,
        )
        ch.parties[it.id] = "delivering"
        ch.last_assigned = self.now
        it.state, it.agent = "delivering", a
        it.token += 1
        mq.truth.distributed += 1
        if self.rng.random() < o.revoke_probability:
            self._at(o.revoke_timeout, self._media_revoke, it, it.token)
        else:
            self._at(self._uniform(o.accept_min, o.accept_max), self._media_accept, it, it.token)

    def _media_accept(self, it: Interaction, token: int) -> None:
        if token != it.token or it.agent is None:
            return
        a = it.agent
        ch = a.channels[it.queue.spec.media]
        self._ch(a, ch, "EventPartyAdded", interactionID=it.id, interactionType="Inbound")
        ch.parties[it.id] = "handling"
        it.state = "handling"
        self._at(max(10.0, self._lognormal(it.queue.handle_mean)), self._media_done, it, token)

    def _media_done(self, it: Interaction, token: int) -> None:
        if token != it.token or it.agent is None:
            return
        a = it.agent
        mq = it.queue
        ch = a.channels[mq.spec.media]
        self._ch(a, ch, "EventPartyRemoved", interactionID=it.id)
        del ch.parties[it.id]
        self._stopped(it)
        mq.truth.completed += 1
        a.handled[mq.spec.media] += 1
        it.state, it.agent = "done", None
        it.token += 1
        self._channel_free(a, ch)

    def _media_revoke(self, it: Interaction, token: int) -> None:
        if token != it.token or it.agent is None:
            return
        a = it.agent
        mq = it.queue
        ch = a.channels[mq.spec.media]
        self._ch(a, ch, "EventRevoked", interactionID=it.id)
        del ch.parties[it.id]
        it.refused.add(a.id)
        mq.truth.revoked += 1
        self.counts["revoked"] += 1
        self._place(it, front=True)
        self._channel_free(a, ch)

    def _media_patience(self, it: Interaction) -> None:
        if it.state != "waiting":
            return
        mq = it.queue
        self._stopped(it)
        mq.waiting.remove(it)
        mq.truth.abandoned += 1
        self.counts[f"{mq.spec.media}_abandon"] += 1
        it.state = "done"
        it.token += 1

    def _channel_free(self, a: Agent, ch: Channel) -> None:
        if ch.leaving and not ch.parties:
            self._logout_channel(a, ch)
            self._maybe_off(a)
            return
        self._dispatch_media(self.tenants[a.spec.tenant].media[ch.media])
