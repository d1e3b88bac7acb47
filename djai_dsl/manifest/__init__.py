"""What may be queried: the registry, the per-user manifest and its text/JSON renderings.

Importing this package does not touch the app registry, so ``register`` may be imported at
module level of an app's ``djai.py``.
"""

from djai_dsl.manifest.builder import build_manifest, clear_cache
from djai_dsl.manifest.registry import register, unregister
from djai_dsl.manifest.render import manifest_as_dict, render_text
from djai_dsl.manifest.types import (
    FieldInfo,
    Manifest,
    Measure,
    ModelInfo,
    PathError,
    RelationInfo,
    ResolvedPath,
    Segment,
)

__all__ = [
    "FieldInfo",
    "Manifest",
    "Measure",
    "ModelInfo",
    "PathError",
    "RelationInfo",
    "ResolvedPath",
    "Segment",
    "build_manifest",
    "clear_cache",
    "manifest_as_dict",
    "register",
    "render_text",
    "unregister",
]
