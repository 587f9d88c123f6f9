"""The action vocabulary (core/vocabulary.py) against its documentation and the engine.

* docs/actions.md is generated from the vocabulary and must be up to date;
* every action name the event handlers can emit (the names passed to start / instant and
  their wrappers, found by reading the handlers' source) is in the vocabulary;
* an engine driven through every handler creates no item whose name is neither an action
  nor a status of the vocabulary.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from helpers import Scenario
from statserver.core import engine, ixn, status, tenant, tlib
from statserver.core.portable import COMPILED
from statserver.core.stats.definition import Subject, expand_mask
from statserver.core.tlib import agents, calls, common, links, queues
from statserver.core.vocabulary import ACTIONS, AGENT_SPT, ALIASES, STATUS_NAMES, VOICE_TO_MEDIA
from statserver.docsgen import actions_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "actions.md"
NAMES = frozenset(ACTIONS) | STATUS_NAMES


def test_actions_md_is_generated_from_the_vocabulary() -> None:
    """docs/actions.md equals what `statserver docs actions` generates."""
    assert DOCS.read_text(encoding="utf-8") == actions_markdown(), (
        "docs/actions.md is stale: run `statserver docs actions --write docs/actions.md`"
    )


def test_every_vocabulary_action_is_documented() -> None:
    """Each action, alias and status name appears in docs/actions.md."""
    text = DOCS.read_text(encoding="utf-8")
    missing = [n for n in (*ACTIONS, *ALIASES, *AGENT_SPT) if f"`{n}`" not in text]
    assert missing == []


# ---------------------------------------------------------------------------- static scan
#: function name -> position of the action-name argument (wrappers included)
EMITTERS = {
    "start": 2,
    "dn_start": 1,
    "_dn_raw_start": 1,
    "instant": 1,
    "dn_instant": 1,
    "reflect": 2,
    "_pseudo": 2,
    "queue_pseudo": 2,
    "set_mode": 2,
    "_end_party": 3,
    "_item": 0,
}

#: values the f-string placeholders of the handlers can take (the handlers restrict call
#: types to these, map Internal waits to Unknown, and media directions to three values)
CALL_TYPES = ("Inbound", "Outbound", "Internal", "Consult", "Unknown")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "call.call_type": CALL_TYPES,
    "wait_type": ("Inbound", "Outbound", "Consult", "Unknown"),
    "direction": ("Inbound", "Outbound", "Internal"),
    "name": tuple(f"Call{ct}" for ct in CALL_TYPES),  # f"{name}Started" in _establish
    "item.name": tuple(f"Call{ct}" for ct in CALL_TYPES),  # f"{item.name}Completed"
    "action": ("CallDialing", "CallRinging"),  # f"{action}Started" in _call_phase
    "side": ("Originated", "Received"),  # f"Call{call.call_type}{side}" in _call_phase
}
#: dynamic names that are checked another way
DYNAMIC = {"rec.event.removeprefix('Event')"}


#: receivers whose methods emit actions (the tenant engine under its usual names)
RECEIVERS = {"eng", "self", "tenant"}


class _Scan:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # name -> where
        self.unresolved: list[str] = []

    def scan_module(self, module: Any) -> None:
        tree = ast.parse(inspect.getsource(module))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._scan_function(module.__name__, fn)

    def _scan_function(self, mod: str, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        params = {a.arg for a in (*fn.args.args, *fn.args.kwonlyargs)}
        guards: dict[ast.AST, dict[str, frozenset[str]]] = {}
        self._collect_guards(fn, {}, guards)
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Attribute):
                if not (isinstance(f.value, ast.Name) and f.value.id in RECEIVERS):
                    continue
                callee = f.attr
            elif isinstance(f, ast.Name):
                callee = f.id
            else:
                continue
            if callee not in EMITTERS or len(node.args) <= EMITTERS[callee]:
                continue
            arg = node.args[EMITTERS[callee]]
            where = f"{mod}.{fn.name}:{node.lineno}"
            self._resolve(arg, fn, params, where, guards.get(node, {}))

    def _collect_guards(
        self,
        node: ast.AST,
        active: dict[str, frozenset[str]],
        out: dict[ast.AST, dict[str, frozenset[str]]],
    ) -> None:
        """Record, for each call, the ``if X in ("A", "B"):`` tests that guard it."""
        if isinstance(node, ast.Call):
            out[node] = active
        if isinstance(node, ast.If):
            narrowed = dict(active)
            test = node.test
            if (
                isinstance(test, ast.Compare)
                and len(test.ops) == 1
                and isinstance(test.ops[0], ast.In)
                and isinstance(test.comparators[0], (ast.Tuple, ast.List, ast.Set))
            ):
                values = [getattr(e, "value", None) for e in test.comparators[0].elts]
                narrowed[ast.unparse(test.left)] = frozenset(
                    v for v in values if isinstance(v, str)
                )
            for child in node.body:
                self._collect_guards(child, narrowed, out)
            for child in node.orelse:
                self._collect_guards(child, active, out)
            self._collect_guards(node.test, active, out)
            return
        for child in ast.iter_child_nodes(node):
            self._collect_guards(child, active, out)

    def _resolve(
        self,
        node: ast.AST,
        fn: ast.AST,
        params: set[str],
        where: str,
        guards: dict[str, frozenset[str]],
    ) -> None:
        def again(sub: ast.AST) -> None:
            self._resolve(sub, fn, params, where, guards)

        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                self.names.setdefault(node.value, where)
            # None: "no mode" in _set_mode
            return
        if isinstance(node, ast.JoinedStr):
            for name in _expand(node, guards):
                self.names.setdefault(name, where)
            return
        if isinstance(node, ast.IfExp):
            again(node.body)
            again(node.orelse)
            return
        if isinstance(node, ast.Dict):
            for v in node.values:
                again(v)
            return
        if isinstance(node, ast.Subscript):  # {...}[rec.event]
            again(node.value)
            return
        if isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                again(e)
            return
        is_get = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if is_get and node.func.attr == "get":  # {...}.get(rec.event)
            again(node.func.value)
            return
        if isinstance(node, ast.Name):
            if node.id in params:
                return  # a wrapper's parameter: resolved at the wrapper's call sites
            found = False
            for sub in ast.walk(fn):
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        if isinstance(target, ast.Name) and target.id == node.id:
                            found = True
                            again(sub.value)
                if isinstance(sub, ast.For) and isinstance(sub.target, ast.Tuple):
                    ids = [getattr(e, "id", None) for e in sub.target.elts]
                    if node.id in ids and isinstance(sub.iter, (ast.Tuple, ast.List)):
                        found = True
                        i = ids.index(node.id)
                        for row in sub.iter.elts:
                            if isinstance(row, (ast.Tuple, ast.List)):
                                again(row.elts[i])
            if found:
                return
        text = ast.unparse(node)
        if text not in DYNAMIC:
            self.unresolved.append(f"{where}: {text}")


def _expand(node: ast.JoinedStr, guards: dict[str, frozenset[str]]) -> list[str]:
    """Every string an f-string can produce, given the placeholder values above (narrowed
    by the ``if X in (...)`` tests that guard the call)."""
    out = [""]
    for part in node.values:
        if isinstance(part, ast.Constant):
            out = [o + str(part.value) for o in out]
        else:
            assert isinstance(part, ast.FormattedValue)
            key = ast.unparse(part.value)
            assert key in PLACEHOLDERS, f"unknown placeholder {key!r} in {ast.unparse(node)}"
            values = [v for v in PLACEHOLDERS[key] if key not in guards or v in guards[key]]
            out = [o + v for o in out for v in values]
    return out


#: these read or patch the interpreted source, which a compiled build does not run; the
#: interpreted test run (CI's) covers them
interpreted_only = pytest.mark.skipif(COMPILED, reason="reads or patches the interpreted source")


@pytest.fixture(scope="module")
def scan() -> _Scan:
    s = _Scan()
    for module in (agents, calls, common, links, queues, ixn, status, tenant, engine):
        s.scan_module(module)
    return s


@interpreted_only
def test_static_scan_resolves_every_emitted_name(scan: _Scan) -> None:
    """Every name argument of start/instant (and wrappers) is a literal, an f-string over
    known values, or a variable assigned from those: nothing escapes the check below."""
    assert scan.unresolved == []
    # sanity: the scan sees the families it should
    for name in ("CallRinging", "CallWaitUnknown", "Delivering", "Routable", "AgentReady"):
        assert name in scan.names, name


@interpreted_only
def test_every_name_the_handlers_emit_is_in_the_vocabulary(scan: _Scan) -> None:
    """Each action (or status) name found in the handlers is in the vocabulary."""
    unknown = {n: w for n, w in scan.names.items() if n not in NAMES}
    assert unknown == {}


@interpreted_only
def test_every_vocabulary_action_can_be_emitted(scan: _Scan) -> None:
    """No vocabulary entry is dead: each action is emitted somewhere (the tenant actions
    are named after their events, see below)."""
    emitted = set(scan.names) | {n for n in ACTIONS if n.startswith("ExternalService")}
    assert set(ACTIONS) - emitted == set()


def test_external_service_actions_follow_event_names() -> None:
    """The tenant actions are named after their events (EventX → X): both are known."""
    events = [
        e
        for e, h in ixn.IXN_HANDLERS.items()
        if h is ixn.IXN_HANDLERS["EventExternalServiceRequested"]
    ]
    assert sorted(e.removeprefix("Event") for e in events) == sorted(
        n for n in ACTIONS if n.startswith("ExternalService")
    )


@pytest.mark.parametrize("name", sorted(set(ACTIONS) - {"InputError"}))
def test_every_action_is_a_valid_mask(name: str) -> None:
    """Each action name is accepted in a DNAction mask and stands for itself."""
    assert name in expand_mask(name, Subject.DN_ACTION)


def test_aliases_and_media_names() -> None:
    """CallWait expands only in positive terms; voice names map to media-channel actions."""
    members = frozenset(ALIASES["CallWait"])
    assert expand_mask("CallWait", Subject.DN_ACTION) == members
    assert members <= expand_mask("*,~CallWait", Subject.DN_ACTION)
    assert all(m in ACTIONS for m in members)
    assert all(v in ACTIONS and m in ACTIONS for v, m in VOICE_TO_MEDIA.items())
    with_chat = expand_mask("CallInbound", Subject.DN_ACTION, frozenset({"chat"}))
    assert with_chat == {"CallInbound", "HandlingInbound"}


# ---------------------------------------------------------------------------- dynamic check
def _drive_every_handler(sc: Scenario) -> set[str]:
    """Feed at least one event to every T-Server and Interaction Server handler."""
    fed: set[str] = set()
    t = 0

    def tev(event: str, **attrs: Any) -> None:
        nonlocal t
        t += 1
        sc.ev(t, event, **attrs)
        fed.add(event)

    def iev(event: str, **attrs: Any) -> None:
        nonlocal t
        t += 1
        sc.ev(t, event, source="IXN1", **attrs)
        fed.add("ixn:" + event)

    tev("EventRegistered", thisDN="7003", extensions={"agentID": "5003", "workMode": "AutoIn"})
    tev("EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    tev("EventAgentLogin", thisDN="7002", agentID="5002", thisQueue="8000")
    tev("EventAgentReady", thisDN="7001")
    tev("EventAgentReady", thisDN="7002")
    tev("EventOffHook", thisDN="7001")
    tev("EventOnHook", thisDN="7001")
    tev("EventDNDOn", thisDN="7003")
    tev("EventDNDOff", thisDN="7003")
    tev("EventUserEvent", thisDN="7001")
    tev("EventRouteRequest", thisDN="9000", connID="c1", callType="Inbound")
    tev("EventTreatmentApplied", thisDN="9000", connID="c1")
    tev("EventTreatmentEnd", thisDN="9000", connID="c1")
    tev("EventTreatmentNotApplied", thisDN="9000", connID="c1")
    tev("EventRouteUsed", thisDN="9000", connID="c1", otherDN="8000")
    tev("EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    tev("EventAttachedDataChanged", thisDN="8000", connID="c1", userData={"a": 1})
    tev("EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    tev("EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    tev("EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    tev("EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    tev("EventHeld", thisDN="7001", connID="c1")
    tev("EventDialing", thisDN="7001", connID="c2", callType="Consult")
    tev("EventRinging", thisDN="7002", connID="c2", callType="Consult")
    tev("EventEstablished", thisDN="7002", connID="c2", callType="Consult")
    tev("EventEstablished", thisDN="7001", connID="c2", callType="Consult")
    tev("EventPartyAdded", thisDN="7001", connID="c2", thisDNRole="AddedBy")
    tev("EventPartyAdded", thisDN="7002", connID="c2", thisDNRole="NewParty")
    tev("EventPartyDeleted", thisDN="7001", connID="c2")
    tev("EventPartyChanged", thisDN="7002", connID="c1", previousConnID="c2", callType="Inbound")
    tev("EventReleased", thisDN="7001", connID="c2")
    tev("EventRetrieved", thisDN="7001", connID="c1")
    tev("EventReleased", thisDN="7001", connID="c1", thisDNRole="TransferredBy")
    tev("EventReleased", thisDN="7002", connID="c1")
    tev("EventRinging", thisDN="7001", connID="c3", callType="Outbound")
    tev("EventAbandoned", thisDN="7001", connID="c3")
    tev("EventQueued", thisDN="8001", connID="c4", callType="Internal")
    tev("EventAbandoned", thisDN="8001", connID="c4")
    tev("EventQueued", thisDN="8001", connID="c5", callType="Outbound")
    tev("EventReleased", thisDN="8001", connID="c5")
    tev("EventAgentReady", thisDN="7001")
    tev("EventAgentLogout", thisDN="7002")
    tev("EventLinkDisconnected")
    tev("EventLinkConnected")
    media = {"agentID": "a1", "mediaType": "chat"}
    iev("EventAgentLogin", **media)
    iev("EventMediaAdded", agentID="a1", mediaType="email")
    iev("EventReadyForMedia", **media)
    iev("EventDoNotDisturbOn", **media)
    iev("EventDoNotDisturbOff", **media)
    iev("EventDNDOn", **media)
    iev("EventDNDOff", **media)
    iev("EventPlacedInQueue", interactionID="i1", queue="Q", mediaType="chat")
    iev("EventPlacedInQueue", interactionID="i1", queue="Q2", oldQueue="Q", mediaType="chat")
    iev("EventPropertiesChanged", interactionID="i1", userData={"b": 2})
    iev("EventTakenFromQueue", interactionID="i1", queue="Q2", partyType="Agent")
    iev("EventAgentInvited", interactionID="i1", **media)
    iev("EventPartyAdded", interactionID="i1", **media)
    iev("EventPartyRemoved", interactionID="i1", partyType="TransferredBy", **media)
    iev("EventAgentInvited", interactionID="i2", **media)
    iev("EventRejected", interactionID="i2", **media)
    iev("EventAgentInvited", interactionID="i3", **media)
    iev("EventRevoked", interactionID="i3", **media)
    iev("EventPartyAdded", interactionID="i4", interactionType="Outbound", **media)
    iev("EventProcessingStopped", interactionID="i4", queue="Q")
    iev("EventExternalServiceRequested", interactionID="i4")
    iev("EventExternalServiceResponded", interactionID="i4")
    iev("EventNotReadyForMedia", **media)
    iev("EventMediaRemoved", agentID="a1", mediaType="email")
    iev("EventAgentLogout", agentID="a1")
    return fed


@interpreted_only
def test_engine_creates_only_vocabulary_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Driven through every handler, the engine creates no action or status item whose name
    is outside the vocabulary (every item goes through TenantEngine._item)."""
    created: set[str] = set()
    original = tenant.TenantEngine._item

    def recording(self: tenant.TenantEngine, name: str, *args: Any, **kw: Any) -> Any:
        created.add(name)
        return original(self, name, *args, **kw)

    monkeypatch.setattr(tenant.TenantEngine, "_item", recording)
    sc = Scenario()
    # something listening everywhere, so that instantaneous actions are created too
    for otype, oid in (("Tenant", "Resources"), ("StagingArea", "Q"), ("StagingArea", "Q2")):
        sc.open(
            otype, oid, inline={"Category": "TotalNumber", "Subject": "DNAction", "MainMask": "*"}
        )
    fed = _drive_every_handler(sc)
    handlers = set(tlib.TLIB_HANDLERS) | {"EventLinkConnected", "EventLinkDisconnected"}
    handlers |= {"ixn:" + e for e in ixn.IXN_HANDLERS}
    assert handlers - fed == set(), "the scenario misses handlers"
    assert sc.engine.counters.rejected == {}
    assert created - NAMES == set()
    # and it did emit a broad part of the vocabulary
    assert len(created & set(ACTIONS)) >= 70
