"""The REST API (docs/rest-api.md): objects, definitions, statistic values and errors.

Expected values are worked out by hand from the configuration in conftest.py and the
events each test feeds (times in seconds after T0).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from helpers import T0
from statserver.core.portable import COMPILED
from statserver.service.rest import routes
from web.conftest import Served

pytestmark = pytest.mark.asyncio

Q = {"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"}
WAITING = {"statisticType": "CallsWaiting"}
OLDEST_INLINE = {"category": "CurrentMaxTime", "subject": "DNAction", "mainMask": "CallWait"}


def queue_two_calls(served: Served) -> None:
    served.ev(10, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    served.ev(30, "EventQueued", thisDN="8000", connID="c2", callType="Inbound")


async def get(
    api: httpx.AsyncClient, obj: dict[str, Any], metric: dict[str, Any]
) -> httpx.Response:
    return await api.post("/api/v1/statistics/get", json={"object": obj, "metric": metric})


# ------------------------------------------------------------------------------ objects
async def test_tenants_summarise_the_configuration(api: httpx.AsyncClient):
    """GET /tenants counts what each tenant holds: 4 DNs, 2 places, 2 agents, 2 agent groups, 1 place group, 1 DN group."""
    r = await api.get("/api/v1/tenants")
    assert r.status_code == 200
    assert r.json() == [
        {
            "name": "Resources",
            "switches": ["SW1"],
            "dns": 4,
            "places": 2,
            "agents": 2,
            "agentGroups": 2,
            "placeGroups": 1,
            "dnGroups": 1,
        }
    ]


async def test_agents_are_listed_with_their_login_ids_and_skills(api: httpx.AsyncClient):
    """GET /tenants/{t}/agents lists agents as the configuration defines them."""
    r = await api.get("/api/v1/tenants/Resources/agents")
    assert r.json() == [
        {
            "employeeId": "a1",
            "objectType": "Agent",
            "userName": "ann",
            "loginIds": {"SW1": "5001"},
            "skills": {"Spanish": 7},
        },
        {"employeeId": "a2", "objectType": "Agent", "userName": "bob", "loginIds": {"SW1": "5002"}},
    ]


async def test_places_groups_queues_and_dns(api: httpx.AsyncClient):
    """Places, the three kinds of groups, mediation DNs (queues and routing points) and all DNs."""
    places = (await api.get("/api/v1/tenants/Resources/places")).json()
    assert places == [
        {"name": "P1", "objectType": "AgentPlace", "dns": ["7001@SW1"]},
        {"name": "P2", "objectType": "AgentPlace", "dns": ["7002@SW1"]},
    ]
    groups = (await api.get("/api/v1/tenants/Resources/groups")).json()
    assert groups == [
        {"name": "Team", "objectType": "GroupAgents", "members": ["a1", "a2"]},
        {"name": "Spanish", "objectType": "GroupAgents", "script": 'Skill("Spanish")>=5'},
        {"name": "Floor", "objectType": "GroupPlaces", "members": ["P1", "P2"]},
        {"name": "Queues", "objectType": "GroupQueues", "members": ["8000@SW1"]},
    ]
    queues = (await api.get("/api/v1/tenants/Resources/queues")).json()
    assert [(q["id"], q["type"], q["objectType"]) for q in queues] == [
        ("8000@SW1", "ACDQueue", "Queue"),
        ("9000@SW1", "RoutingPoint", "RoutePoint"),
    ]
    dns = (await api.get("/api/v1/tenants/Resources/dns")).json()
    assert [(d["id"], d["objectType"]) for d in dns] == [
        ("8000@SW1", "Queue"),
        ("9000@SW1", "RoutePoint"),
        ("7001@SW1", "RegularDN"),
        ("7002@SW1", "RegularDN"),
    ]
    assert dns[2] == {
        "id": "7001@SW1",
        "number": "7001",
        "switch": "SW1",
        "type": "Extension",
        "objectType": "RegularDN",
        "mediaType": "voice",
    }


@pytest.mark.parametrize("what", ["agents", "places", "groups", "queues", "dns"])
async def test_an_unknown_tenant_is_404_unknown_tenant(api: httpx.AsyncClient, what: str):
    """The error body carries the protocol's code and names the known tenants."""
    r = await api.get(f"/api/v1/tenants/Nowhere/{what}")
    assert r.status_code == 404
    assert r.json() == {
        "code": "unknown-tenant",
        "message": "no tenant 'Nowhere'; known: Resources",
    }


