"""Prometheus metrics: messages handled per platform and command, handler latency, errors."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from eudesk.storage.models import Platform

OUTCOMES = frozenset({"ok", "user_error", "unavailable", "error"})
# Outcomes that mean the bot, not the user, failed: these count as errors.
FAILURES = frozenset({"unavailable", "error"})
# From a cached lookup (about 1 ms) to a slow report (seconds); beyond 5 s is "+Inf".
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
PLATFORMS = frozenset(p.value for p in Platform)


class Metrics:
    """The service's metrics in a registry of their own (tests make as many as they like)."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, commands: Iterable[str] = ()) -> None:
        # Label values are bounded: a command outside this set is counted as "none", so
        # whatever a user types cannot grow the number of time series.
        self.commands = frozenset(commands)
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # memory, CPU, open files (Linux)
        self.messages = Counter(
            "eudesk_messages",
            "Messages and button presses answered, by platform, command and outcome.",
            ["platform", "command", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "eudesk_handler_seconds",
            "Time from a message reaching the dispatcher to its reply, by platform.",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "eudesk_errors",
            "Messages whose handling failed (internal error or database unavailable).",
            ["platform"],
            registry=self.registry,
        )

    def observe(self, platform: str, command: str, outcome: str, seconds: float) -> None:
        """The Dispatcher's Observer: one answered message."""
        platform = platform if platform in PLATFORMS else "other"
        command = command if command in self.commands else "none"
        outcome = outcome if outcome in OUTCOMES else "error"
        self.messages.labels(platform, command, outcome).inc()
        self.latency.labels(platform).observe(seconds)
        if outcome in FAILURES:
            self.errors.labels(platform).inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric, for GET /metrics."""
        return generate_latest(self.registry)
