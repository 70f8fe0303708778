"""Values that fit a JSON schema, filled from the user's own words.

A property's name says what to look for: ``city`` takes a place named in the text, ``currency``
a three-letter code, a number the next number written; what the text lacks gets a plain
placeholder. Used for simulated tool arguments and structured output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from anyfast_client.testing import _reading
from anyfast_client.testing.replies import JSONDict

_CODE_FIELD: Final = re.compile(r"currency|code|symbol|ticker|iata|unit_from|unit_to", re.I)
_TEXT_FIELD: Final = re.compile(r"^(q|query|question|text|prompt|search|topic|input)$", re.I)
_MAX_DEPTH: Final = 8


def _schema_type(schema: JSONDict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "string"


class SchemaFaker:
    """A value that fits a JSON schema; each name, code and number of the text is used once."""

    def __init__(self, root: Any, text: str) -> None:
        self._root = root
        self._text = text
        self._question = _reading.question_of(text).rstrip("?").strip() or "example"
        self._names = _reading.names(text)
        self._codes = _reading.codes(text)
        self._numbers = _reading.numbers(text)

    def value(self, schema: Any, depth: int = 0, name: str = "") -> Any:
        schema = self._resolve(schema)
        # A self-referencing schema would otherwise recurse forever.
        if depth > _MAX_DEPTH or not isinstance(schema, dict):
            return self._string(name)
        if schema.get("enum"):
            return self._enum(schema["enum"])
        if "const" in schema:
            return schema["const"]
        options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return self.value((usable or options)[0], depth + 1, name)
        return self._by_type(schema, depth, name)

    def _by_type(self, schema: JSONDict, depth: int, name: str) -> Any:
        makers: dict[str, Callable[[], Any]] = {
            "object": lambda: self._object(schema, depth),
            "array": list,
            "integer": lambda: int(self._number()),
            "number": self._number,
            "boolean": lambda: True,
            "null": lambda: None,
        }
        return makers.get(_schema_type(schema), lambda: self._string(name))()

    def _object(self, schema: JSONDict, depth: int) -> JSONDict:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        result = {key: self.value(sub, depth + 1, key) for key, sub in properties.items()}
        required = schema.get("required")
        for key in required if isinstance(required, list) else []:
            if str(key) not in result:
                result[str(key)] = self._string(str(key))
        return result

    def _enum(self, options: list[Any]) -> Any:
        lowered = self._text.lower()
        mentioned = [o for o in options if isinstance(o, str) and o.lower() in lowered]
        return mentioned[0] if mentioned else options[0]

    def _number(self) -> int | float:
        return self._numbers.pop(0) if self._numbers else 1

    def _string(self, name: str) -> str:
        if _TEXT_FIELD.match(name):
            return self._question
        if _CODE_FIELD.search(name) and self._codes:
            return self._codes.pop(0)
        if self._names:
            return self._names.pop(0)
        return self._codes.pop(0) if self._codes else self._question

    def _resolve(self, schema: Any) -> Any:
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target = self._root
        for key in ref[2:].split("/"):
            target = target.get(key) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else {}
