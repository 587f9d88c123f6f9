"""``statserver replay``: the whole engine over a recorded event file (contracts.md §4).

The clock is driven by the events' own ``time``.  Each query line is an ``OpenStatistic`` or
``OpenStatisticEx`` request plus ``"at": [t1, t2, ...]`` (and optionally ``"openAt"``).

Timing rules: a statistic is opened at ``openAt`` (default: the first event's time) before
the events of that time are applied; a value "at t" is read after every event with a time
up to and including ``t`` has been applied.  Output lines come in query order, then time
order, with ``at`` echoed as given.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import msgspec

from statserver.config.load import LoadedConfig
from statserver.core.engine import Engine
from statserver.errors import ErrorCode, EventRejected, RequestError
from statserver.events.record import EventRecord, decode_event, parse_time
from statserver.protocol.requests import Metric, StatObject, statistic_request

__all__ = ["Query", "ReplayReport", "parse_queries", "replay"]


class _QueryLine(msgspec.Struct, rename="camel"):
    request: str
    reference_id: Any = None
    object: StatObject | None = None
    metric: Metric | None = None
    at: list[str | int | float] = msgspec.field(default_factory=list)
    open_at: str | int | float | None = None


@dataclass
class Query:
    index: int
    reference_id: Any
    line: _QueryLine | None
    error: tuple[str, str] | None = None
    times: list[tuple[float, int]] = field(default_factory=list)  # (time, position in at)
    open_at: float | None = None
    results: dict[int, Any] = field(default_factory=dict)


@dataclass
class ReplayReport:
    events: int = 0
    applied: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    clock_went_back: int = 0
    #: applied events with something odd about them (unknown agent, unknown call, ...)
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        text = f"replay: {self.events} events, {self.applied} applied"
        if self.skipped:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(self.skipped.items()))
            text += f", {self.skipped_total} skipped ({detail})"
        if self.clock_went_back:
            text += f", {self.clock_went_back} with a time before the previous event"
        if self.warnings:
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(self.warnings.items()))
            text += f"; warnings: {detail}"
        return text


_line_decoder = msgspec.json.Decoder(_QueryLine)


def parse_queries(lines: Iterable[str]) -> list[Query]:
    queries: list[Query] = []
    for raw in lines:
        if not raw.strip():
            continue
        index = len(queries)
        try:
            line = _line_decoder.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            ref = _guess_reference(raw)
            queries.append(
                Query(index, ref, None, (ErrorCode.MALFORMED_REQUEST, f"query line: {exc}"))
            )
            continue
        query = Query(index, line.reference_id, line)
        if line.request not in ("OpenStatistic", "OpenStatisticEx"):
            query.error = (
                ErrorCode.UNKNOWN_REQUEST,
                f"request {line.request!r}; a replay query is OpenStatistic or OpenStatisticEx",
            )
        try:
            query.times = sorted((parse_time(a), i) for i, a in enumerate(line.at))
            if line.open_at is not None:
                query.open_at = parse_time(line.open_at)
        except ValueError as exc:
            query.error = (ErrorCode.INVALID_TIME, str(exc))
        queries.append(query)
    return queries


def _guess_reference(raw: str) -> Any:
    try:
        obj = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    return obj.get("referenceId") if isinstance(obj, dict) else None


def _events(
    lines: Iterable[bytes | str], report: ReplayReport
) -> Iterator[tuple[EventRecord, float]]:
    for raw in lines:
        if not raw.strip():
            continue
        report.events += 1
        try:
            record = decode_event(raw)
        except EventRejected as exc:
            report.skipped[exc.reason] = report.skipped.get(exc.reason, 0) + 1
            continue
        yield record, parse_time(record.time)


def replay(
    config: LoadedConfig,
    events: Iterable[bytes | str],
    queries: list[Query],
    out: IO[str],
) -> ReplayReport:
    engine = Engine(config.directory, config.catalog, config.engine_options)
    tenants = list(config.directory.tenants)
    default_tenant = tenants[0] if len(tenants) == 1 else None
    report = ReplayReport()
    # schedule: (time, order, kind, query); kind 0 = open (before events at that time),
    # kind 1 = read (after events up to that time)
    opens: list[tuple[float, int, Query]] = []
    reads: list[tuple[float, int, int, Query]] = []
    stats: dict[int, Any] = {}
    first_time: float | None = None
    pending_default_open: list[Query] = []
    for q in queries:
        if q.error is not None:
            continue
        if q.open_at is not None:
            heapq.heappush(opens, (q.open_at, q.index, q))
        else:
            pending_default_open.append(q)
        for t, pos in q.times:
            heapq.heappush(reads, (t, q.index, pos, q))

    def do_open(q: Query, t: float | None) -> None:
        assert q.line is not None
        if q.line.object is None or q.line.metric is None:
            q.error = (ErrorCode.MALFORMED_REQUEST, "a query needs object and metric")
            return
        try:
            req = statistic_request(
                q.line.object,
                q.line.metric,
                default_tenant=default_tenant,
                inline=q.line.request == "OpenStatisticEx",
            )
            stats[q.index] = engine.open(req, at=t, private=True)
        except RequestError as exc:
            q.error = (exc.code, exc.message)

    def do_reads(until: float, inclusive: bool) -> None:
        while reads and (reads[0][0] < until or (inclusive and reads[0][0] <= until)):
            t, _, pos, q = heapq.heappop(reads)
            if q.error is not None:
                continue
            stat = stats.get(q.index)
            if stat is None:
                if q.open_at is not None and t < q.open_at:
                    q.results[pos] = None  # read before the statistic exists
                    continue
                do_open(q, t)
                stat = stats.get(q.index)
                if stat is None:
                    continue
            q.results[pos] = engine.value(stat, t)

    for record, t in _events(events, report):
        if first_time is None:
            first_time = t
            for q in pending_default_open:
                do_open(q, t)
        while opens and opens[0][0] <= t:
            ot, _, q = heapq.heappop(opens)
            do_reads(ot, inclusive=False)
            do_open(q, ot)
        do_reads(t, inclusive=False)
        if engine.feed(record):
            report.applied += 1
    for q in pending_default_open:
        if q.index not in stats and q.error is None:
            start = first_time if first_time is not None else (q.times[0][0] if q.times else None)
            do_open(q, start)
    while opens:
        ot, _, q = heapq.heappop(opens)
        do_reads(ot, inclusive=False)
        do_open(q, ot)
    do_reads(float("inf"), inclusive=True)
    for reason, count in engine.counters.rejected.items():
        report.skipped[reason] = report.skipped.get(reason, 0) + count
    report.clock_went_back = engine.counters.clock_went_back
    report.warnings = dict(engine.counters.warnings)
    encoder = msgspec.json.Encoder()
    for q in queries:
        if q.error is not None:
            code, message = q.error
            out.write(
                encoder.encode(
                    {"referenceId": q.reference_id, "error": {"code": code, "message": message}}
                ).decode()
                + "\n"
            )
            continue
        assert q.line is not None
        for _t, pos in q.times:
            value = q.results.get(pos)
            out.write(
                encoder.encode(
                    {"referenceId": q.reference_id, "at": q.line.at[pos], "value": value}
                ).decode()
                + "\n"
            )
    return report
