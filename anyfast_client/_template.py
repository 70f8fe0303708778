"""What a stream's text events share: their bytes around the one string that changes.

A gateway streams an answer as many events that differ only in their bit of text::

    {"id":"chatcmpl-1","created":5,...,"choices":[{"index":0,"delta":{"content":"Hel"},...}]}
    {"id":"chatcmpl-1","created":5,...,"choices":[{"index":0,"delta":{"content":"lo"},...}]}

An :class:`EventTemplate` is learnt from one event that was parsed in full: the bytes
before and after the text of its delta (``content`` or ``reasoning_content``). A later
event with the same bytes around a JSON string body is that same chunk with another
text, so it needs no parsing: :meth:`EventTemplate.read` reads it as a
:class:`TextDelta`, whose :meth:`~TextDelta.chunk` builds the chunk as parsing would
have built it. Whether the bytes found really are that string is proved when the
template is learnt, by parsing a probe with another text in its place. Anything that
does not fit, and text that full parsing may read otherwise (bytes that are not UTF-8,
lone surrogates), goes back to full parsing. No I/O.

A fast path (see ``_fast``): it relies on the slots every pydantic model has and on the
json module's reader of a string body, both checked at first use; without them, or with
``ANYFAST_FAST_PATHS=0``, no template is learnt and every event is parsed.
"""

from __future__ import annotations

import functools
import json.decoder
import re
from collections.abc import Callable
from json import JSONDecodeError
from typing import Any, NamedTuple, cast

from ._construct import slot_setters
from ._fast import stand_down, take_up
from ._models import ChatCompletionChunk

__all__ = ["EventTemplate", "TextDelta"]

_NAME = "event templates"  # this fast path, as ``_fast`` records it
_FIELDS = ("content", "reasoning_content")
_KEYS = {field: b'"' + field.encode() + b'"' for field in _FIELDS}
_COLON_QUOTE = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"')
# What a JSON string body needs more than a UTF-8 decode for (or cannot hold raw).
_SPECIAL = re.compile(rb'[\x00-\x1f"\\]')
# Surrogates left after escapes are read (a pair becomes one character).
_SURROGATE = re.compile("[\ud800-\udfff]")
_PROBE = "\u00e9~"  # the text put in place of an event's own, to prove where it sits

_SHARED = (str, int, float, type(None))  # bool is an int


class TextDelta(NamedTuple):
    """A chunk of one choice that adds only text, read through its template: that text.

    Most of a stream's chunks: a reader that needs only the text (the adapters) takes it
    without the chunk being built; :meth:`chunk` builds it.
    """

    choice_index: int
    content: str | None
    reasoning_content: str | None
    template: EventTemplate

    def chunk(self) -> ChatCompletionChunk:
        """The chunk this stands for, as parsing its event builds it (built now)."""
        template = self.template
        return template.build(self[2] if template.reasoning else self[1])  # type: ignore[arg-type]


_new_text_delta = tuple.__new__  # TextDelta without the keyword handling of its __new__


class EventTemplate:
    """The bytes around the text of one event, and how to build the chunk it holds."""

    __slots__ = ("_other", "build", "index", "prefix", "reasoning", "role", "size", "suffix")

    def __init__(self, prefix: bytes, suffix: bytes, field: str, template: ChatCompletionChunk):
        self.prefix = prefix
        self.suffix = suffix
        self.size = len(prefix) + len(suffix)
        self.reasoning = field == "reasoning_content"
        delta = template.choices[0].delta
        self.index = template.choices[0].index
        self.role = delta.role
        # The value of the delta's other text field, the same in every event that fits.
        self._other: str | None = getattr(delta, _FIELDS[not self.reasoning])
        # build(text): the chunk of the event with this text, as parsing builds it.
        self.build = _chunk_builder(template, field)

    @classmethod
    def learn(cls, event: bytes, chunk: ChatCompletionChunk) -> EventTemplate | None:
        """The template of an event that ``chunk`` was parsed from, or None if it has none.

        Only a chunk of one choice that adds text and nothing else has one: no usage,
        error, tool calls or finish reason, and no value a copy would share with it
        (lists, objects). The text it sits in is the one whose bytes can be found,
        preferring a field that holds text over an empty one.
        """
        if chunk.usage is not None or chunk.error is not None or len(chunk.choices) != 1:
            return None
        if _slot_setters() is None:
            return None
        choice = chunk.choices[0]
        delta = choice.delta
        if choice.finish_reason is not None or delta.tool_calls is not None:
            return None
        for field in sorted(_FIELDS, key=lambda field: not getattr(delta, field)):
            value = getattr(delta, field)
            place = _place(event, field, value) if isinstance(value, str) else None
            if place is None:
                continue
            shared = _immutable(chunk, "choices") and _immutable(choice, "delta")
            if not (shared and _immutable(delta)):
                return None
            template = cls(event[: place[0]], event[place[1] :], field, chunk)
            if not template._proved():
                return None
            take_up(_NAME)
            return template
        return None

    def _proved(self) -> bool:
        """Whether another text in the place found parses into the chunk built with it.

        The bytes around it then hold every other value, so an event that keeps them
        and has a string body in between is that chunk with its own text.
        """
        probe = self.prefix + _PROBE.encode() + self.suffix
        try:
            parsed = ChatCompletionChunk.model_validate_json(probe)
        except ValueError:
            return False
        built = self.build(_PROBE)
        return parsed == built and _fields_sets(parsed) == _fields_sets(built)

    def read(self, event: bytes) -> TextDelta | None:
        """The text of an event with these bytes around it; None if it has other ones."""
        prefix = self.prefix
        suffix = self.suffix
        if len(event) < self.size or not (event.startswith(prefix) and event.endswith(suffix)):
            return None
        text = _text(event[len(prefix) : len(event) - len(suffix)])
        if text is None:
            return None
        if self.reasoning:
            return _new_text_delta(TextDelta, (self.index, self._other, text, self))
        return _new_text_delta(TextDelta, (self.index, text, self._other, self))


