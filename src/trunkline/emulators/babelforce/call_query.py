"""Selecting calls for the reporting endpoints and metrics: time windows by binary search over the
newest-first call list, then field filters. Also builds the condensed ``ReportingCall`` rows."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from starlette.datastructures import QueryParams

from .data import Dataset
from .listing import Entity, Filter, apply_filters, equals, flag
from .params import integer, time_bound

# Every spelling of the dateCreated window seen against the live API or in the seeds; each also
# with a ``filters.`` prefix. Start is inclusive, end exclusive.
START_NAMES = ("time.start", "dateCreated.start", "dateCreated.from", "startDate")
END_NAMES = ("time.end", "dateCreated.end", "dateCreated.to", "endDate")
REPORTING_METRICS = ("duration", "waitTime", "queueWaitTime", "bridgeTime", "talkTime", "holdTime", "wrapupTime",
                     "handleTime")


def _prefixed(names: Sequence[str]) -> list[str]:
    return [spelled for name in names for spelled in (name, f"filters.{name}")]


def _number(value: str) -> str:
    return value.strip().lstrip("+")


def _phone(field: str) -> Filter:
    """Phone numbers match with or without the leading ``+``."""
    return lambda call, wanted: _number(str(call.get(field, ""))) in {_number(value) for value in wanted}


def _bridged(key: str) -> Filter:
    return lambda call, wanted: call.get("bridged", {}).get(key) in wanted


def _search(call: Entity, wanted: list[str]) -> bool:
    texts = [str(call.get(key, "")).lower() for key in ("id", "from", "to", "sessionId", "conversationId")]
    texts.append(call.get("bridged", {}).get("name", "").lower())
    return any(value.lower() in text for value in wanted for text in texts)


CALL_FILTERS: dict[str, Filter] = {
    "id": equals("id"),
    "sessionId": equals("sessionId"),
    "conversationId": equals("conversationId"),
    "parentId": equals("parentId"),
    "type": equals("type"),
    "state": equals("state"),
    "domain": equals("domain"),
    "source": equals("source"),
    "finishReason": equals("finishReason"),
    "anonymous": flag("anonymous"),
    "from": _phone("from"),
    "fromNumber": _phone("from"),
    "to": _phone("to"),
    "toNumber": _phone("to"),
    "agentId": _bridged("id"),
    "queueId": _bridged("queueId"),
    "q": _search,
}


def window(data: Dataset, start: int | None, end: int | None) -> Sequence[Entity]:
    """The calls created in ``[start, end)`` (either bound optional), newest first, in O(log n)."""
    epochs = data.call_epochs
    low = 0 if end is None else bisect_right(epochs, -end, key=lambda epoch: -epoch)
    high = len(epochs) if start is None else bisect_right(epochs, -start, key=lambda epoch: -epoch)
    if low == 0 and high == len(epochs):
        return data.calls
    return data.calls[low:high]


def select_calls(data: Dataset, params: QueryParams) -> Sequence[Entity]:
    """The calls matching the request's time window and filters, newest first."""
    start = time_bound(params, _prefixed(START_NAMES), latest=True)
    end = time_bound(params, _prefixed(END_NAMES), latest=False)
    return apply_filters(window(data, start, end), params, CALL_FILTERS, prefixed=True)


def reporting_row(data: Dataset, call: Entity) -> Entity:
    """The condensed ``ReportingCall`` row of a call."""
    stats = data.call_stats[call["id"]]
    row: Entity = {
        "id": call["id"],
        "sessionId": call["sessionId"],
        "dateCreated": call["dateCreated"],
        "lastUpdated": call["lastUpdated"],
        "type": f"{call['type']}Call",
    }
    if stats.queue_id is not None:
        row["queueName"] = data.by_id["queues"][stats.queue_id]["name"]
    if "bridged" in call:
        row["agentName"] = call["bridged"]["name"]
    row.update(
        {
            "bridged": "bridged" in call,
            "duration": call["duration"],
            "waitTime": stats.wait,
            "queueWaitTime": stats.queue_wait,
            "bridgeTime": stats.bridge,
            "talkTime": stats.talk,
            "holdTime": stats.hold,
            "wrapupTime": stats.wrapup,
            "handleTime": stats.talk + stats.hold + stats.wrapup,
        }
    )
    return row


def _range(metric: str, upper: bool) -> Filter:
    name = f"{metric}.end" if upper else f"{metric}.start"

    def keep(row: Entity, wanted: list[str]) -> bool:
        bound = integer(name, wanted[-1], 0)
        return row[metric] <= bound if upper else row[metric] >= bound

    return keep


ROW_FILTERS: dict[str, Filter] = {
    "queueName": equals("queueName"),
    "agentName": equals("agentName"),
    "bridged": flag("bridged"),
    **{f"{metric}.start": _range(metric, upper=False) for metric in REPORTING_METRICS},
    **{f"{metric}.end": _range(metric, upper=True) for metric in REPORTING_METRICS},
}
