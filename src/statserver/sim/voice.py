"""Voice calls: Poisson arrivals on ACD queues, skills-based routing, ringing and
ring-no-answer, patience and abandons, talk with holds, consultations, transfers,
conferences, after-call work, and outbound calls."""

from __future__ import annotations

from typing import Any

from statserver.sim.agents import AgentBehaviour
from statserver.sim.model import (
    SEGMENTS,
    Agent,
    Leg,
    Queue,
    Switch,
    Tenant,
    VoiceCall,
    whole_seconds,
)

__all__ = ["VoiceCalls"]


class VoiceCalls(AgentBehaviour):
    def _dispatch_voice(self, sw: Switch) -> None:
        while True:
            queues = sorted(
                (q for q in sw.queues if q.waiting),
                key=lambda q: (q.waiting[0].entered, q.spec.index),
            )
            for q in queues:
                agent = self._pick_agent(sw, q)
                if agent is not None:
                    self._divert(q.waiting.pop(0), agent)
                    break
            else:
                return

    def _pick_agent(self, sw: Switch, q: Queue) -> Agent | None:
        skill = q.spec.skill
        best: Agent | None = None
        best_key: tuple[int, int] = (0, 0)
        for a in sw.agents:
            if not a.available:
                continue
            level = a.spec.skills.get(skill, 0) if skill is not None else 1
            if level < 1:
                continue
            key = (level, -a.idle_since)
            if best is None or key > best_key:
                best, best_key = a, key
        return best

    def _arrival(self, q: Queue) -> None:
        self._next_arrival(q.rate, self._arrival, q)
        segment = self.rng.choices([s for s, _ in SEGMENTS], weights=[w for _, w in SEGMENTS])[0]
        call = VoiceCall(
            self._new_id(),
            q,
            self._phone(),
            f"+1800555{int(q.spec.number) % 10000:04d}"
            if q.spec.number.isdigit()
            else q.spec.number,
            {"Segment": segment},
            deadline=self.now + max(1000, int(self.rng.expovariate(1.0 / q.patience_mean) * 1000)),
        )
        q.switch.calls[call.conn] = call
        self._queue(call)
        self._at_ms(call.deadline, self._patience, call)
        self._dispatch_voice(q.switch)

    def _queue(self, call: VoiceCall, *, front: bool = False) -> None:
        q = call.queue
        self._t(
            q.switch,
            "EventQueued",
            thisDN=q.spec.number,
            connID=call.conn,
            callType="Inbound",
            thisQueue=q.spec.number,
            otherDN=call.ani,
            ani=call.ani,
            dnis=call.dnis,
            userData=call.user_data,
        )
        self._wait_in(q, call, front=front)

    def _divert(self, call: VoiceCall, a: Agent) -> None:
        q = call.queue
        o = self.options
        self._t(
            q.switch,
            "EventDiverted",
            thisDN=q.spec.number,
            connID=call.conn,
            callType="Inbound",
            otherDN=a.spec.dn,
            thisQueue=q.spec.number,
        )
        self._t(
            a,
            "EventRinging",
            thisDN=a.spec.dn,
            connID=call.conn,
            callType="Inbound",
            thisQueue=q.spec.number,
            otherDN=call.ani,
            ani=call.ani,
            dnis=call.dnis,
            userData=call.user_data,
        )
        q.truth.distributed += 1
        a.legs[call.conn] = Leg(call.conn, "Inbound", "ringing")
        call.state, call.agent = "ringing", a
        call.token += 1
        if self.rng.random() < o.rona_probability:
            self._at(o.rona_timeout, self._rona, call, call.token)
        else:
            self._at(self._uniform(o.ring_min, o.ring_max), self._answer, call, call.token)

    def _patience(self, call: VoiceCall) -> None:
        q = call.queue
        if call.state == "waiting":
            self._t(
                q.switch,
                "EventAbandoned",
                thisDN=q.spec.number,
                connID=call.conn,
                callType="Inbound",
            )
            q.waiting.remove(call)
            q.truth.abandoned += 1
            q.truth.abandon_waits.append(whole_seconds(self.now) - whole_seconds(call.entered))
            self._call_done(call)
            self.counts["abandon"] += 1
        elif call.state == "ringing" and call.agent is not None:
            a = call.agent
            self._t(a, "EventAbandoned", thisDN=a.spec.dn, connID=call.conn, callType="Inbound")
            a.legs.pop(call.conn)
            q.truth.abandoned_ringing += 1
            self._call_done(call)
            self.counts["abandon_ringing"] += 1
            self._after_work(a)

    def _call_done(self, call: VoiceCall) -> None:
        call.state = "done"
        call.token += 1
        call.queue.switch.calls.pop(call.conn, None)

    def _rona(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.state != "ringing" or call.agent is None:
            return
        a = call.agent
        q = call.queue
        self._hang_up(a, call.conn, "Inbound", None, thisQueue=q.spec.number)
        q.truth.missed += 1
        self.counts["rona"] += 1
        self._set_not_ready(a, "RONA", media=False)
        self._agent_timer(a, self._uniform(30.0, 90.0))
        self._queue(call, front=True)
        self._dispatch_voice(q.switch)

    def _answer(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.state != "ringing" or call.agent is None:
            return
        a = call.agent
        q = call.queue
        o = self.options
        self._t(
            a,
            "EventEstablished",
            thisDN=a.spec.dn,
            connID=call.conn,
            callType="Inbound",
            thisQueue=q.spec.number,
            otherDN=call.ani,
        )
        leg = a.legs[call.conn]
        leg.phase, leg.since = "established", self.now
        q.truth.answered += 1
        q.truth.answer_waits.append(whole_seconds(self.now) - whole_seconds(call.entered))
        call.state = "talking"
        call.token += 1
        tok = call.token
        total = max(5.0, self._lognormal(q.talk_mean))
        r = self.rng.random()
        if r < o.transfer_probability:
            call.ending = "transfer"
        elif r < o.transfer_probability + o.conference_probability:
            call.ending = "conference"
        elif r < o.transfer_probability + o.conference_probability + o.consult_probability:
            call.ending = "consult"
        else:
            call.ending = "release"
        if self.rng.random() < o.hold_probability:
            at = total * self._uniform(0.2, 0.6)
            hold = self._uniform(10.0, 60.0)
            total = max(total, at + hold + 5.0)
            self._at(at, self._hold, call, tok)
            if call.ending == "release" and self.rng.random() < o.abandon_on_hold_probability:
                self._at(at + hold, self._abandon_on_hold, call, tok)
                return
            self._at(at + hold, self._retrieve, call, tok)
        self._at(total, self._talk_end, call, tok)

    def _hold(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        a = call.agent
        self._t(a, "EventHeld", thisDN=a.spec.dn, connID=call.conn)
        a.legs[call.conn].held = True
        self.counts["hold"] += 1

    def _retrieve(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        a = call.agent
        self._t(a, "EventRetrieved", thisDN=a.spec.dn, connID=call.conn)
        a.legs[call.conn].held = False

    def _abandon_on_hold(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        a = call.agent
        self._t(a, "EventAbandoned", thisDN=a.spec.dn, connID=call.conn, callType="Inbound")
        self._close_leg(a, call.conn)
        self._call_done(call)
        self.counts["abandon_on_hold"] += 1
        self._work_done(a, acw=True)

    def _book_talk(self, a: Agent, leg: Leg) -> None:
        """Ground truth: the talk of an established leg that ends now (whole seconds)."""
        a.talk[leg.type] += whole_seconds(self.now) - whole_seconds(leg.since)
        a.calls[leg.type] += 1

    def _close_leg(self, a: Agent, conn: str) -> Leg:
        leg = a.legs.pop(conn)
        if leg.phase == "established":
            self._book_talk(a, leg)
        return leg

    def _hang_up(
        self, a: Agent, conn: str, call_type: str, other_dn: str | None, **attrs: Any
    ) -> None:
        """``a`` releases ``conn`` (EventReleased) and its leg closes (a leg that never got
        established books no talk time)."""
        self._t(
            a,
            "EventReleased",
            thisDN=a.spec.dn,
            connID=conn,
            callType=call_type,
            **attrs,
            otherDN=other_dn,
        )
        self._close_leg(a, conn)

    def _retype(self, a: Agent, leg: Leg, conn: str, call_type: str) -> None:
        """The call at ``a`` becomes ``conn`` of ``call_type`` (EventPartyChanged)."""
        self._book_talk(a, leg)
        del a.legs[leg.conn]
        leg.conn, leg.type, leg.since, leg.held = conn, call_type, self.now, False
        a.legs[conn] = leg

    def _talk_end(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        if call.ending in ("transfer", "conference", "consult"):
            b = self._consult_target(call.agent)
            if b is not None:
                self._consult(call, b)
                return
        self._release(call)

    def _release(self, call: VoiceCall) -> None:
        a = call.agent
        assert a is not None
        self._hang_up(a, call.conn, "Inbound", call.ani, thisQueue=call.queue.spec.number)
        self._call_done(call)
        self._work_done(a, acw=True)

    def _work_done(self, a: Agent, *, acw: bool) -> None:
        """The agent's calls are over: after-call work, or the next thing."""
        if a.legs or not a.voice:
            return
        o = self.options
        if acw and a.mode == "ready" and self.rng.random() < o.acw_probability:
            a.mode, a.reason, a.acw_since = "acw", None, self.now
            self._t(
                a,
                "EventAgentNotReady",
                thisDN=a.spec.dn,
                agentID=a.spec.login_id,
                workMode="AfterCallWork",
            )
            self.counts["acw"] += 1
            self._agent_timer(a, max(2.0, self._lognormal(o.acw_mean)))
            return
        self._after_work(a)

    # -- consultations, transfers, conferences -------------------------------------------------
    def _consult_target(self, a: Agent) -> Agent | None:
        sw = self._switch(a)
        candidates = [b for b in sw.agents if b is not a and b.available]
        if not candidates:
            return None
        other = [b for b in candidates if b.spec.login_queue != a.spec.login_queue] or candidates
        return min(other, key=lambda b: b.idle_since)

    def _consult(self, call: VoiceCall, b: Agent) -> None:
        a = call.agent
        assert a is not None
        leg1 = a.legs[call.conn]
        if not leg1.held:
            self._t(a, "EventHeld", thisDN=a.spec.dn, connID=call.conn)
            leg1.held = True
        conn2 = self._new_id()
        self._t(
            a,
            "EventDialing",
            thisDN=a.spec.dn,
            connID=conn2,
            previousConnID=call.conn,
            callType="Consult",
            otherDN=b.spec.dn,
        )
        a.legs[conn2] = Leg(conn2, "Consult", "dialing")
        self._t(
            b, "EventRinging", thisDN=b.spec.dn, connID=conn2, callType="Consult", otherDN=a.spec.dn
        )
        b.legs[conn2] = Leg(conn2, "Consult", "ringing")
        call.consult = (b, conn2)
        call.token += 1
        self._at(self._uniform(2.0, 6.0), self._consult_answer, call, call.token)

    def _consult_answer(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None or call.consult is None:
            return
        a = call.agent
        b, conn2 = call.consult
        self._t(
            b,
            "EventEstablished",
            thisDN=b.spec.dn,
            connID=conn2,
            callType="Consult",
            otherDN=a.spec.dn,
        )
        self._t(
            a,
            "EventEstablished",
            thisDN=a.spec.dn,
            connID=conn2,
            callType="Consult",
            otherDN=b.spec.dn,
        )
        for agent in (a, b):
            leg = agent.legs[conn2]
            leg.phase, leg.since = "established", self.now
        self._at(self._uniform(15.0, 90.0), self._consult_end, call, token)

    def _consult_end(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None or call.consult is None:
            return
        a = call.agent
        b, conn2 = call.consult
        conn1 = call.conn
        call.consult = None
        call.token += 1
        if call.ending == "transfer":
            self._hang_up(a, conn2, "Consult", b.spec.dn)
            self._hang_up(a, conn1, "Inbound", call.ani, thisDNRole="TransferredBy")
            self._consult_joins(b, conn2, conn1, otherDN=call.ani, thirdPartyDN=a.spec.dn)
            call.agent, call.ending = b, "release"
            self.counts["transfer"] += 1
            self._at(
                max(5.0, self._lognormal(call.queue.talk_mean * 0.6)),
                self._talk_end,
                call,
                call.token,
            )
            self._work_done(a, acw=True)
        elif call.ending == "conference":
            self._hang_up(a, conn2, "Consult", b.spec.dn)
            self._t(a, "EventRetrieved", thisDN=a.spec.dn, connID=conn1)
            a.legs[conn1].held = False
            self._t(
                a,
                "EventPartyAdded",
                thisDN=a.spec.dn,
                connID=conn1,
                thisDNRole="AddedBy",
                otherDN=b.spec.dn,
            )
            self._consult_joins(b, conn2, conn1, thisDNRole="ConferenceMember", otherDN=a.spec.dn)
            call.member, call.ending = b, "release"
            self.counts["conference"] += 1
            self._at(self._uniform(20.0, 120.0), self._conference_leave, call, call.token)
        else:
            self._hang_up(b, conn2, "Consult", a.spec.dn)
            self._hang_up(a, conn2, "Consult", b.spec.dn)
            self._t(a, "EventRetrieved", thisDN=a.spec.dn, connID=conn1)
            a.legs[conn1].held = False
            call.ending = "release"
            self.counts["consult"] += 1
            self._at(max(5.0, self._lognormal(45.0)), self._talk_end, call, call.token)
            self._work_done(b, acw=False)

    def _consult_joins(self, b: Agent, conn2: str, conn1: str, **attrs: Any) -> None:
        """The consulted agent's leg becomes a leg of the customer's call (transfer or
        conference completed)."""
        self._t(
            b,
            "EventPartyChanged",
            thisDN=b.spec.dn,
            connID=conn1,
            previousConnID=conn2,
            callType="Inbound",
            **attrs,
        )
        self._retype(b, b.legs[conn2], conn1, "Inbound")

    def _conference_leave(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None or call.member is None:
            return
        a, b = call.agent, call.member
        call.member = None
        self._hang_up(b, call.conn, "Inbound", a.spec.dn)
        self._t(a, "EventPartyDeleted", thisDN=a.spec.dn, connID=call.conn, otherDN=b.spec.dn)
        call.token += 1
        self._at(self._uniform(10.0, 90.0), self._talk_end, call, call.token)
        self._work_done(b, acw=True)

    # -- outbound ------------------------------------------------------------------------------
    def _outbound(self, tenant: Tenant) -> None:
        self._next_arrival(tenant.outbound_rate, self._outbound, tenant)
        candidates = [a for a in tenant.outbound if a.available]
        if not candidates:
            self.counts["outbound_skipped"] += 1
            return
        a = min(candidates, key=lambda x: x.idle_since)
        conn = self._new_id()
        number = self._phone()
        self._t(
            a,
            "EventDialing",
            thisDN=a.spec.dn,
            connID=conn,
            callType="Outbound",
            otherDN=number,
            userData={"Campaign": "Callbacks"},
        )
        a.legs[conn] = Leg(conn, "Outbound", "dialing")
        self.counts["outbound"] += 1
        self._at(self._uniform(5.0, 25.0), self._outbound_result, a, conn, number)

    def _outbound_result(self, a: Agent, conn: str, number: str) -> None:
        leg = a.legs.get(conn)
        if leg is None:
            return
        if self.rng.random() < self.options.outbound_answer_probability:
            self._t(
                a,
                "EventEstablished",
                thisDN=a.spec.dn,
                connID=conn,
                callType="Outbound",
                otherDN=number,
            )
            leg.phase, leg.since = "established", self.now
            self.counts["outbound_answered"] += 1
            self._at(
                max(5.0, self._lognormal(self.options.outbound_talk_mean)),
                self._outbound_end,
                a,
                conn,
                number,
            )
        else:
            self._hang_up(a, conn, "Outbound", number)
            self._work_done(a, acw=False)

    def _outbound_end(self, a: Agent, conn: str, number: str) -> None:
        self._hang_up(a, conn, "Outbound", number)
        self._work_done(a, acw=True)
