"""Values that fit a JSON schema, filled from the user's own words.

Two readings. A tool the simulated model chose itself is called with what the prompt names:
``city`` takes a place named in the text, ``currency`` a three-letter code, a number the
next number written. A form it is made to fill (structured output, a forced tool, JSON mode)
is filled only where the prompt says what the field means: ``country`` needs the word (or a
word starting with it, "aged" for ``age``), ``name`` the schema's own name ("city" for
``City``); a field the question asks for ("Which city ...") or the prompt never mentions gets
a typed placeholder (``"<country>"``, 0, false), since a simulation cannot know it, unless
a tool's answer speaks of it ("The country is Peru" settles ``country``). Names go
to text fields in the schema's order, a placeholder passing its name by: "Lima is the
capital of Peru" fills ``name``, ``country`` with Lima, Peru.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from anyfast_client.testing import _reading
from anyfast_client.testing.replies import JSONDict

_CODE_FIELD: Final = re.compile(r"currency|code|symbol|ticker|iata|unit_from|unit_to", re.I)
_TEXT_FIELD: Final = re.compile(r"^(q|query|question|text|prompt|search|topic|input)$", re.I)
# Fields whose meaning is the thing the schema describes: a City's name is a city.
_GENERIC_FIELDS: Final = frozenset({"name", "title", "label", "value"})
_MAX_DEPTH: Final = 8


def _schema_type(schema: JSONDict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "string"


def placeholder(kind: str, name: str) -> Any:
    """What a field the prompt does not settle gets: a value that reads as a placeholder."""
    values: dict[str, Any] = {"integer": 0, "number": 0, "boolean": False, "array": []}
    if kind == "null":
        return None
    return values.get(kind, f"<{name.replace('_', ' ') or 'value'}>")


class SchemaFaker:
    """A value that fits a JSON schema; each name, code and number of the text is used once.

    ``form=True`` is the stricter reading for structured output (see the module docstring);
    ``title`` names what the schema describes (a tool's or a format's name); ``answers`` is
    what tools answered, whose values come after the prompt's.
    """

    def __init__(
        self, root: Any, text: str, *, form: bool = False, title: str = "", answers: str = ""
    ) -> None:
        self._root = root
        self._text = f"{text}\n{answers}"
        self._form = form
        self._question = _reading.question_of(text).rstrip("?").strip() or "example"
        found = _reading.quoted(text) + _reading.names(text) + _reading.names(answers)
        self._names = list(dict.fromkeys(found))
        self._codes = list(dict.fromkeys(_reading.codes(text) + _reading.codes(answers)))
        self._numbers = _reading.numbers(text) + _reading.numbers(answers)
        self._words = set(_reading.terms(self._text))
        self._asked = _reading.asked(_reading.question_of(text))
        self._answered = set(_reading.terms(answers))
        own_title = root.get("title") if isinstance(root, dict) else None
        self._title = _reading.field_terms(f"{title} {own_title or ''}")

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
        kind = _schema_type(schema)
        if kind != "object" and not self._settled(name):
            if kind == "string" and self._names:
                # The name this field would have taken is not its value ("Which city has
                # the Eiffel Tower?"), nor the next field's.
                self._names.pop(0)
            return placeholder(kind, name)
        makers: dict[str, Callable[[], Any]] = {
            "object": lambda: self._object(schema, depth),
            "array": list,
            "integer": lambda: int(self._number(kind)),
            "number": lambda: self._number(kind),
            "boolean": lambda: True,
            "null": lambda: None,
        }
        return makers.get(kind, lambda: self._string(name))()

    def _settled(self, name: str) -> bool:
        """Whether the prompt says what this field holds (always, for a tool chosen freely)."""
        if not self._form or _TEXT_FIELD.match(name):
            return True
        meaning = _reading.field_terms(name)
        if _GENERIC_FIELDS.intersection(meaning):
            meaning += self._title
        if any(term in self._asked for term in meaning):
            return any(_reading.mentions(term, self._answered) for term in meaning)
        return any(_reading.mentions(term, self._words) for term in meaning)

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

    def _number(self, kind: str) -> int | float:
        if self._numbers:
            return self._numbers.pop(0)
        return 0 if self._form else 1

    def _string(self, name: str) -> str:
        if _TEXT_FIELD.match(name):
            return self._question
        if _CODE_FIELD.search(name) and self._codes:
            return self._codes.pop(0)
        if self._names:
            return self._names.pop(0)
        if self._codes:
            return self._codes.pop(0)
        return str(placeholder("string", name)) if self._form else self._question

    def _resolve(self, schema: Any) -> Any:
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target = self._root
        for key in ref[2:].split("/"):
            target = target.get(key) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else {}
