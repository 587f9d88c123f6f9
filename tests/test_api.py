"""docs/python-api.md: the documented way to embed the engine works as written.

The test runs every ```python block of the page, in order, in one namespace, from the
repository root, so the page and the code cannot drift apart: the values the page states
are asserted inside its own examples.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


def test_the_page_has_the_documented_steps():
    """The examples use every entry point the page's table lists."""
    code = "\n".join(blocks())
    for name in (
        "load_config(",
        "Engine(",
        "StatisticRequest(",
        ".feed(",
        ".open(",
        ".value(",
        ".advance(",
        ".watch_resets(",
        ".take_changes(",
    ):
        assert name in code, name


def test_the_examples_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """All python blocks run in order without error; their asserts check the values."""
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "python_api_doc"}
    for i, code in enumerate(blocks()):
        exec(compile(code, f"{DOC.name} block {i + 1}", "exec"), namespace)
    # the one bad line of examples/small/events.jsonl is reported as the page says
    assert capsys.readouterr().out == "line 12 skipped: bad-time\n"
    assert callable(namespace["serve"])


def test_the_live_loop_sketch_works():
    """The sketch at the end of the page does what it says with a fake notifier."""
    import json

    from statserver.config import load_config
    from statserver.core.engine import Engine, StatisticRequest
    from statserver.events import decode_event_obj, parse_time

    namespace: dict[str, object] = {}
    exec(blocks()[-1], namespace)
    serve = namespace["serve"]
    config = load_config(ROOT / "examples" / "small" / "config.yaml")
    engine = Engine(config.directory, config.catalog, config.engine_options, watch_all=True)
    lines = (ROOT / "examples" / "small" / "events.jsonl").read_text(encoding="utf-8")
    records = [decode_event_obj(json.loads(x)) for x in lines.splitlines()[:3]]
    waiting = engine.open(
        StatisticRequest("Resources", "Queue", "8000@SW1", "CallsWaiting"),
        at=parse_time(records[0].time),
    )
    sent: list[tuple[object, object]] = []
    serve(engine, records, lambda stat, value: sent.append((stat, value)))  # type: ignore[operator]
    assert (waiting, 1) in sent  # the third record queues a call
