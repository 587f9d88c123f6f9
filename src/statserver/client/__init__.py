"""Python client of Stat Server's client protocol (docs/protocol.md).

* :class:`AsyncStatClient` — asyncio; ``async with``, ``async for value in subscription``;
  reconnects by itself and opens its statistics again.
* :class:`StatClient` — the same, blocking (a background thread runs the event loop).

::

    from statserver.client import AsyncStatClient

    async with AsyncStatClient("ws://127.0.0.1:7100/ws", client_name="wallboard") as client:
        sub = await client.open_statistic(
            object={"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"},
            metric={"statisticType": "CallsWaiting"},
            notification={"mode": "Changes"},
        )
        async for value in sub:
            print(value)
"""

from statserver.client.aio import AsyncStatClient, Subscription
from statserver.client.blocking import StatClient
from statserver.client.model import (
    Notification,
    StatisticMetric,
    StatisticMetricEx,
    StatisticObject,
    StatServerConnectionError,
    StatServerRequestError,
    SubscriptionClosed,
)
from statserver.errors import ErrorCode

__all__ = [
    "AsyncStatClient",
    "ErrorCode",
    "Notification",
    "StatClient",
    "StatServerConnectionError",
    "StatServerRequestError",
    "StatisticMetric",
    "StatisticMetricEx",
    "StatisticObject",
    "Subscription",
    "SubscriptionClosed",
]
