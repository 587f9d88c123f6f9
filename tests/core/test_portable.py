"""The engine state pickles the same way interpreted and compiled (core/portable.py).

Run by scripts/test (interpreted) and scripts/test-compiled (compiled); the restore tests
also write a backup on one build and restore it on the other."""

from __future__ import annotations

import ast
import copyreg
import gc
import pickle
import sys
from pathlib import Path

import pytest

import statserver.core.engine  # noqa: F401 (imports every class of the engine state)
from helpers import Scenario
from statserver.core.items import EMPTY_ATTRS, Attrs, Item
from statserver.core.portable import COMPILED, Portable
from statserver.core.stats.statistic import Statistic
from statserver.core.stats.windows import Acc, StepAcc

ACC_SLOTS = {
    "atime", "carry", "cint", "ctime", "custom", "done", "entries",
    "max_d", "max_n", "min_d", "min_n", "ptime", "ranges", "seen",
}  # fmt: skip


def test_interpreted_base_adds_nothing() -> None:
    """Interpreted, construction and pickling stay CPython's own (no Python method); on
    either build, loading an item sets its attributes in C: no __setstate__."""
    assert not hasattr(Item, "__setstate__")
    if COMPILED:
        assert "__getstate__" in vars(Portable)
    else:
        assert not {"__getstate__", "__setstate__"} & set(vars(Portable))
        assert Acc.__new__ is object.__new__
    # no engine class defines __new__ (read from the sources, which the compiled build
    # ships too): the compiled engine builds them with mypyc's direct constructor then
    # (core/native_init.py)
    for cls in [Portable, *_portable_classes()]:
        node = _class_node(cls)
        assert not [
            f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__new__"
        ], f"{cls.__qualname__} defines __new__"


def _portable_classes() -> list[type]:
    found: list[type] = []
    todo = [Portable]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


def test_every_engine_class_is_built_by_interpreted_code_on_either_build() -> None:
    """Compiled, mypyc's ``tp_init`` of these classes does nothing: each module gives its
    classes an ``__init__`` that does (core/native_init.py).  A class missed there would
    build objects without attributes when interpreted code (a test, the service, pickle
    with arguments) makes one."""
    classes = _portable_classes()
    assert {Item, Acc, Statistic} <= set(classes)
    slot_wrapper = type(object.__init__)
    missed = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if isinstance(vars(cls).get("__init__"), slot_wrapper)
    ]
    assert not missed, f"call install_inits(globals()) at the end of their modules: {missed}"
    item = Item(7, "Ready", 1.5, 1, 2, attrs=EMPTY_ATTRS, origin="TS1")
    assert (item.id, item.name, item.start_exact, item.start, item.start_local) == (
        7, "Ready", 1.5, 1, 2,
    )  # fmt: skip
    assert (item.attrs, item.origin) == (EMPTY_ATTRS, "TS1")
    attrs = Attrs(conn_id="c1", media_type="chat", user_data={"k": "v"})
    assert (attrs.conn_id, attrs.media_type, dict(attrs.user_data)) == ("c1", "chat", {"k": "v"})
    assert attrs.replace(ani="100").ani == "100"  # Attrs(**values): through tp_init
    step = StepAcc(2, 1, 0)  # no __init__ of its own: Acc's
    assert (step.ranges, step.custom, step.seen) == ([0, 0], None, None)
    if COMPILED:  # the compiled __init__ checks its arguments' types
        with pytest.raises(TypeError):
            Item("not an id", "Ready", 1.5, 1, 2)
    with pytest.raises(TypeError):
        Attrs(no_such_attribute=1)


def test_state_is_that_of_a_slots_class_on_either_build() -> None:
    item = Item(7, "Ready", 1.5, 1, 1, EMPTY_ATTRS, "TS1")
    func, args, state, *_ = item.__reduce_ex__(5)
    assert func is copyreg.__newobj__
    assert args == (Item,)
    assert state[0] is None
    # every assigned attribute under its own name, as pickle gives an interpreted slots class
    assert set(state[1]) <= _attribute_names(Item)
    assert state[1]["name"] == "Ready"


def test_accumulators_windows_and_statistics_pickle_as_one_tuple() -> None:
    """The classes a snapshot holds millions of give pickle one tuple of their fields, on
    either build: no dictionary per object, no attribute set by name on loading."""
    acc = Acc(2, 1, 0)
    acc.done = 3
    func, args, state, *_ = acc.__reduce_ex__(5)
    assert func is copyreg.__newobj__
    assert args == (Acc,)
    assert isinstance(state, tuple)
    assert len(state) == len(ACC_SLOTS)
    assert (state[1], state[2], state[11]) == (2, 3, [0, 0])


