"""The REST endpoints under ``/api/v1`` and the wallboard's files, as Starlette routes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

import msgspec
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from statserver.core.engine import StatisticRequest
from statserver.core.model import ObjectType
from statserver.core.stats.statistic import Statistic, StatisticKey
from statserver.errors import ErrorCode, RequestError
from statserver.events.record import parse_time
from statserver.protocol.messages import Request as ProtocolRequest
from statserver.service.app import StatServer
from statserver.service.rest.bodies import (
    ALL_METHODS,
    HTTP_STATUS,
    AgentOut,
    DnOut,
    ErrorBody,
    FilterOut,
    GetBody,
    GroupOut,
    ModeBody,
    PeekQuery,
    PlaceOut,
    StatisticOut,
    StatTypeOut,
    TenantOut,
    TimeProfileOut,
    TimeRangeOut,
    ValueOut,
)
from statserver.service.rest.openapi import openapi_document
from statserver.service.wallboard import STATIC_DIR, build_plan

__all__ = ["RestApi", "routes"]

log = logging.getLogger("statserver.rest")


# ------------------------------------------------------------------------------ helpers
_encoder: Final = msgspec.json.Encoder()


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        _encoder.encode(obj), status_code=status, media_type="application/json", headers=headers
    )


def _error(code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json(ErrorBody(code, message), HTTP_STATUS.get(code, 400), headers)


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(fn: Handler) -> Handler:
    """Errors become protocol error bodies; a bug becomes a 500 ``internal-error``."""

    async def wrapper(request: Request) -> Response:
        try:
            return await fn(request)
        except RequestError as exc:
            return _error(exc.code, exc.message)
        except Exception as exc:
            log.exception("%s %s failed", request.method, request.url.path)
            return _error(ErrorCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}")

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _engine_time(server: StatServer, stat: Statistic, now: float, text: str | None) -> float | None:
    """The ``at`` of a peek: an engine time no later than the statistic's time now (the
    future is not known yet).  A time before the tenant's last event reads at that event
    (the engine keeps no history)."""
    if text is None or text == "":
        return None
    try:
        at = parse_time(float(text) if _is_number(text) else text)
    except ValueError as exc:
        raise RequestError(ErrorCode.INVALID_TIME, f"at: {exc}") from None
    live = server.engine.read_time(stat, now)
    if at > live + 1:
        raise RequestError(
            ErrorCode.INVALID_TIME,
            f"at={text} is after the statistic's current time ({int(live)}); "
            "a value can be read now or at an earlier time",
        )
    return at


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------ the API
class RestApi:
    def __init__(self, server: StatServer) -> None:
        self.server = server

    # -- helpers ------------------------------------------------------------------------------
    def _model(self, request: Request) -> Any:
        name = request.path_params["tenant"]
        model = self.server.engine.directory.tenants.get(name)
        if model is None:
            known = ", ".join(sorted(self.server.engine.directory.tenants)) or "none"
            raise RequestError(ErrorCode.UNKNOWN_TENANT, f"no tenant {name!r}; known: {known}")
        return model

    def _default_tenant(self, tenant: str | None) -> str:
        if tenant:
            return tenant
        tenants = list(self.server.engine.directory.tenants)
        if len(tenants) == 1:
            return tenants[0]
        raise RequestError(
            ErrorCode.MALFORMED_REQUEST,
            f"say which tenant (known: {', '.join(tenants) or 'none'})",
        )

    # -- endpoints ----------------------------------------------------------------------------
    async def openapi(self, request: Request) -> Response:
        return _json(openapi_document(self._examples()))

    def _examples(self) -> dict[str, Any]:
        """Working examples for the document, taken from the configuration."""
        engine = self.server.engine
        bodies: dict[str, Any] = {}
        peek: dict[str, str] = {}
        for tenant, model in engine.directory.tenants.items():
            queue = next(
                (k for k, dn in model.dns.items() if dn.object_type is ObjectType.QUEUE), None
            )
            agent = next(iter(model.agents), None)
            if queue is not None:
                obj = {"objectId": queue, "objectType": "Queue", "tenant": tenant}
                bodies["callsWaitingInline"] = {
                    "object": obj,
                    "metric": {
                        "category": "CurrentNumber",
                        "subject": "DNAction",
                        "mainMask": "CallWait",
                    },
                }
                named = next(
                    (
                        n
                        for n, d in engine.catalog.stat_types.items()
                        if ObjectType.QUEUE in d.objects and d.category.kind != "structured"
                    ),
                    None,
                )
                if named is not None:
                    bodies["named"] = {"object": obj, "metric": {"statisticType": named}}
                    peek = {**obj, "statisticType": named}
            if agent is not None:
                bodies["agentState"] = {
                    "object": {"objectId": agent, "objectType": "Agent", "tenant": tenant},
                    "metric": {
                        "category": "CurrentState",
                        "subject": "AgentStatus",
                        "mainMask": "*",
                    },
                }
            if bodies:
                break
        return {"get": bodies, "peek": peek}

    async def mode(self, request: Request) -> Response:
        return _json(ModeBody(self.server.mode))

    async def tenants(self, request: Request) -> Response:
        out = [
            TenantOut(
                name=name,
                switches=sorted(m.switches),
                dns=len(m.dns),
                places=len(m.places),
                agents=len(m.agents),
                agent_groups=len(m.agent_groups),
                place_groups=len(m.place_groups),
                dn_groups=len(m.dn_groups),
            )
            for name, m in self.server.engine.directory.tenants.items()
        ]
        return _json(out)

    async def agents(self, request: Request) -> Response:
        model = self._model(request)
        return _json(
            [
                AgentOut(
                    employee_id=a.employee_id,
                    object_type=ObjectType.AGENT.value,
                    user_name=a.user_name,
                    login_ids=dict(a.login_ids),
                    skills=dict(a.skills),
                    place=a.place,
                )
                for a in model.agents.values()
            ]
        )

    async def places(self, request: Request) -> Response:
        model = self._model(request)
        return _json(
            [
                PlaceOut(name=p.name, object_type=ObjectType.PLACE.value, dns=list(p.dns))
                for p in model.places.values()
            ]
        )

    async def groups(self, request: Request) -> Response:
        model = self._model(request)
        out: list[GroupOut] = []
        for groups, otype in (
            (model.agent_groups, ObjectType.GROUP_AGENTS),
            (model.place_groups, ObjectType.GROUP_PLACES),
            (model.dn_groups, ObjectType.GROUP_QUEUES),
        ):
            out.extend(
                GroupOut(g.name, otype.value, list(g.members), g.script) for g in groups.values()
            )
        return _json(out)

    def _dns(self, request: Request, *, mediation: bool) -> Response:
        model = self._model(request)
        return _json(
            [
                DnOut(
                    id=key,
                    number=dn.number,
                    switch=dn.switch,
                    type=dn.type,
                    object_type=dn.object_type.value,
                    media_type=dn.media_type,
                )
                for key, dn in model.dns.items()
                if not mediation or dn.object_type is not ObjectType.REGULAR_DN
            ]
        )

    async def dns(self, request: Request) -> Response:
        return self._dns(request, mediation=False)

    async def queues(self, request: Request) -> Response:
        return self._dns(request, mediation=True)

    async def stat_types(self, request: Request) -> Response:
        out = [
            StatTypeOut(
                name=name,
                category=d.category.name,
                subject=d.subject.value,
                objects=sorted(o.value for o in d.objects),
                unit=d.category.unit,
                main_mask=d.main_text,
                rel_mask=d.rel_text,
                media_type=",".join(sorted(d.media)) if d.media else "",
                formula=d.formula,
                expression=d.expression,
                description=d.description,
            )
            for name, d in self.server.engine.catalog.stat_types.items()
        ]
        return _json(out)

    async def time_profiles(self, request: Request) -> Response:
        profiles = self.server.engine.catalog.profiles
        return _json([TimeProfileOut(n, p.kind.value, p.describe()) for n, p in profiles.items()])

    async def time_ranges(self, request: Request) -> Response:
        ranges = self.server.engine.catalog.ranges
        return _json([TimeRangeOut(n, lo, hi) for n, (lo, hi) in ranges.items()])

    async def filters(self, request: Request) -> Response:
        filters = self.server.engine.catalog.filters
        return _json([FilterOut(n, f.text) for n, f in filters.items()])

    async def statistics(self, request: Request) -> Response:
        engine = self.server.engine
        subs = self.server.pool.subs
        out = []
        for stat in engine.statistics():
            key = StatisticKey._make(stat.key)
            out.append(
                StatisticOut(
                    id=stat.id,
                    tenant=engine.tenant_of(stat).name,
                    object_type=stat.object_type,
                    object_id=stat.object_id,
                    statistic_type=stat.definition.name,
                    category=stat.definition.category.name,
                    time_profile=key.profile,
                    subscriptions=len(subs.get(stat.id, ())),
                    time_ranges=[f"{lo}-{hi}" for lo, hi in key.ranges],
                    filter=key.filter or None,
                )
            )
        return _json(out)

    async def get(self, request: Request) -> Response:
        """POST /api/v1/statistics/get: GetStatistic / GetStatisticEx on a one-shot session."""
        try:
            body = msgspec.json.decode(await request.body(), type=GetBody)
        except msgspec.DecodeError as exc:
            raise RequestError(ErrorCode.MALFORMED_REQUEST, f"the body: {exc}") from None
        inline = not body.metric.statistic_type and body.metric.category is not None
        req = ProtocolRequest(
            request="GetStatisticEx" if inline else "GetStatistic",
            reference_id=1,
            object=body.object,
            metric=body.metric,
        )
        server = self.server
        session = server.new_session("rest")
        try:
            session.receive(_encoder.encode(req), server.clock())
        finally:
            session.close(server.clock())
            server.journal.flush()
        for event in session.take():
            if event["event"] == "Error":
                return _error(event["code"], event["message"])
            if event["event"] == "Info":
                return _json(ValueOut(event["value"], event["time"]))
        return _error(ErrorCode.INTERNAL, "the statistic gave no value")  # pragma: no cover

    async def peek(self, request: Request) -> Response:
        """GET /api/v1/statistics/peek: the value of a statistic already in the pool."""
        try:
            query = msgspec.convert(dict(request.query_params), PeekQuery)
        except msgspec.ValidationError as exc:
            raise RequestError(ErrorCode.MALFORMED_REQUEST, f"the query: {exc}") from None
        engine = self.server.engine
        req = StatisticRequest(
            tenant=self._default_tenant(query.tenant),
            object_type=query.object_type,
            object_id=query.object_id,
            stat_type=query.statistic_type,
            time_profile=query.time_profile or None,
            time_range=query.time_range or None,
            time_range2=query.time_range2 or None,
            filter=query.filter or None,
        )
        tenant = engine.tenants.get(req.tenant)
        if tenant is None:
            known = ", ".join(sorted(engine.tenants)) or "none"
            raise RequestError(
                ErrorCode.UNKNOWN_TENANT, f"no tenant {req.tenant!r}; known: {known}"
            )
        resolved = engine.resolve(req)
        key = StatisticKey(
            resolved.object_type.value,
            resolved.object_id,
            resolved.definition.definition_key,
            resolved.profile.name,
            resolved.ranges,
            resolved.filter.name if resolved.filter else "",
        )
        stat = tenant.statistics.get(key)
        if stat is None:
            raise RequestError(
                ErrorCode.UNKNOWN_REFERENCE_ID,
                "no such statistic is open in the pool; open it first (OpenStatistic on /ws) "
                "or use POST /api/v1/statistics/get",
            )
        return self._value(stat, query.at)

    async def peek_id(self, request: Request) -> Response:
        """GET /api/v1/statistics/{id}: the value of the pool's statistic ``id``."""
        stat_id = request.path_params["id"]
        found = self.server.engine.statistic(stat_id)
        if found is None:
            raise RequestError(
                ErrorCode.UNKNOWN_REFERENCE_ID,
                f"no statistic {stat_id} in the pool; GET /api/v1/statistics lists them",
            )
        return self._value(found, request.query_params.get("at"))

    def _value(self, stat: Statistic, at_text: str | None = None) -> Response:
        server = self.server
        now = server.clock()
        at = _engine_time(server, stat, now, at_text)
        if stat.definition.category.name == "CurrentTargetState":
            value: Any = {"targets": list(server.engine.target_states(stat).values())}
        elif at is not None:
            value = server.engine.value(stat, at)
        else:
            value = server.pool.value(stat, now)
        start = stat.interval_start(server.engine.now_for(stat, at))
        return _json(ValueOut(value, int(now if at is None else at), start))

    async def wallboard(self, request: Request) -> Response:
        server = self.server
        plan = build_plan(
            server.config.raw.wallboard,
            server.engine.catalog,
            server.engine.directory,
            now=server.clock(),
        )
        return _json(plan)

    async def fallback(self, request: Request) -> Response:
        """Unknown paths under /api/v1 (404) and known paths with another method (405)."""
        allowed: set[str] = set()
        for route in request.app.router.routes:
            if getattr(route, "endpoint", None) is self._fallback_endpoint:
                continue
            match, _ = route.matches(request.scope)
            if match is Match.PARTIAL:
                allowed |= set(getattr(route, "methods", None) or ())
        if allowed:
            methods = ", ".join(sorted(allowed))
            return _json(
                ErrorBody(
                    ErrorCode.UNKNOWN_REQUEST,
                    f"{request.method} is not accepted on {request.url.path}; use {methods}",
                ),
                405,
                {"Allow": methods},
            )
        return _error(
            ErrorCode.UNKNOWN_REQUEST,
            f"no endpoint {request.url.path}; GET /api/v1/openapi.json lists them",
        )

    _fallback_endpoint: Handler


