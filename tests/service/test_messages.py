"""``Info`` events as they go on the wire: a subscription's encoded prefix joined to a body
that the pool encodes once for every subscriber of a statistic."""

from __future__ import annotations

import json

from statserver.protocol.messages import info_body, info_prefix


def test_an_info_event_reads_as_the_protocol_says() -> None:
    """The time is the whole second (12.5 at 1000.9 s reads ``"time":1000``); the interval
    start is there only for statistics that have one; a reference id keeps its JSON type."""
    wire = info_prefix(7) + info_body(12.5, 1000.9, 900)
    assert wire == (
        b'{"event":"Info","referenceId":7,"value":12.5,"time":1000,"intervalStart":900}'
    )
    current = info_prefix("wallboard-1") + info_body(
        {"status": "Ready", "agents": [1, 2]}, 5.0, None
    )
    assert json.loads(current) == {
        "event": "Info",
        "referenceId": "wallboard-1",
        "value": {"status": "Ready", "agents": [1, 2]},
        "time": 5,
    }


def test_one_body_serves_every_subscriber() -> None:
    """Two subscriptions of one statistic (referenceIds 1 and 70) get the same body."""
    body = info_body(3, 60.0, 0)
    assert [json.loads(info_prefix(ref) + body) for ref in (1, 70)] == [
        {"event": "Info", "referenceId": 1, "value": 3, "time": 60, "intervalStart": 0},
        {"event": "Info", "referenceId": 70, "value": 3, "time": 60, "intervalStart": 0},
    ]
