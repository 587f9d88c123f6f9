"""The REST API fuzzed from its own OpenAPI document (schemathesis against the ASGI app).

Every documented operation is called with generated requests, valid and invalid; the
server must never answer 5xx, must answer only documented status codes and content types,
and its bodies must match the documented schemas.  Invalid requests must be refused (4xx).
The default run is short and derandomized; the ``slow`` run goes deeper.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from web.conftest import Served

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _app():
    served = Served()
    # events, so that objects have state and the pool holds statistics to peek at
    served.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    served.ev(1, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    session = served.session()
    obj = {"objectId": "8000@SW1", "objectType": "Queue"}
    served.send(
        session,
        {
            "request": "OpenStatistic",
            "referenceId": 1,
            "object": obj,
            "metric": {"statisticType": "CallsWaiting"},
        },
    )
    return served.app


schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _app())
HEALTH = list(HealthCheck)


@schema.parametrize()
@settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=HEALTH
)
def test_the_api_holds_to_its_document(case: schemathesis.Case):
    """No 5xx, documented statuses, content types and bodies; invalid input refused."""
    case.call_and_validate(checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=500, deadline=None, database=None, suppress_health_check=HEALTH)
def test_the_api_holds_to_its_document_deeply(case: schemathesis.Case):
    """The same with many more generated requests."""
    case.call_and_validate(checks=CHECKS)
