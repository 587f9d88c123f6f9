"""The engine's enums hash by identity (core/identity_enum.py): a member is still a key
that finds its entry after a pickle round trip, and no enum of the engine falls back to
``Enum.__hash__``, a Python function called from the compiled engine at every lookup."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
from enum import Enum

import statserver.core
from statserver.core.model import ObjectType
from statserver.core.stats.definition import Subject
from statserver.core.stats.profiles import ProfileKind


def _engine_enums() -> list[type[Enum]]:
    found: dict[str, type[Enum]] = {}
    for info in pkgutil.walk_packages(statserver.core.__path__, "statserver.core."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Enum)
                and value.__module__.startswith("statserver.core")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_engine_enum_hashes_by_identity() -> None:
    enums = _engine_enums()
    assert {ObjectType, Subject, ProfileKind} <= set(enums)
    slow = [e.__qualname__ for e in enums if e.__hash__ is not object.__hash__]
    assert not slow, (
        f"enums of the engine hashed by Enum.__hash__ (derive from IdentityEnum): {slow}"
    )


def test_members_are_keys_across_a_pickle_round_trip() -> None:
    table = {(t, f"id{i}", s): i for i, t in enumerate(ObjectType) for s in Subject}
    copy = pickle.loads(pickle.dumps(table))
    assert copy == table
    for key, value in table.items():
        assert copy[key] == value
    # the same members, so a restored engine's keys are found by its live members
    assert all(k[0] is ObjectType(k[0].value) and k[2] is Subject(k[2].value) for k in copy)
    for member in [*ObjectType, *Subject, *ProfileKind]:
        assert pickle.loads(pickle.dumps(member)) is member
        assert hash(member) == hash(pickle.loads(pickle.dumps(member)))


def test_equal_only_to_themselves() -> None:
    assert ObjectType.AGENT != ObjectType.PLACE
    assert ObjectType.AGENT != "Agent"
    assert len({*ObjectType, *ObjectType}) == len(ObjectType)
