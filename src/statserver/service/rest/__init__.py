"""The REST API under ``/api/v1`` and the wallboard's files (docs/rest-api.md).

Every endpoint answers JSON.  Errors are the client protocol's errors: a body
``{"code": ..., "message": ...}`` whose ``code`` is one of the stable
:class:`~statserver.errors.ErrorCode` values, with an HTTP status that fits it (400 for a
malformed request, 404 for something unknown, 500 for an internal error).

Statistic requests go through the same code as the WebSocket protocol: ``POST
/api/v1/statistics/get`` is a ``GetStatistic`` (or ``GetStatisticEx`` when the metric is an
inline definition) on a short-lived client session, so the value, the statistic pool and the
errors are exactly those a WebSocket client gets.  ``GET /api/v1/statistics/peek`` reads a
statistic that is already in the pool without creating one.

The OpenAPI document (``GET /api/v1/openapi.json``) is generated: request and response
schemas come from the msgspec structs below with :func:`msgspec.json.schema_components`.
"""

from statserver.service.rest.api import RestApi, routes
from statserver.service.rest.bodies import HTTP_STATUS
from statserver.service.rest.openapi import openapi_document

__all__ = ["HTTP_STATUS", "RestApi", "openapi_document", "routes"]
