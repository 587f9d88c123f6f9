"""Enums hashed by identity, in C.

Python's ``Enum.__hash__`` is a Python function (``hash(self._name_)``), called whenever a
member is a dictionary key or an item of a hashed tuple: a call of the interpreter from the
compiled engine at every lookup of a statistic's key (its object type), of a feed's nodes
(their subject), of a window's profile kind.  The members of an enum are singletons that are
equal only to themselves, so hashing them by identity keeps ``hash(a) == hash(b)`` whenever
``a == b``, and ``object.__hash__`` is a C slot.  No hash is stored: pickles hold members by
value and dictionaries are rebuilt as they load, and string hashes differ between processes
anyway, so nothing relied on the order of a set of members from one process to the next.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["IdentityEnum"]


class IdentityEnum(Enum):
    """An :class:`~enum.Enum` whose members hash by identity (see the module's text)."""

    __hash__ = object.__hash__
