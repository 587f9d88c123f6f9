"""Prometheus metrics of one server (a registry of its own, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.events = Counter(
            "statserver_events_received_total",
            "Events received, by source",
            ["source"],
            registry=r,
        )
        self.rejected = Counter(
            "statserver_events_rejected_total",
            "Events rejected, by reason",
            ["reason"],
            registry=r,
        )
        self.link_up = Gauge(
            "statserver_link_up", "1 when the source's link is connected", ["source"], registry=r
        )
        self.link_lag = Gauge(
            "statserver_link_lag_seconds",
            "Receipt time minus the event's own time, for the last event of each source",
            ["source"],
            registry=r,
        )
        self.statistics = Gauge("statserver_open_statistics", "Statistics in the pool", registry=r)
        self.subscriptions = Gauge(
            "statserver_subscriptions", "Client subscriptions (open referenceIds)", registry=r
        )
        self.clients = Gauge("statserver_clients", "Connected clients", registry=r)
        self.input_queue = Gauge(
            "statserver_input_queue_depth", "Events waiting for the engine", registry=r
        )
        self.output_queue = Gauge(
            "statserver_output_queue_max_depth",
            "Deepest client output queue (messages)",
            registry=r,
        )
        self.pushes = Counter(
            "statserver_pushes_total", "Statistic values pushed to clients", registry=r
        )
        self.disconnects = Counter(
            "statserver_client_disconnects_total",
            "Clients cut off by the server, by reason",
            ["reason"],
            registry=r,
        )
        self.backups = Counter(
            "statserver_backups_total", "Snapshots written, by outcome", ["outcome"], registry=r
        )
        self.loop_lag = Histogram(
            "statserver_event_loop_lag_seconds",
            "How late the event loop woke a task that asked to sleep (a stall holds every "
            "event and every push back)",
            buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        self.journal = Counter(
            "statserver_journal_entries_total", "Inputs written to the journal", registry=r
        )
        self.journal_waiting = Gauge(
            "statserver_journal_waiting_entries",
            "Journal entries not committed yet (a few at most; more while the backup "
            "storage cannot be written and the writer retries)",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