# ------------------------------------------------------------------------------ definitions
async def test_stat_types_time_profiles_ranges_and_filters(api: httpx.AsyncClient):
    """The catalog as configured (plus nothing invented)."""
    stat_types = (await api.get("/api/v1/stat-types")).json()
    assert stat_types[0] == {
        "name": "CallsWaiting",
        "category": "CurrentNumber",
        "subject": "DNAction",
        "objects": ["GroupQueues", "Queue"],
        "unit": "count",
        "mainMask": "CallWait",
        "description": "Calls waiting now",
    }
    assert [s["name"] for s in stat_types] == ["CallsWaiting", "AgentState"]
    profiles = (await api.get("/api/v1/time-profiles")).json()
    assert profiles == [
        {"name": "Default", "type": "Growing", "description": "resets at 00:00 (UTC)"},
        {
            "name": "LastHour",
            "type": "Sliding",
            "description": "the last 3600 s, advanced every 60 s",
        },
    ]
    assert (await api.get("/api/v1/time-ranges")).json() == [{"name": "SL20", "from": 0, "to": 20}]
    assert (await api.get("/api/v1/filters")).json() == [
        {"name": "Gold", "condition": 'PairExists("Segment","Gold")'}
    ]


async def test_mode_and_health(api: httpx.AsyncClient):
    """The mode is the ServerMode of the protocol; health (web.py) stays where it was."""
    assert (await api.get("/api/v1/mode")).json() == {"mode": "Primary"}
    health = (await api.get("/api/v1/health")).json()
    assert health["status"] == "ok"
    assert health["mode"] == "Primary"
    # which build serves: scripts/test runs this interpreted, scripts/test-compiled compiled
    assert health["engine"] == ("compiled" if COMPILED else "interpreted")


# ------------------------------------------------------------------------------ values
async def test_get_a_named_statistic(served: Served, api: httpx.AsyncClient):
    """GetStatistic: two calls queued and none distributed → 2 waiting."""
    queue_two_calls(served)
    served.at(50)
    r = await get(api, Q, WAITING)
    assert r.status_code == 200
    assert r.json() == {"value": 2, "time": T0 + 50}


async def test_get_an_inline_statistic(served: Served, api: httpx.AsyncClient):
    """GetStatisticEx (metric.category): the oldest call waits since T0+10, read at T0+50 → 40 s."""
    queue_two_calls(served)
    served.at(50)
    r = await get(api, Q, OLDEST_INLINE)
    assert r.json()["value"] == 50 - 10


async def test_get_without_tenant_uses_the_only_tenant(served: Served, api: httpx.AsyncClient):
    """With one tenant the object may leave the tenant out, as on the WebSocket."""
    queue_two_calls(served)
    r = await get(api, {"objectId": "Queues", "objectType": "GroupQueues"}, WAITING)
    assert r.json()["value"] == 2


async def test_get_a_current_state_structure(served: Served, api: httpx.AsyncClient):
    """A CurrentState value is the structure: a1 logged in at +5 and ready since +6."""
    served.ev(5, "EventAgentLogin", thisDN="7001", agentID="5001")
    served.ev(6, "EventAgentReady", thisDN="7001", agentID="5001")
    r = await get(api, {"objectId": "a1", "objectType": "Agent"}, {"statisticType": "AgentState"})
    value = r.json()["value"]
    assert (value["agentId"], value["status"], value["startTime"]) == (
        "a1",
        "WaitForNextCall",
        T0 + 6,
    )


