"""Structured logs: --log-format json writes one JSON object per line."""

from __future__ import annotations

import json
import logging

from statserver.logs import JsonFormatter


def test_json_lines_carry_time_level_logger_message_and_extras() -> None:
    """Each record is one JSON object with the standard fields plus the ``extra`` ones."""
    record = logging.LogRecord(
        "statserver.sources",
        logging.WARNING,
        "x.py",
        1,
        "source %s: link down (%s)",
        ("TS1", "closed"),
        None,
    )
    record.source = "TS1"  # an ``extra`` field
    line = JsonFormatter().format(record)
    obj = json.loads(line)
    assert obj["level"] == "warning"
    assert obj["logger"] == "statserver.sources"
    assert obj["message"] == "source TS1: link down (closed)"
    assert obj["source"] == "TS1"
    assert obj["time"].endswith("+00:00")
    assert "\n" not in line


def test_exceptions_are_one_field() -> None:
    """A logged exception goes into ``exception``, still on one line."""
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "statserver", logging.ERROR, "x.py", 1, "failed", (), sys.exc_info()
        )
    obj = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in obj["exception"]
