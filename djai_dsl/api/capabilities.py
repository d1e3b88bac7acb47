"""``GET api/capabilities``: what this user may do here and how the server wants a client to
behave, so that every client (the admin page, a script, an editor plugin) follows the same
settings instead of hard-coding them.

- ``preview_before_run`` (``DJAI["PREVIEW_BEFORE_RUN"]``): stop every data question at a
  plan preview (``POST chats/{id}/plan``) and run it only when the user says so
  (``POST chats/{id}/run``).
- ``show_code``: whether answers carry ``data.code`` for this user (the setting and the
  ``djai_dsl.view_generated_code`` permission together).
- ``escape_hatch``: whether this user may run and edit ORM snippets (``POST chats/{id}/code``;
  the setting ``DJAI["ESCAPE_HATCH"]["ENABLED"]`` and ``djai_dsl.use_escape_hatch``).
- limits a client should know before it sends: message and DSL length, rows per page, rows
  in a CSV export.
- the models this user may ask about, and example questions; ``?model=app.model`` puts that
  model first and returns it as ``focus`` (the changelist's "Ask about …" link).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from pydantic import BaseModel, ConfigDict, Field

from djai_dsl.api.views import endpoint, read_query
from djai_dsl.chat.service import CODE_PERMISSION, ChatService, examples_for
from djai_dsl.conf import get_config
from djai_dsl.escape import may_use_escape_hatch
from djai_dsl.manifest import build_manifest
from djai_dsl.manifest.types import Manifest, ModelInfo

MODEL_LABEL_PATTERN = r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$"
EXAMPLES = 4


class CapabilitiesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        default=None,
        pattern=MODEL_LABEL_PATTERN,
        max_length=200,
        description="A model label ('shop.order') to focus the examples on.",
    )


class ModelRefOut(BaseModel):
    label: str = Field(description="The model as the DSL names it, e.g. 'shop.order'.")
    name: str = Field(description="Its plural verbose name, e.g. 'orders'.")


class CapabilitiesOut(BaseModel):
    preview_before_run: bool = Field(
        description="Clients should preview every question's plan and run it on request."
    )
    show_code: bool = Field(description="Answers carry data.code (the SQL) for this user.")
    escape_hatch: bool = Field(
        description="This user may run and edit ORM snippets (POST chats/{id}/code)."
    )
    page_size: int = Field(description="Rows in one page of an answer.")
    max_message_length: int
    max_dsl_length: int
    export_max_rows: int = Field(description="Rows a CSV export holds at most.")
    models: list[ModelRefOut] = Field(description="What this user may ask about.")
    focus: ModelRefOut | None = Field(description="The ?model= asked for, when visible.")
    examples: list[str] = Field(description="Questions this user could ask.")


def capabilities_for(user: Any, model: str | None = None) -> CapabilitiesOut:
    config = get_config()
    manifest = build_manifest(user)
    info = manifest.models.get(model) if model else None
    return CapabilitiesOut(
        preview_before_run=bool(config["PREVIEW_BEFORE_RUN"]),
        show_code=bool(config["SHOW_CODE"]) and user.has_perm(CODE_PERMISSION),
        escape_hatch=may_use_escape_hatch(user),
        page_size=int(config["PAGE_SIZE"]),
        max_message_length=int(config["MAX_MESSAGE_LENGTH"]),
        max_dsl_length=int(config["MAX_DSL_LENGTH"]),
        export_max_rows=int(config["EXPORT_MAX_ROWS"]),
        models=[_ref(m) for _label, m in sorted(manifest.models.items())],
        focus=_ref(info) if info is not None else None,
        examples=_examples(manifest, info),
    )


def _ref(info: ModelInfo) -> ModelRefOut:
    return ModelRefOut(label=info.label, name=str(info.verbose_name_plural))


def _examples(manifest: Manifest, focus: ModelInfo | None) -> list[str]:
    """The service's examples (those a refusal shows), or questions about the focused model
    only: a page opened from the orders changelist suggests nothing about albums."""
    if focus is None:
        return examples_for(manifest, n=EXAMPLES)
    plural = focus.verbose_name_plural
    own = [f"How many {plural} are there?"]
    if focus.default_time_field:
        own += [
            f"How many {plural} per month this year?",
            f"How many {plural} in the last 7 days?",
        ]
    return own


@endpoint(("GET",))
def capabilities(request: HttpRequest, service: ChatService) -> HttpResponse:
    query = read_query(request, CapabilitiesQuery)
    return JsonResponse(capabilities_for(request.user, query.model).model_dump(mode="json"))


def openapi_paths() -> dict[str, Any]:
    """This endpoint's entry in the OpenAPI document (merged by ``api/openapi.py``)."""
    from djai_dsl.api.openapi import REF, _errors, _json

    return {
        "/api/capabilities": {
            "get": {
                "summary": "What this user may do, and settings a client should follow",
                "parameters": [
                    {
                        "name": "model",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": MODEL_LABEL_PATTERN},
                        "description": "Focus the examples on this model ('shop.order').",
                    }
                ],
                "responses": {
                    "200": _json({"$ref": REF.format(model="CapabilitiesOut")}, "Capabilities"),
                    **_errors(),
                },
            }
        }
    }