async def test_peek_reads_a_pooled_statistic_without_creating_one(
    served: Served, api: httpx.AsyncClient
):
    """Peek answers 404 unknown-reference-id until the statistic is in the pool; then it
    follows the events: 2 waiting, then 1 once c1 is diverted to an agent."""
    query = {"objectType": "Queue", "objectId": "8000@SW1", "statisticType": "CallsWaiting"}
    missing = await api.get("/api/v1/statistics/peek", params=query)
    assert missing.status_code == 404
    assert missing.json()["code"] == "unknown-reference-id"
    assert (await api.get("/api/v1/statistics")).json() == []
    await get(api, Q, WAITING)  # a one-shot request leaves the statistic in the pool
    queue_two_calls(served)
    assert (await api.get("/api/v1/statistics/peek", params=query)).json()["value"] == 2
    served.ev(40, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    assert (await api.get("/api/v1/statistics/peek", params=query)).json()["value"] == 2 - 1


async def test_the_pool_lists_statistics_and_peeks_them_by_id(
    served: Served, api: httpx.AsyncClient
):
    """GET /statistics lists the pool (id, object, definition, subscriptions); /statistics/{id} reads one."""
    queue_two_calls(served)
    await get(api, Q, WAITING)
    await get(api, Q, {"statisticType": "CallsWaiting", "timeProfile": "LastHour"})
    pool = (await api.get("/api/v1/statistics")).json()
    assert [(s["statisticType"], s["timeProfile"], s["subscriptions"]) for s in pool] == [
        ("CallsWaiting", "Default", 0),
        ("CallsWaiting", "LastHour", 0),
    ]
    assert pool[0]["objectId"] == "8000@SW1"
    assert pool[0]["tenant"] == "Resources"
    r = await api.get(f"/api/v1/statistics/{pool[0]['id']}")
    assert r.json()["value"] == 2
    r = await api.get("/api/v1/statistics/999")
    assert r.status_code == 404
    assert r.json()["code"] == "unknown-reference-id"


async def test_a_websocket_subscription_shows_in_the_pool(served: Served, api: httpx.AsyncClient):
    """A statistic opened by a protocol client is shared: the REST pool listing counts its subscription."""
    session = served.session()
    served.send(
        session, {"request": "OpenStatistic", "referenceId": 1, "object": Q, "metric": WAITING}
    )
    pool = (await api.get("/api/v1/statistics")).json()
    assert [s["subscriptions"] for s in pool] == [1]


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("obj", "metric", "status", "code"),
    [
        ({**Q, "tenant": "Nowhere"}, WAITING, 404, "unknown-tenant"),
        (Q, {"statisticType": "NoSuchType"}, 404, "unknown-stat-type"),
        ({**Q, "objectId": "8999@SW1"}, WAITING, 404, "unknown-object"),
        ({**Q, "objectType": "Desk"}, WAITING, 400, "unknown-object-type"),
        ({"objectId": "a1", "objectType": "Agent"}, WAITING, 400, "object-type-not-allowed"),
        (
            Q,
            {"statisticType": "CallsWaiting", "timeProfile": "Weekly"},
            404,
            "unknown-time-profile",
        ),
        (Q, {"statisticType": "CallsWaiting", "filter": "Silver"}, 404, "unknown-filter"),
        (Q, {"category": "CurrentNumber", "mainMask": "NoSuchAction"}, 400, "invalid-definition"),
        (Q, {"timeProfile": "Default"}, 400, "malformed-request"),
    ],
    ids=[
        "tenant",
        "stat-type",
        "object",
        "object-type",
        "not-allowed",
        "profile",
        "filter",
        "definition",
        "no-metric",
    ],
)
async def test_statistic_errors_are_protocol_errors(
    api: httpx.AsyncClient, obj: Any, metric: Any, status: int, code: str
):
    """Each failure answers the protocol's stable code with a fitting HTTP status."""
    r = await get(api, obj, metric)
    assert r.status_code == status
    body = r.json()
    assert body["code"] == code
    assert body["message"]
    assert set(body) == {"code", "message"}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": {"objectId": "8000@SW1", "objectType": "Queue"}}',
        b'{"object": 1, "metric": {}}',
    ],
    ids=["not-json", "array", "no-metric", "wrong-type"],
)
async def test_a_malformed_body_is_400(api: httpx.AsyncClient, body: bytes):
    """The body is validated against the documented schema before anything is opened."""
    r = await api.post(
        "/api/v1/statistics/get", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "malformed-request"


async def test_peek_needs_its_query_parameters(api: httpx.AsyncClient):
    """objectType, objectId and statisticType are required."""
    r = await api.get("/api/v1/statistics/peek", params={"objectId": "8000@SW1"})
    assert r.status_code == 400
    assert r.json()["code"] == "malformed-request"


async def test_unknown_paths_and_methods(api: httpx.AsyncClient):
    """An unknown path under /api/v1 is 404 unknown-request; a known one with another method is 405 with Allow."""
    for path in (
        "/api/v1/nothing/here",
        "/api/v1/statistics/x%0Ay",
        "/api/v1/tenants/a%2Fb/agents",
    ):
        r = await api.get(path)
        assert r.status_code == 404, path
        assert r.json()["code"] == "unknown-request", path
    r = await api.delete("/api/v1/mode")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    assert r.json()["code"] == "unknown-request"
    r = await api.get("/api/v1/statistics/get")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


async def test_an_internal_error_is_500_internal_error(
    served: Served, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
):
    """A bug while computing a value answers 500 with code internal-error (and the server goes on)."""

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(served.server.pool, "value", broken)
    r = await get(api, Q, WAITING)
    assert r.status_code == 500
    body = r.json()
    assert body["code"] == "internal-error"
    assert "RuntimeError: boom" in body["message"]
    monkeypatch.undo()
    assert (await get(api, Q, WAITING)).status_code == 200


# ------------------------------------------------------------------------------ OpenAPI
async def test_the_openapi_document_lists_every_endpoint(served: Served, api: httpx.AsyncClient):
    """Every /api/v1 route is documented, and every documented path is served."""
    doc = (await api.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    served_paths = {
        r.path.replace("{id:int}", "{id}")  # type: ignore[attr-defined]
        for r in routes(served.server)
        if r.path.startswith("/api/v1/") and "{path:path}" not in r.path  # type: ignore[attr-defined]
    }
    assert set(doc["paths"]) == served_paths | {"/api/v1/health"}


async def test_schemas_are_generated_from_the_protocol_structs(api: httpx.AsyncClient):
    """The body schema is msgspec's: the object and metric of the client protocol, camelCase."""
    doc = (await api.get("/api/v1/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    assert schemas["GetBody"]["required"] == ["object", "metric"]
    assert {"statisticType", "timeProfile", "category", "mainMask", "intervalType"} <= set(
        schemas["Metric"]["properties"]
    )
    assert schemas["StatObject"]["required"] == ["objectId", "objectType"]
    assert schemas["ErrorBody"]["required"] == ["code", "message"]
    ref = doc["paths"]["/api/v1/statistics/get"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert ref == {"$ref": "#/components/schemas/GetBody"}


async def test_the_documents_examples_work(served: Served, api: httpx.AsyncClient):
    """The examples in the document are taken from the configuration and answer 200."""
    doc = (await api.get("/api/v1/openapi.json")).json()
    examples = doc["paths"]["/api/v1/statistics/get"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert set(examples) == {"callsWaitingInline", "named", "agentState"}
    for example in examples.values():
        r = await api.post("/api/v1/statistics/get", json=example["value"])
        assert r.status_code == 200, r.text
    params = {
        p["name"]: p["example"]
        for p in doc["paths"]["/api/v1/statistics/peek"]["get"]["parameters"]
        if "example" in p
    }
    assert params == {
        "objectId": "8000@SW1",
        "objectType": "Queue",
        "tenant": "Resources",
        "statisticType": "CallsWaiting",
    }
    assert (await api.get("/api/v1/statistics/peek", params=params)).status_code == 200


# ------------------------------------------------------------------------------ the page
async def test_the_wallboard_page_and_its_files(api: httpx.AsyncClient):
    """/ is the wallboard; its script and style are served from the package; nothing else is."""
    page = await api.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/wallboard/app.js">' in page.text
    js = await api.get("/wallboard/app.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert "requestAnimationFrame" in js.text
    css = await api.get("/wallboard/style.css")
    assert css.headers["content-type"].startswith("text/css")
    assert (await api.get("/wallboard/__init__.py")).status_code == 404
