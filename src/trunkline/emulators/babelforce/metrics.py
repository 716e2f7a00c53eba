"""Metric definitions and their computation over the dataset.

Windowed metrics consider top-level calls (no ``parentId``) created in ``[start, end)``; "handled"
calls are finished calls bridged to an agent. Averages are rounded to 2 decimals and are 0 when
nothing matches. Agent metrics describe the agents' live state and ignore the time window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .call_query import window
from .data import Dataset
from .gen_context import CallStats
from .timeutil import TIME_RANGE_NAMES, iso

Entity = dict[str, Any]

WINDOW_FILTERS: tuple[Entity, ...] = (
    {"name": "from", "description": "Start of the time range, inclusive (alias startDate).", "type": "string",
     "format": "unix seconds or ISO-8601 date-time"},
    {"name": "to", "description": "End of the time range, exclusive (alias endDate).", "type": "string",
     "format": "unix seconds or ISO-8601 date-time"},
    {"name": "timeRange", "description": "A named time range, used when from/to are absent (default LAST_24_HOURS).",
     "type": "string", "enum": list(TIME_RANGE_NAMES)},
)  # fmt: skip
AGENT_FILTER: Entity = {"name": "agentId", "description": "Only count work of this agent.", "type": "string",
                        "format": "uuid"}  # fmt: skip
QUEUE_FILTER: Entity = {"name": "queueId", "description": "Only count calls that came through this queue.",
                        "type": "string", "format": "uuid"}  # fmt: skip
ENABLED_FILTER: Entity = {"name": "enabled", "description": "Only count enabled (true) or disabled (false) agents.",
                          "type": "boolean"}  # fmt: skip
CALL_FILTERS = (*WINDOW_FILTERS, AGENT_FILTER, QUEUE_FILTER)


@dataclass(frozen=True)
class MetricQuery:
    """A metric request's resolved filters."""

    start: int
    end: int
    range_name: str | None = None
    agent_id: str | None = None
    queue_id: str | None = None
    enabled: bool | None = None


Compute = Callable[[Dataset, MetricQuery], "int | float"]


@dataclass(frozen=True)
class Metric:
    """One metric id: what it means, which filters it takes and how to compute it."""

    id: str
    description: str
    value_type: str
    compute: Compute
    filters: tuple[Entity, ...] = CALL_FILTERS
    tags: tuple[str, ...] = field(default_factory=tuple)

    def definition(self) -> Entity:
        """The ``MetricDefinition`` published by ``/describe``."""
        return {"id": self.id, "description": self.description, "tags": list(self.tags),
                "filters": [dict(spec) for spec in self.filters]}  # fmt: skip


def _calls(data: Dataset, query: MetricQuery) -> list[tuple[Entity, CallStats]]:
    selected = []
    for call in window(data, query.start, query.end):
        if "parentId" in call:
            continue
        stats = data.call_stats[call["id"]]
        if query.agent_id is not None and stats.agent_id != query.agent_id:
            continue
        if query.queue_id is not None and stats.queue_id != query.queue_id:
            continue
        selected.append((call, stats))
    return selected


def _handled(data: Dataset, query: MetricQuery) -> list[CallStats]:
    return [stats for call, stats in _calls(data, query) if stats.agent_id is not None and "dateFinished" in call]


def _queued(data: Dataset, query: MetricQuery) -> list[tuple[Entity, CallStats]]:
    return [(call, stats) for call, stats in _calls(data, query) if stats.queue_id is not None]


def _abandoned(data: Dataset, query: MetricQuery) -> tuple[int, int]:
    """(abandoned, offered) finished inbound queue calls; abandoned = never bridged to an agent."""
    offered = [stats for call, stats in _queued(data, query) if call["type"] == "inbound" and "dateFinished" in call]
    return sum(1 for stats in offered if stats.agent_id is None), len(offered)


def _average(numbers: Iterable[float]) -> float:
    numbers = list(numbers)
    return round(sum(numbers) / len(numbers), 2) if numbers else 0.0


def _created_in(entities: Iterable[Entity], query: MetricQuery, agent_of: Callable[[Entity], Any]) -> list[Entity]:
    low, high = iso(query.start), iso(query.end)
    return [
        entity
        for entity in entities
        if low <= entity["dateCreated"] < high and (query.agent_id is None or agent_of(entity) == query.agent_id)
    ]


def _agents(data: Dataset, query: MetricQuery) -> list[Entity]:
    return [agent for agent in data.agents if query.enabled is None or agent["enabled"] is query.enabled]


def _in_state(state: str) -> Compute:
    def compute(data: Dataset, query: MetricQuery) -> int:
        agents = [agent for agent in data.agents if agent["enabled"] and agent["state"] == state]
        if state == "available":
            agents = [agent for agent in agents if agent["presence"]["available"]]
        return len(agents)

    return compute


def _recordings(data: Dataset, query: MetricQuery) -> list[Entity]:
    return _created_in(data.recordings, query, lambda recording: recording["agent"]["id"])