def test_tuple_state_round_trips_every_attribute() -> None:
    """Every class with a tuple state (accumulators, windows, statistics), taken from an engine after
    traffic under every kind of time profile: its state has one entry per attribute, and a
    copy through pickle has every attribute set, equal where it is plain data."""
    sc = Scenario()
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    talk = {"Category": "TotalTime", "Subject": "DNAction", "MainMask": "CallInbound"}
    fast = {"Category": "TotalNumberInTimeRange", "Subject": "DNAction", "MainMask": "CallWait"}
    for profile in ("Default", "Hourly", "Last10Min", "Last3", "Login"):
        sc.open("Agent", "a1", inline=talk, time_profile=profile)
        if profile != "Login":  # agents and places only
            sc.open("Queue", "8000@SW1", inline=fast, time_profile=profile, time_range="SL20")
    sc.ev(5, "EventAgentReady", thisDN="7001")
    for i, t in enumerate((30, 300, 900, 4000)):
        conn = f"c{i}"
        sc.ev(t, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
        sc.ev(t + 5, "EventDiverted", thisDN="8000", connID=conn, otherDN="7001")
        sc.ev(t + 5, "EventRinging", thisDN="7001", connID=conn, callType="Inbound")
        sc.ev(t + 8, "EventEstablished", thisDN="7001", connID=conn, callType="Inbound")
        sc.ev(t + 60, "EventReleased", thisDN="7001", connID=conn)
    plain = (int, float, str, bool, type(None))
    seen: dict[str, int] = {}
    for obj in gc.get_objects():
        cls = type(obj)
        if not isinstance(obj, (Acc, Statistic)):
            continue
        names = _attribute_names(cls)
        state = obj.__getstate__()
        assert isinstance(state, tuple), cls
        assert len(state) == len(names), cls
        back = pickle.loads(pickle.dumps(obj, protocol=5))
        for name in names:
            mine, theirs = getattr(obj, name), getattr(back, name)
            if isinstance(mine, plain) or (
                isinstance(mine, list) and all(isinstance(v, plain) for v in mine)
            ):
                assert theirs == mine, f"{cls.__name__}.{name}"
            else:
                assert type(theirs) is type(mine), f"{cls.__name__}.{name}"
        seen[cls.__name__] = seen.get(cls.__name__, 0) + 1
    expected = {"Statistic", "GrowingWindow", "SlidingWindow", "SelectionWindow"}
    expected |= {"SinceLoginWindow", "StepAcc"}
    assert expected <= set(seen), seen


def test_round_trip() -> None:
    acc = Acc(1, 0, 0)
    acc.entries = 5
    back = pickle.loads(pickle.dumps(acc, protocol=5))
    assert type(back) is Acc
    assert (back.entries, back.carry, back.ranges) == (5, 1, None)
    item = Item(7, "Ready", 1.5, 1, 1, EMPTY_ATTRS, "TS1")
    again = pickle.loads(pickle.dumps(item, protocol=5))
    assert (again.id, again.name, again.start_exact, again.origin) == (7, "Ready", 1.5, "TS1")


def _class_node(cls: type) -> ast.ClassDef:
    """The definition of ``cls`` in its module's .py file, which a compiled build ships too."""
    module = sys.modules[cls.__module__]
    source = Path(module.__file__ or "").with_name(cls.__module__.rsplit(".", 1)[-1] + ".py")
    return next(
        n
        for n in ast.walk(ast.parse(source.read_text()))
        if isinstance(n, ast.ClassDef) and n.name == cls.__name__
    )


def _declared_slots(cls: type) -> set[str] | None:
    """The ``__slots__`` written in the source of ``cls`` and its bases (None: a class with
    a ``__dict__``), read from the .py files, which a compiled build ships too."""
    names: set[str] = set()
    for klass in cls.__mro__[:-1]:
        if klass is Portable:
            continue
        node = _class_node(klass)
        slots = [
            s.value
            for s in node.body
            if isinstance(s, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in s.targets)
        ]
        if not slots:
            return None
        value = slots[0]
        names |= set(
            getattr(sys.modules[klass.__module__], value.id)
            if isinstance(value, ast.Name)
            else ast.literal_eval(value)
        )
    return names


def _portable_classes() -> list[type]:
    found: list[type] = []
    todo = [Portable]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def test_every_snapshot_class_pickles_its_declared_slots_only() -> None:
    """A compiled class pickles every attribute mypyc gives it; a class-level constant
    written without ClassVar becomes one, and an interpreted server could not load it
    (found: Window.timed, StatusCarrier.HISTORY)."""
    classes = _portable_classes()
    assert len(classes) > 20
    checked = 0
    for cls in classes:
        declared = _declared_slots(cls)
        if declared is None:
            continue
        assert _attribute_names(cls) == declared, cls
        checked += 1
    assert checked > 20


def test_tuple_attributes_keep_their_object() -> None:
    """Every read of a tuple attribute gives the same object, on either build: mypyc keeps a
    fixed-length tuple attribute unboxed and builds a new tuple at each read, and a snapshot
    then holds a statistic's key twice (found: Statistic.key and Node.key)."""
    sc = Scenario()
    inline = {"Category": "TotalNumber", "Subject": "DNAction", "MainMask": "*"}
    sc.open("Tenant", "Resources", inline=inline)
    sc.open("Tenant", "Resources", inline=inline, time_profile="Hourly")
    checked: dict[str, int] = {}
    for obj in gc.get_objects():
        if not isinstance(obj, Portable):
            continue
        for name in _attribute_names(type(obj)):
            value = getattr(obj, name, None)
            if isinstance(value, tuple) and value:
                assert getattr(obj, name) is value, f"{type(obj).__name__}.{name}"
                checked[type(obj).__name__] = checked.get(type(obj).__name__, 0) + 1
    assert checked.get("Statistic", 0) >= 2
    assert checked.get("Node", 0) >= 1
    # and the pool's and the hub's dictionaries hold the statistic's and the node's own key,
    # not a second tuple (a fixed-length tuple type made compiled code box the key for each)
    pool = sc.engine.tenants["Resources"].statistics
    assert len(pool) == 2
    assert all(key is stat.key for key, stat in pool.items())
    nodes = sc.engine.tenants["Resources"].hub.nodes
    assert nodes
    assert all(key is node.key for key, node in nodes.items())


def _attribute_names(cls: type) -> set[str]:
    if COMPILED:
        return {a for a in getattr(cls, "__mypyc_attrs__") if not a.startswith("__")}  # noqa: B009
    return set(copyreg._slotnames(cls))  # type: ignore[attr-defined]
