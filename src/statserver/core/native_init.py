"""Building the compiled engine's objects from interpreted code (a mypyc 2.4 workaround).

mypyc builds an instance of a compiled class in one of two ways.  Compiled code calls the
class's C constructor: it allocates the object and runs the compiled ``__init__`` with C
arguments, nothing parsed.  Everything else (interpreted code, a call with ``*args`` or
``**kwargs``, pickle) goes through the type: ``tp_new``, then ``tp_init``.  For a
*serializable* class (every :class:`~statserver.core.portable.Portable` one: pickle needs a
``tp_new`` that does not run ``__init__``) mypyc 2.4 generates a ``tp_init`` that does
nothing unless the class defines ``__new__``, so an interpreted ``Item(...)`` would return
an object without attributes.  Until the twelfth session of 2026-11-27 ``Portable`` defined
``__new__`` for that reason, and that made mypyc's C constructor of every engine class take
a tuple and a dictionary of arguments that ``__new__`` and then ``__init__`` parsed, as an
interpreted call does: ~160 constructions per event (items, step accumulators, event
attributes), 8.6 % of the instructions at 100,000 statistics (bench/README.md).

So no engine class defines ``__new__``, and :func:`install_inits` gives each compiled one
an ``__init__`` that works for those other callers.  mypyc generates the function that
takes Python arguments (a tuple and a dictionary), checks them and runs the compiled
``__init__`` (``CPyPy_<module>___<class>_____init__``), and lists it in the type's method
table; but it lists it with the flags of a *fast* call, which it is not, so CPython keeps
the do-nothing slot instead.  :func:`install_inits` reads that entry of the method table
(``PyType_GetSlot(cls, Py_tp_methods)``), makes a method descriptor of the same function
with the flags it does take (``METH_VARARGS | METH_KEYWORDS``), and sets it as the class's
``__init__``: CPython's ``tp_init`` then calls it.  Subclasses without an ``__init__`` of
their own inherit it.  The compiled engine's own constructions never go through it.

Interpreted, the classes are ordinary Python classes and nothing is done.  The layout
checked is that of mypyc 2.4 (pinned in pyproject.toml): a class whose method table is not
as expected raises :class:`RuntimeError` at import instead of building empty objects, and
the test suite runs on the compiled build too (tests/core/test_portable.py builds every
engine class from interpreted code there).
"""

from __future__ import annotations

import ctypes
from typing import Any

from statserver.core.portable import Portable

__all__ = ["install_inits"]

_METH_VARARGS = 0x0001
_METH_KEYWORDS = 0x0002
_METH_FASTCALL = 0x0080
#: Include/typeslots.h
_PY_TP_METHODS = 64


class _MethodDef(ctypes.Structure):
    """``PyMethodDef``"""

    _fields_ = (
        ("ml_name", ctypes.c_char_p),
        ("ml_meth", ctypes.c_void_p),
        ("ml_flags", ctypes.c_int),
        ("ml_doc", ctypes.c_char_p),
    )


_get_slot = ctypes.pythonapi.PyType_GetSlot
_get_slot.restype = ctypes.c_void_p
_get_slot.argtypes = (ctypes.py_object, ctypes.c_int)
_new_method = ctypes.pythonapi.PyDescr_NewMethod
_new_method.restype = ctypes.py_object
_new_method.argtypes = (ctypes.py_object, ctypes.c_void_p)

#: the method definitions made here: each descriptor points to its own for good
_KEPT: list[_MethodDef] = []
_SLOT_WRAPPER = type(object.__init__)


def _init_entry(cls: type) -> _MethodDef | None:
    """The ``__init__`` entry of the class's own method table, if it has one."""
    table = _get_slot(cls, _PY_TP_METHODS)
    if not table:
        return None
    defs = ctypes.cast(table, ctypes.POINTER(_MethodDef))
    i = 0
    while defs[i].ml_name is not None:
        if defs[i].ml_name == b"__init__":
            entry: _MethodDef = defs[i]
            return entry
        i += 1
    return None


def _install(cls: type) -> None:
    own = cls.__dict__.get("__init__")
    if not isinstance(own, _SLOT_WRAPPER):
        return  # no __init__ of its own (inherits one), or already installed
    entry = _init_entry(cls)
    if entry is None or entry.ml_flags != _METH_FASTCALL | _METH_KEYWORDS:
        flags = None if entry is None else hex(entry.ml_flags)
        msg = (
            f"{cls.__module__}.{cls.__qualname__}: the compiled __init__ is not where mypyc "
            f"2.4 puts it (method table entry flags {flags}); rebuild with the mypy version "
            "pinned in pyproject.toml"
        )
        raise RuntimeError(msg)
    fixed = _MethodDef.from_buffer_copy(entry)  # the same name and C function
    fixed.ml_flags = _METH_VARARGS | _METH_KEYWORDS
    _KEPT.append(fixed)
    setattr(cls, "__init__", _new_method(cls, ctypes.addressof(fixed)))  # noqa: B010


def install_inits(namespace: dict[str, Any]) -> None:
    """Give every compiled class defined in a module (its ``globals()``) an ``__init__``
    that interpreted callers and ``*args`` calls reach (see the module's text).  Called at
    the end of each module that defines engine classes; interpreted, it does nothing."""
    name = namespace.get("__name__")
    for value in list(namespace.values()):
        if (
            isinstance(value, type)
            and issubclass(value, Portable)
            and value.__module__ == name
            and hasattr(value, "__mypyc_attrs__")
        ):
            _install(value)
