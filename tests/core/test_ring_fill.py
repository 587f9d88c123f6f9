"""``_fill`` (core/stats/windows.py) sets the ring slots of a run of Sliding steps with one
or two slice assignments: the same slots as setting ``ring[j % size]`` step by step."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from statserver.core.stats.windows import _fill


@given(size=st.integers(1, 70), lo=st.integers(0, 10_000), data=st.data())
def test_fill_sets_the_slots_of_the_steps(size: int, lo: int, data: st.DataObject) -> None:
    count = data.draw(st.integers(-2, size))
    ring: list[object] = list(range(size))
    expected = list(ring)
    for j in range(lo, lo + count):
        expected[j % size] = None
    _fill(ring, lo, lo + count, None)  # type: ignore[arg-type]
    assert ring == expected
    assert len(ring) == size


def test_a_run_that_wraps_around() -> None:
    """Steps 8..11 of a 5-slot ring: slots 3, 4 then 0, 1; slot 2 keeps its value."""
    ring: list[object] = ["a", "b", "c", "d", "e"]
    _fill(ring, 8, 12, None)  # type: ignore[arg-type]
    assert ring == [None, None, "c", None, None]
