"""The OpenAPI 3.1 document of the API, rendered from the endpoint descriptions in
:mod:`~djai_dsl.api.endpoints` and the same Pydantic models the views validate with and the
composer builds, so it cannot drift from the code unnoticed (a test checks every URL pattern
is documented and validates the document).

It reads descriptions only: no view is imported here, so the views may serve this document
without an import cycle.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import djai_dsl
from djai_dsl.api.endpoints import ENDPOINTS, Endpoint, Operation, Response
from djai_dsl.chat import envelope
from djai_dsl.errors import ERROR_CLASSES

REF = "#/components/schemas/{model}"

#: Every answer to a question is one of these; errors of every endpoint are the last one.
ENVELOPE_MODELS: tuple[type[BaseModel], ...] = (
    envelope.AnswerEnvelope,
    envelope.ClarificationEnvelope,
    envelope.OutOfScopeEnvelope,
    envelope.ErrorEnvelope,
)
#: Errors any endpoint can answer: a bad request, no permission, a wrong method, a bug.
COMMON_ERRORS = (400, 403, 405, 500)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    codes: dict[int, list[str]] = {}
    for cls in ERROR_CLASSES:
        codes.setdefault(cls.http_status, []).append(cls.code)
    wanted = sorted({*COMMON_ERRORS, *statuses})
    return {
        str(status): _json(
            _ref("ErrorEnvelope"),
            "Error envelope; data.error_code one of: "
            + ", ".join(sorted(codes.get(status, ["method_not_allowed"]))),
        )
        for status in wanted
    }


def _success(response: Response) -> dict[str, Any]:
    if response.model is not None:
        schema: dict[str, Any] | None = _ref(response.model.__name__)
    elif response.component:
        schema = _ref(response.component)
    else:
        schema = response.schema
    if schema is None:
        return {"description": response.description}
    return {
        "description": response.description,
        "content": {response.media_type: {"schema": schema}},
    }


def _operation(operation: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": operation.summary}
    if operation.description:
        out["description"] = operation.description
    if operation.query:
        out["parameters"] = list(operation.query)
    if operation.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(operation.body.__name__)}},
        }
    out["responses"] = {
        str(operation.response.status): _success(operation.response),
        **_errors(*operation.errors),
    }
    return out


def _path_item(endpoint: Endpoint) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if endpoint.parameters:
        item["parameters"] = list(endpoint.parameters)
    for operation in endpoint.operations:
        item[operation.method.lower()] = _operation(operation)
    return item


def _paths() -> dict[str, Any]:
    return {endpoint.path: _path_item(endpoint) for endpoint in ENDPOINTS if endpoint.documented()}


def _models() -> list[tuple[type[BaseModel], Literal["validation", "serialization"]]]:
    """Request bodies as they are validated, responses as they are serialized."""
    bodies: dict[type[BaseModel], None] = {}
    responses: dict[type[BaseModel], None] = {}
    for endpoint in ENDPOINTS:
        for operation in endpoint.operations:
            if operation.body is not None:
                bodies[operation.body] = None
            if operation.response.model is not None:
                responses[operation.response.model] = None
    for model in ENVELOPE_MODELS:
        responses[model] = None
    return [(m, "validation") for m in bodies] + [(m, "serialization") for m in responses]


@cache
def _components() -> dict[str, Any]:
    _keys, defs = models_json_schema(_models(), ref_template=REF)
    components = dict(defs.get("$defs", {}))
    union = envelope.ENVELOPE_ADAPTER.json_schema(ref_template=REF)
    union.pop("$defs", None)
    components["Envelope"] = union
    return components


def openapi_document(server_url: str = "/ai-assistant") -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "djai data assistant API",
            "version": djai_dsl.__version__,
            "description": "Staff-only API of the djai chat: questions in words become "
            "validated query plans that run read-only. Every answer to a question is one "
            "envelope {type, message, data, meta}. Authentication: the Django admin session "
            "(active staff with the djai_dsl.use_assistant permission).",
        },
        "servers": [{"url": server_url or "/"}],
        "paths": _paths(),
        "components": {"schemas": _components()},
    }
