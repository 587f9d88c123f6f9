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

import statserver.core.engine  # noqa: F401 (imports every class of the engine state)
from helpers import Scenario
from statserver.core.items import EMPTY_ATTRS, Item
from statserver.core.portable import COMPILED, Portable
from statserver.core.stats.windows import Acc

ACC_SLOTS = {
    "atime", "carry", "cint", "ctime", "custom", "done", "entries",
    "max_d", "max_n", "min_d", "min_n", "ptime", "ranges", "seen",
}  # fmt: skip


def test_interpreted_base_adds_nothing() -> None:
    """Interpreted, construction and pickling stay CPython's own (no Python method); on
    either build, loading sets the attributes in C: no __setstate__ on the hot classes."""
    assert not hasattr(Acc, "__setstate__")
    assert not hasattr(Item, "__setstate__")
    if COMPILED:
        assert {"__new__", "__getstate__"} <= set(vars(Portable))
    else:
        assert not {"__new__", "__getstate__", "__setstate__"} & set(vars(Portable))
        assert Acc.__new__ is object.__new__


def test_state_is_that_of_a_slots_class_on_either_build() -> None:
    acc = Acc(2, 1, 0)
    acc.done = 3
    func, args, state, *_ = acc.__reduce_ex__(5)
    assert func is copyreg.__newobj__
    assert args == (Acc,)
    assert state[0] is None
    # every assigned attribute under its own name, as pickle gives an interpreted slots class
    assert set(state[1]) <= ACC_SLOTS
    assert state[1]["done"] == 3
    assert state[1]["carry"] == 2
    assert state[1]["ranges"] == [0, 0]


def test_round_trip() -> None:
    acc = Acc(1, 0, 0)
    acc.entries = 5
    back = pickle.loads(pickle.dumps(acc, protocol=5))
    assert type(back) is Acc
    assert (back.entries, back.carry, back.ranges) == (5, 1, None)
    item = Item(7, "Ready", 1.5, 1, 1, EMPTY_ATTRS, "TS1")
    again = pickle.loads(pickle.dumps(item, protocol=5))
    assert (again.id, again.name, again.start_exact, again.origin) == (7, "Ready", 1.5, "TS1")


def _declared_slots(cls: type) -> set[str] | None:
    """The ``__slots__`` written in the source of ``cls`` and its bases (None: a class with
    a ``__dict__``), read from the .py files, which a compiled build ships too."""
    names: set[str] = set()
    for klass in cls.__mro__[:-1]:
        if klass is Portable:
            continue
        module = sys.modules[klass.__module__]
        source = Path(module.__file__ or "")
        tree = ast.parse(source.with_name(klass.__module__.rsplit(".", 1)[-1] + ".py").read_text())
        node = next(
            n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == klass.__name__
        )
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
            getattr(module, value.id) if isinstance(value, ast.Name) else ast.literal_eval(value)
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
