"""One snapshot format for the interpreted and the compiled engine.

The engine's hot modules can be compiled with mypyc (``scripts/build-compiled``, see
docs/operations.md).  A compiled class is a C type without the ``__slots__`` machinery pickle
uses for interpreted classes, so by itself it would pickle differently and could not load a
snapshot the interpreted server wrote (nor the reverse).  Every class of the engine state
derives from :class:`Portable`, which gives a compiled class the pickle state of an
interpreted ``__slots__`` class, ``(None, {attribute: value})``.  Pickle loads that state
into either kind of class by setting each attribute, in C.  The engine and its tenants,
which have a ``__dict__`` when interpreted, take either state through
:func:`set_dict_state`.

The classes a snapshot holds millions of (accumulators, windows, statistics) define their
own ``__getstate__``/``__setstate__`` instead, in the class, for both builds: one tuple of
their fields in a fixed order.  That costs a method call per object, but pickle then builds
no dictionary per object and sets no attribute by name: 400,000 windows load 2.5 times
faster interpreted, and the snapshot is 40 % smaller (measured in the sixth session of
2026-11-26, bench/README.md).

A key the engine keeps both in a dictionary and on an object (a statistic's, a feed
node's) is typed ``tuple[Any, ...]``: mypyc keeps a fixed-length tuple type unboxed and
builds a new tuple object each time one is stored or read, so each would hold its own copy
and a snapshot would carry both (measured: two tuples more per statistic, a 4 % larger
pickle).

No engine class defines ``__new__``, so that mypyc builds them with its direct C
constructor; each module that defines them ends with
:func:`~statserver.core.native_init.install_inits`, which gives the compiled classes an
``__init__`` that interpreted code reaches too (a mypyc 2.4 workaround, see that module).

Interpreted, :class:`Portable` is an empty class (see the end of the module), so that
construction and pickle keep CPython's own C implementation, which a Python method per
object would slow down by seconds for a million statistics.  The dataclasses of compiled
modules that a snapshot holds stay Python classes (``mypyc_attr(native_class=False)``).
"""

from __future__ import annotations

from types import FunctionType
from typing import Any

from mypy_extensions import mypyc_attr

__all__ = ["COMPILED", "ENGINE_BUILD", "Portable", "set_dict_state"]

_UNSET: Any = object()
_DOC = "Base of the classes whose instances are part of a snapshot (see the module)."


@mypyc_attr(serializable=True)
class Portable:
    __doc__ = _DOC

    __slots__ = ()

    def __getstate__(self) -> Any:
        state: dict[str, Any] = {}
        for name in getattr(type(self), "__mypyc_attrs__"):  # noqa: B009 (compiled only)
            if name.startswith("__"):
                continue
            value = getattr(self, name, _UNSET)
            if value is not _UNSET:  # an unassigned slot is left out, as pickle does
                state[name] = value
        return None, state


def set_dict_state(obj: object, state: Any, dropped: tuple[str, ...] = ()) -> None:
    """``__setstate__`` of a class with a ``__dict__`` when interpreted (the engine and its
    tenants: one object each per snapshot, so a Python call costs nothing): it takes the
    ``__dict__`` an interpreted server pickled, which pickle could not put into a compiled
    object, and the ``(None, {attribute: value})`` of a compiled one.  Attributes named in
    ``dropped`` (those an older backup format had and this version no longer has) are left
    out: a compiled object could not take them."""
    attrs: dict[str, Any] = state[1] if isinstance(state, tuple) else state
    for name, value in attrs.items():
        if name not in dropped:
            setattr(obj, name, value)


#: True when this module runs compiled (its methods are C functions then)
COMPILED: bool = not isinstance(Portable.__getstate__, FunctionType)

#: how this engine runs, as ``statserver --version`` and /api/v1/health say it
ENGINE_BUILD: str = "engine compiled with mypyc" if COMPILED else "engine interpreted"

if not COMPILED:
    # Interpreted, the base is an empty class (removing the methods would not do: CPython
    # keeps a class's Python __new__ slot after the method is deleted).
    globals()["Portable"] = type(
        "Portable", (), {"__slots__": (), "__doc__": _DOC, "__module__": __name__}
    )