def _call_metrics() -> list[Metric]:
    def finished_durations(data: Dataset, query: MetricQuery) -> list[int]:
        return [call["duration"] for call, _ in _calls(data, query) if "dateFinished" in call]

    def handled(pick: Callable[[CallStats], int], average: bool) -> Compute:
        def compute(data: Dataset, query: MetricQuery) -> int | float:
            numbers = [pick(stats) for stats in _handled(data, query)]
            return _average(numbers) if average else sum(numbers)

        return compute

    def queue_waits(data: Dataset, query: MetricQuery) -> list[int]:
        return [stats.queue_wait for call, stats in _queued(data, query) if "dateFinished" in call]

    def abandon_rate(data: Dataset, query: MetricQuery) -> float:
        abandoned, offered = _abandoned(data, query)
        return round(100 * abandoned / offered, 2) if offered else 0.0

    handle_time: Callable[[CallStats], int] = lambda stats: stats.talk + stats.hold + stats.wrapup  # noqa: E731
    kinds = {
        "queues.talk-time": ("talk time", lambda stats: stats.talk),
        "queues.wrapup": ("wrap-up time", lambda stats: stats.wrapup),
        "queues.handle-time": ("handle time (talk + hold + wrap-up)", handle_time),
        "calls.hold": ("hold time", lambda stats: stats.hold),
    }
    metrics = [
        Metric("calls.total", "Number of calls created in the time range.", "integer",
               lambda data, query: len(_calls(data, query)), tags=("calls",)),
        Metric("calls.duration.avg", "Average duration in seconds of finished calls.", "float",
               lambda data, query: _average(finished_durations(data, query)), tags=("calls",)),
        Metric("calls.duration.total", "Total duration in seconds of finished calls.", "integer",
               lambda data, query: sum(finished_durations(data, query)), tags=("calls",)),
        Metric("queues.calls.total", "Number of calls that came through a queue.", "integer",
               lambda data, query: len(_queued(data, query)), tags=("queues",)),
        Metric("queues.wait-time.avg", "Average seconds finished queue calls waited in the queue.", "float",
               lambda data, query: _average(queue_waits(data, query)), tags=("queues",)),
        Metric("queues.wait-time.total", "Total seconds finished queue calls waited in the queue.", "integer",
               lambda data, query: sum(queue_waits(data, query)), tags=("queues",)),
        Metric("queues.bridge-time.total", "Total seconds agents' phones rang before answering.", "integer",
               handled(lambda stats: stats.bridge, average=False), tags=("queues",)),
        Metric("abandon.total", "Finished inbound queue calls that hung up before reaching an agent.", "integer",
               lambda data, query: _abandoned(data, query)[0], tags=("queues",)),
        Metric("abandon.value", "Abandoned share of finished inbound queue calls, in percent.", "float",
               abandon_rate, tags=("queues",)),
    ]  # fmt: skip
    for prefix, (label, pick) in kinds.items():
        metrics.append(Metric(f"{prefix}.avg", f"Average {label} in seconds of handled calls.", "float",
                              handled(pick, average=True), tags=(prefix.split(".")[0],)))  # fmt: skip
        metrics.append(Metric(f"{prefix}.total", f"Total {label} in seconds of handled calls.", "integer",
                              handled(pick, average=False), tags=(prefix.split(".")[0],)))  # fmt: skip
    return metrics


def _other_metrics() -> list[Metric]:
    agent_window = (*WINDOW_FILTERS, AGENT_FILTER)
    return [
        Metric("agents.total", "Number of agents.", "integer", lambda data, query: len(_agents(data, query)),
               filters=(ENABLED_FILTER,), tags=("agents",)),
        Metric("agents.not_available.total", "Enabled agents not available to take calls.", "integer",
               lambda data, query: sum(1 for a in data.agents if a["enabled"] and not a["available"]),
               filters=(), tags=("agents",)),
        *(
            Metric(f"agents.state.{name}.total", f"Enabled agents whose line status is {state}"
                   + (" and whose presence is available." if state == "available" else "."), "integer",
                   _in_state(state), filters=(), tags=("agents",))
            for name, state in (("available", "available"), ("in_call", "in-call"), ("wrap_up", "wrap-up"),
                                ("busy", "busy"), ("ringing", "ringing"), ("selected", "selected"),
                                ("originated", "originated"), ("declined", "declined"),
                                ("unreachable", "unreachable"))
        ),
        Metric("queues.total", "Number of queues.", "integer", lambda data, query: len(data.queues), filters=(),
               tags=("queues",)),
        Metric("conversations.total", "Conversations started in the time range.", "integer",
               lambda data, query: len(_created_in(data.conversations, query, lambda _: None)),
               filters=WINDOW_FILTERS, tags=("conversations",)),
        Metric("recordings.total", "Recordings made in the time range.", "integer",
               lambda data, query: len(_recordings(data, query)), filters=agent_window, tags=("recordings",)),
        Metric("recordings.duration.avg", "Average recording length in seconds.", "float",
               lambda data, query: _average(r["duration"] for r in _recordings(data, query)),
               filters=agent_window, tags=("recordings",)),
        Metric("recordings.duration.total", "Total recording length in seconds.", "integer",
               lambda data, query: sum(r["duration"] for r in _recordings(data, query)),
               filters=agent_window, tags=("recordings",)),
        Metric("sms.total", "SMS sent or received in the time range.", "integer",
               lambda data, query: len(_created_in(data.sms, query, lambda sms: sms.get("agentId"))),
               filters=agent_window, tags=("sms",)),
        Metric("zero.value", "Always 0 (for testing).", "integer", lambda data, query: 0, filters=(), tags=("test",)),
        Metric("one.value", "Always 1 (for testing).", "integer", lambda data, query: 1, filters=(), tags=("test",)),
    ]  # fmt: skip


METRICS: dict[str, Metric] = {metric.id: metric for metric in (*_call_metrics(), *_other_metrics())}

# The seed templates' spellings of two ids.
ALIASES = {"calls.duration/avg": "calls.duration.avg", "wrapup/avg": "queues.wrapup.avg"}