_ASSETS: Final[dict[str, str]] = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


async def _index(request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def _asset(request: Request) -> Response:
    name = request.path_params["name"]
    media = _ASSETS.get(name)
    if media is None:
        return _error(ErrorCode.UNKNOWN_REQUEST, f"no wallboard file {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=media, headers={"Cache-Control": "no-cache"})


class _ApiFallback(Route):
    """Every path under /api/v1 that no other route took, whatever its characters (a
    ``{path:path}`` parameter would not match a newline)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root + "/"):
            path = path[len(root) :]
        if scope["type"] == "http" and path.startswith("/api/v1/"):
            return Match.FULL, {"endpoint": self.endpoint, "path_params": {}}
        return Match.NONE, {}


def routes(server: StatServer) -> list[BaseRoute]:
    """The REST API, the wallboard page at ``/`` and its files under ``/wallboard/``."""
    api = RestApi(server)
    g = _guarded
    fallback = g(api.fallback)
    api._fallback_endpoint = fallback
    return [
        Route("/api/v1/openapi.json", g(api.openapi), methods=["GET"]),
        Route("/api/v1/mode", g(api.mode), methods=["GET"]),
        Route("/api/v1/tenants", g(api.tenants), methods=["GET"]),
        Route("/api/v1/tenants/{tenant}/agents", g(api.agents), methods=["GET"]),
        Route("/api/v1/tenants/{tenant}/places", g(api.places), methods=["GET"]),
        Route("/api/v1/tenants/{tenant}/groups", g(api.groups), methods=["GET"]),
        Route("/api/v1/tenants/{tenant}/queues", g(api.queues), methods=["GET"]),
        Route("/api/v1/tenants/{tenant}/dns", g(api.dns), methods=["GET"]),
        Route("/api/v1/stat-types", g(api.stat_types), methods=["GET"]),
        Route("/api/v1/time-profiles", g(api.time_profiles), methods=["GET"]),
        Route("/api/v1/time-ranges", g(api.time_ranges), methods=["GET"]),
        Route("/api/v1/filters", g(api.filters), methods=["GET"]),
        Route("/api/v1/statistics", g(api.statistics), methods=["GET"]),
        Route("/api/v1/statistics/get", g(api.get), methods=["POST"]),
        Route("/api/v1/statistics/peek", g(api.peek), methods=["GET"]),
        Route("/api/v1/statistics/{id:int}", g(api.peek_id), methods=["GET"]),
        Route("/api/v1/wallboard", g(api.wallboard), methods=["GET"]),
        _ApiFallback("/api/v1/{path:path}", fallback, methods=ALL_METHODS),
        Route("/", _index, methods=["GET"]),
        Route("/wallboard/{name}", _asset, methods=["GET"]),
    ]
