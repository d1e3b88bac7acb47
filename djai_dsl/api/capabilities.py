"""``GET api/capabilities``: what this user may do here and how the server wants a client to
behave, so that every client (the admin page, a script, an editor plugin) follows the same
settings instead of hard-coding them.

- ``preview_before_run`` (``DJAI["PREVIEW_BEFORE_RUN"]``): stop every data question at a
  plan preview (``POST chats/{id}/plan``) and run it only when the user says so
  (``POST chats/{id}/run``).
- ``escape_hatch``: whether this user may run and edit ORM snippets (``POST chats/{id}/code``;
  ``DJAI["ESCAPE_HATCH"]["ENABLED"]`` and ``djai_dsl.use_escape_hatch``).
- ``show_code``: whether answers carry ``data.code`` for this user (the setting and the
  ``djai_dsl.view_generated_code`` permission together).
- limits a client should know before it sends: message and DSL length, rows per page, rows
  in a CSV export.
- the models this user may ask about, and example questions; ``?model=app.model`` puts that
  model first and returns it as ``focus`` (the changelist's "Ask about …" link).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from djai_dsl.api.endpoints import CAPABILITIES
from djai_dsl.api.schemas import CapabilitiesOut, CapabilitiesQuery, ModelRefOut
from djai_dsl.api.views import endpoint, read_query
from djai_dsl.chat.answering import CODE_PERMISSION
from djai_dsl.chat.refusing import examples_for
from djai_dsl.chat.service import ChatService
from djai_dsl.conf import get_config
from djai_dsl.escape import may_use_escape_hatch
from djai_dsl.manifest import build_manifest
from djai_dsl.manifest.types import Manifest, ModelInfo

EXAMPLES = 4


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


@endpoint(CAPABILITIES.methods)
def capabilities(request: HttpRequest, service: ChatService) -> HttpResponse:
    query = read_query(request, CapabilitiesQuery)
    return JsonResponse(capabilities_for(request.user, query.model).model_dump(mode="json"))