def _immutable(model: Any, copied: str = "") -> bool:
    """Whether a model's values (its extra fields too) but ``copied`` can be shared by copies."""
    values = [value for name, value in model.__dict__.items() if name != copied]
    values += (model.__pydantic_extra__ or {}).values()
    return all(isinstance(value, _SHARED) for value in values)


# --------------------------------------------------------------------------- first use

_Setter = Callable[[Any, Any], None]


def _slot_setters() -> dict[str, _Setter] | None:
    """pydantic's slot setters (``_construct.slot_setters``); None, said once, if they moved."""
    setters = slot_setters()
    if setters is None:
        stand_down(_NAME, "pydantic's model slots are not where expected")
    return setters


@functools.cache
def _string_reader() -> Callable[[str, int, bool], tuple[str, int]] | None:
    """The json module's own reader of a string body (in C, not in typeshed), if it
    reads as expected; without it, text with escapes is left to full parsing."""
    reader = getattr(json.decoder, "scanstring", None)
    try:
        works = reader is not None and reader('a\\n\\u00e9"', 0, True) == ("a\né", 10)
    except Exception:  # any failure means: do not use it
        works = False
    if not works:
        stand_down(
            _NAME + " (escaped text)", "json.decoder.scanstring is missing or reads otherwise"
        )
        return None
    return cast(Callable[[str, int, bool], tuple[str, int]], reader)


# --------------------------------------------------------------------------- building chunks


def _chunk_builder(
    template: ChatCompletionChunk, field: str
) -> Callable[[str], ChatCompletionChunk]:
    """A function building ``template`` with another text in ``field``, as pydantic does.

    Its values other than the text are the template's, immutable, so they are shared;
    each built model has its own ``__dict__``, fields set and extras, as a parsed one.
    """
    setters = cast(dict[str, _Setter], _slot_setters())
    set_dict, set_fields = setters["_dict"], setters["_fields_set"]
    set_extra, set_private = setters["_extra"], setters["_private"]
    new = object.__new__
    choice = template.choices[0]
    delta = choice.delta
    chunk_type, choice_type, delta_type = type(template), type(choice), type(delta)
    chunk_values, choice_values, delta_values = template.__dict__, choice.__dict__, delta.__dict__
    chunk_set = frozenset(template.__pydantic_fields_set__)
    choice_set = frozenset(choice.__pydantic_fields_set__)
    delta_set = frozenset(delta.__pydantic_fields_set__)
    chunk_extra, choice_extra, delta_extra = (
        template.__pydantic_extra__,
        choice.__pydantic_extra__,
        delta.__pydantic_extra__,
    )

    def build(text: str) -> ChatCompletionChunk:
        # Inner model first; each one as pydantic's model_construct sets it up. Each dict
        # is a copy with one value set (one dict, where a display with ** makes two).
        built_delta = new(delta_type)
        values = delta_values.copy()
        values[field] = text
        set_dict(built_delta, values)
        set_fields(built_delta, set(delta_set))
        set_extra(built_delta, None if delta_extra is None else dict(delta_extra))
        set_private(built_delta, None)
        built_choice = new(choice_type)
        values = choice_values.copy()
        values["delta"] = built_delta
        set_dict(built_choice, values)
        set_fields(built_choice, set(choice_set))
        set_extra(built_choice, None if choice_extra is None else dict(choice_extra))
        set_private(built_choice, None)
        chunk: ChatCompletionChunk = new(chunk_type)
        values = chunk_values.copy()
        values["choices"] = [built_choice]
        set_dict(chunk, values)
        set_fields(chunk, set(chunk_set))
        set_extra(chunk, None if chunk_extra is None else dict(chunk_extra))
        set_private(chunk, None)
        return chunk

    return build


def _place(event: bytes, field: str, value: str) -> tuple[int, int] | None:
    """Where the text of ``field`` (``value``) seems to sit in an event: its string body.

    A guess from the bytes (the one ``"field":`` key followed by a string that reads as
    ``value``), which :meth:`EventTemplate._proved` then checks.
    """
    key = _KEYS[field]
    if event.count(key) != 1:
        return None
    colon = _COLON_QUOTE.match(event, event.find(key) + len(key))
    if colon is None:
        return None
    start = end = colon.end()
    while True:  # the closing quote: the first one not escaped by a backslash
        end = event.find(b'"', end)
        if end < 0:
            return None
        backslashes = end - len(event[start:end].rstrip(b"\\")) - start
        if backslashes % 2 == 0:
            break
        end += 1
    return (start, end) if _text(event[start:end]) == value else None


def _text(body: bytes) -> str | None:
    """The text a JSON string body (without its quotes) stands for; None if it is not one,
    or if it is one that full parsing may read otherwise (invalid UTF-8, surrogates)."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return None  # left to full parsing, which reads invalid UTF-8 leniently
    if _SPECIAL.search(body) is None:
        return text
    scanstring = _string_reader()
    if scanstring is None:
        return None
    try:
        value, end = scanstring(text + '"', 0, True)
    except JSONDecodeError:
        return None
    if end != len(text) + 1 or _SURROGATE.search(value) is not None:
        return None  # a quote inside, or a lone surrogate (which the parser refuses)
    return value


def _fields_sets(chunk: ChatCompletionChunk) -> list[set[str]]:
    choice = chunk.choices[0]
    return [
        chunk.model_fields_set,
        choice.model_fields_set,
        choice.delta.model_fields_set,
    ]
