"""A JSON object written in an answer's text, and whether it fits a JSON schema.

Used when a model asked for a tool call or for JSON answers in words instead: the
object found counts as the answer only if it fits. The check covers what decides
whether an answer is the one asked for (types, required and extra properties, enums,
items, ``anyOf``/``oneOf``/``allOf``, local ``$ref``); the caller's own parser (a
pydantic model, say) still does the full validation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["fits_schema", "json_object_in"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_TYPES: Mapping[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
_MAX_DEPTH = 32


def json_object_in(text: str) -> tuple[dict[str, Any], str] | None:
    """The first JSON object in ``text`` and its own text: the whole text, a fenced
    block, or the span from the first ``{`` to the last ``}``."""
    for candidate in _candidates(text):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value, candidate
    return None


def _candidates(text: str) -> Iterator[str]:
    yield text.strip()
    for match in _FENCE.finditer(text):
        yield match.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        yield text[start : end + 1]


def fits_schema(value: Any, schema: Mapping[str, Any]) -> bool:
    """Whether ``value`` fits ``schema`` (see the module docstring for what is checked)."""
    return _fits(value, schema, schema, 0)


def _fits(value: Any, schema: Any, root: Mapping[str, Any], depth: int) -> bool:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return True  # true/false schemas and runaway recursion: nothing to hold against it
    if "$ref" in schema:
        return _fits(value, _resolve(schema["$ref"], root), root, depth + 1)
    if not _fits_type(value, schema.get("type")):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if "const" in schema and value != schema["const"]:
        return False
    return _fits_parts(value, schema, root, depth + 1)


def _fits_parts(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> bool:
    if any(not _fits(value, s, root, depth) for s in schema.get("allOf", ())):
        return False
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options and not any(_fits(value, s, root, depth) for s in options):
            return False
    if isinstance(value, dict):
        return _fits_object(value, schema, root, depth)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return all(_fits(item, schema["items"], root, depth) for item in value)
    return True


def _fits_object(
    value: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any], depth: int
) -> bool:
    properties = schema.get("properties") or {}
    if any(name not in value for name in schema.get("required", ())):
        return False
    if schema.get("additionalProperties") is False and any(k not in properties for k in value):
        return False
    return all(_fits(value[k], properties[k], root, depth) for k in value if k in properties)


def _fits_type(value: Any, kind: Any) -> bool:
    if kind is None:
        return True
    kinds = kind if isinstance(kind, list) else [kind]
    return any(_is(value, k) for k in kinds)


def _is(value: Any, kind: Any) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, (object,)))


def _resolve(ref: Any, root: Mapping[str, Any]) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        return {}  # a remote reference: not followed, so not held against the value
    node: Any = root
    for part in filter(None, ref.lstrip("#").split("/")):
        if not isinstance(node, Mapping):
            return {}
        node = node.get(part.replace("~1", "/").replace("~0", "~"))
    return node if isinstance(node, Mapping) else {}
