"""Agents: logins over the first minutes, shifts, ready and not-ready with reason codes,
breaks, after-call work, logouts — on the T-Server and on each media channel."""

from __future__ import annotations

from statserver.sim.base import SimulationBase
from statserver.sim.model import (
    Agent,
    Channel,
    MediaQueue,
    Switch,
    whole_seconds,
)

__all__ = ["AgentBehaviour"]


class AgentBehaviour(SimulationBase):
    """What agents do between interactions.  Routing is the voice and media parts' job:
    a ready agent asks for work through :meth:`_dispatch_voice` and :meth:`_dispatch_media`."""

    def _dispatch_voice(self, sw: Switch) -> None:
        raise NotImplementedError

    def _dispatch_media(self, mq: MediaQueue) -> None:
        raise NotImplementedError

    def _login(self, a: Agent) -> None:
        if a.shift != "off":
            return
        o = self.options
        a.shift = "on"
        a.session += 1
        a.voice = True
        a.mode = "notready"
        a.reason = "Login"
        a.pending = None
        self._t(
            a,
            "EventAgentLogin",
            thisDN=a.spec.dn,
            agentID=a.spec.login_id,
            thisQueue=a.spec.login_queue,
            workMode="AuxWork",
            reasons={"ReasonCode": "Login"},
        )
        for ch in a.channels.values():
            ch.logged, ch.ready, ch.reason, ch.leaving = True, False, "Login", False
            self._ch(
                a,
                ch,
                "EventAgentLogin",
                place=a.spec.place,
                workMode="AuxWork",
                reasons={"ReasonCode": "Login"},
            )
        self.counts["login"] += 1
        self._at(self._uniform(o.session_min, o.session_max), self._shift_end, a, a.session)
        self._agent_timer(a, self._uniform(5.0, 60.0))

    def _agent_timer(self, a: Agent, delay: float) -> None:
        """Call :meth:`_after_work` after ``delay`` (login, ACW, RONA, break end)."""
        a.token += 1
        self._at(delay, self._agent_free, a, a.token)

    def _agent_free(self, a: Agent, token: int) -> None:
        if token != a.token or not a.voice:
            return
        if a.on_break:
            a.on_break = False
            self._schedule_break(a)
        self._after_work(a)

    def _after_work(self, a: Agent) -> None:
        """The agent's voice work is over: log out, take a break, or get ready."""
        if a.legs or not a.voice:
            return
        if a.pending == "logout" or a.shift == "leaving":
            self._logout(a)
            return
        if a.pending == "break":
            a.pending = None
            self._start_break(a)
            return
        if a.mode != "ready":
            self._set_ready(a)
        else:
            a.idle_since = self.now
        self._dispatch_voice(self._switch(a))

    def _switch(self, a: Agent) -> Switch:
        tenant = self.tenants[a.spec.tenant]
        return next(sw for sw in tenant.switches if sw.spec.name == a.spec.switch)

    def _mode_ends(self, a: Agent) -> None:
        """Book-keeping when the agent's work mode changes (after-call work completed)."""
        if a.mode == "acw":
            a.acw_time += whole_seconds(self.now) - whole_seconds(a.acw_since)
            a.acw_count += 1

    def _set_ready(self, a: Agent) -> None:
        first = a.mode == "notready" and a.reason == "Login"
        self._mode_ends(a)
        a.mode, a.reason = "ready", None
        a.idle_since = self.now
        self._t(
            a, "EventAgentReady", thisDN=a.spec.dn, agentID=a.spec.login_id, workMode="ManualIn"
        )
        tenant = self.tenants[a.spec.tenant]
        for ch in a.channels.values():
            if ch.logged and not ch.ready and not ch.leaving:
                ch.ready, ch.reason = True, None
                self._ch(a, ch, "EventReadyForMedia")
                self._dispatch_media(tenant.media[ch.media])
        if first:
            self._schedule_break(a)

    def _set_not_ready(self, a: Agent, reason: str, *, media: bool = True) -> None:
        self._mode_ends(a)
        a.mode, a.reason = "notready", reason
        self._t(
            a,
            "EventAgentNotReady",
            thisDN=a.spec.dn,
            agentID=a.spec.login_id,
            workMode="AuxWork",
            reasons={"ReasonCode": reason},
        )
        if media:
            self._media_not_ready(a, reason)

    def _media_not_ready(self, a: Agent, reason: str) -> None:
        for ch in a.channels.values():
            if ch.logged and ch.ready:
                ch.ready, ch.reason = False, reason
                self._ch(a, ch, "EventNotReadyForMedia", reasons={"ReasonCode": reason})

    def _schedule_break(self, a: Agent) -> None:
        a.break_token += 1
        self._at(
            self.rng.expovariate(1.0 / self.options.break_interval_mean),
            self._break_due,
            a,
            a.break_token,
        )

    def _break_due(self, a: Agent, token: int) -> None:
        if token != a.break_token or a.shift != "on":
            return
        if a.available:
            self._start_break(a)
        elif a.pending is None:
            a.pending = "break"

    def _start_break(self, a: Agent) -> None:
        breaks = self.options.breaks
        reasons = list(breaks)
        reason = self.rng.choices(reasons, weights=[breaks[r][0] for r in reasons])[0]
        _, lo, hi = breaks[reason]
        a.on_break = True
        self._set_not_ready(a, reason)
        self.counts[f"break:{reason}"] += 1
        self._agent_timer(a, self._uniform(lo, hi))

    def _shift_end(self, a: Agent, session: int) -> None:
        if session != a.session or a.shift != "on":
            return
        a.shift = "leaving"
        a.pending = "logout"
        self._media_not_ready(a, "EndOfShift")
        if a.voice and not a.legs and a.mode == "ready":
            self._logout(a)

    def _logout(self, a: Agent) -> None:
        self._t(
            a,
            "EventAgentLogout",
            thisDN=a.spec.dn,
            agentID=a.spec.login_id,
            thisQueue=a.spec.login_queue,
        )
        self._mode_ends(a)
        a.voice, a.mode, a.reason, a.pending, a.on_break = False, None, None, None, False
        a.token += 1
        a.break_token += 1
        a.shift = "leaving"
        self.counts["logout"] += 1
        self._media_not_ready(a, "EndOfShift")
        for ch in a.channels.values():
            if ch.logged:
                if ch.parties:
                    ch.leaving = True
                else:
                    self._logout_channel(a, ch)
        self._maybe_off(a)

    def _logout_channel(self, a: Agent, ch: Channel) -> None:
        self._ch(a, ch, "EventAgentLogout")
        ch.logged, ch.ready, ch.leaving, ch.reason = False, False, False, None

    def _maybe_off(self, a: Agent) -> None:
        if a.voice or any(ch.logged for ch in a.channels.values()) or a.shift == "off":
            return
        a.shift = "off"
        o = self.options
        self._at(self._uniform(o.off_min, o.off_max), self._login, a)
