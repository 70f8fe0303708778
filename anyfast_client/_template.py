"""What a stream's text events share: their bytes around the one string that changes.

A gateway streams an answer as many events that differ only in their piece of text::

    {"id":"chatcmpl-1","created":5,...,"choices":[{"index":0,"delta":{"content":"Hel"},...}]}
    {"id":"chatcmpl-1","created":5,...,"choices":[{"index":0,"delta":{"content":"lo"},...}]}

An :class:`Envelope` is learnt from one event that was parsed in full: the bytes before
and after the text of its delta (``content`` or ``reasoning_content``). A later event
with the same bytes around a JSON string body is that same chunk with another text, so
it needs no parsing: :meth:`Envelope.read` reads the text, :meth:`Envelope.chunk` builds
the chunk as parsing would have built it. Whether the bytes found really are that
string is proved when the envelope is learnt, by parsing a probe with another text in
its place. Anything that does not fit, and text that full parsing may read otherwise
(bytes that are not UTF-8, lone surrogates), goes back to full parsing. No I/O.
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Callable
from json import JSONDecodeError
from typing import Any

from ._construct import SLOT_SETTERS
from ._models import ChatCompletionChunk, ChunkChoice, Delta

__all__ = ["Envelope", "TextPiece"]

# (choice index, content, reasoning_content, envelope) of a chunk that carries only
# text: what an adapter reads of such a chunk, handed over without building the chunk
# (``envelope.chunk_of(piece)`` builds it).
TextPiece = tuple[int, "str | None", "str | None", "Envelope"]

_FIELDS = ("content", "reasoning_content")
_KEYS = {field: b'"' + field.encode() + b'"' for field in _FIELDS}
_COLON_QUOTE = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"')
# What a JSON string body needs more than a UTF-8 decode for (or cannot hold raw).
_SPECIAL = re.compile(rb'[\x00-\x1f"\\]')
# Surrogates left after escapes are read (a pair becomes one character).
_SURROGATE = re.compile("[\ud800-\udfff]")
_PROBE = "\u00e9~"  # the text put in place of an event's own, to prove where it sits

_SHARED = (str, int, float, type(None))  # bool is an int
# The json module's own reader of a string body (in C), which typeshed does not list.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class Envelope:
    """The bytes around the text of one event, and how to build the chunk it holds."""

    __slots__ = (
        "_other",
        "chunk",
        "index",
        "prefix",
        "reasoning",
        "role",
        "size",
        "suffix",
    )

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
        # chunk(text): the chunk of the event with this text, as parsing builds it.
        self.chunk = _chunk_builder(template, field)

    @classmethod
    def learn(cls, event: bytes, chunk: ChatCompletionChunk) -> Envelope | None:
        """The envelope of an event that ``chunk`` was parsed from, or None if it has none.

        Only a chunk of one choice that adds text and nothing else has one: no usage,
        error, tool calls or finish reason, and no value a copy would share with it
        (lists, objects). The text it sits in is the one whose bytes can be found,
        preferring a field that holds text over an empty one.
        """
        if chunk.usage is not None or chunk.error is not None or len(chunk.choices) != 1:
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
            envelope = cls(event[: place[0]], event[place[1] :], field, chunk)
            return envelope if envelope._proved() else None
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
        built = self.chunk(_PROBE)
        return parsed == built and _fields_sets(parsed) == _fields_sets(built)

    def read(self, event: bytes) -> TextPiece | None:
        """The piece of an event with these bytes around its text; None if it has other ones."""
        prefix = self.prefix
        suffix = self.suffix
        if len(event) < self.size or not (event.startswith(prefix) and event.endswith(suffix)):
            return None
        text = _text(event[len(prefix) : len(event) - len(suffix)])
        if text is None:
            return None
        if self.reasoning:
            return (self.index, self._other, text, self)
        return (self.index, text, self._other, self)

    def chunk_of(self, piece: TextPiece) -> ChatCompletionChunk:
        """The chunk a piece stands for (built now)."""
        text = piece[2] if self.reasoning else piece[1]
        return self.chunk(text or "")


def _immutable(model: Any, copied: str = "") -> bool:
    """Whether a model's values (its extra fields too) but ``copied`` can be shared by copies."""
    values = [value for name, value in model.__dict__.items() if name != copied]
    values += (model.__pydantic_extra__ or {}).values()
    return all(isinstance(value, _SHARED) for value in values)


# --------------------------------------------------------------------------- building chunks

_Builder = Callable[[str], ChatCompletionChunk]
# One function per shape of chunk (its fields, the fields it was sent with, its extra
# keys, the field that varies), written once and given each envelope's values.
_MAKERS: dict[tuple[Any, ...], Callable[..., _Builder]] = {}
_MAKERS_LIMIT = 64
_NAMESPACE = {
    "_new": object.__new__,
    **SLOT_SETTERS,
    "_Chunk": ChatCompletionChunk,
    "_Choice": ChunkChoice,
    "_Delta": Delta,
}


def _chunk_builder(template: ChatCompletionChunk, field: str) -> _Builder:
    """A function building ``template`` with another text in ``field``, as pydantic does.

    Its values other than the text are the template's, immutable, so they are shared.
    """
    choice = template.choices[0]
    levels = [
        ("_delta", choice.delta, field),
        ("_choice", choice, "delta"),
        ("_chunk", template, "choices"),
    ]
    shape: tuple[Any, ...] = (field,)
    values: list[Any] = []
    for _, model, varying in levels:
        extra = model.__pydantic_extra__
        shape += (
            tuple(model.__dict__),
            tuple(sorted(model.__pydantic_fields_set__)),
            None if extra is None else tuple(extra),
        )
        values += [value for name, value in model.__dict__.items() if name != varying]
        values += (extra or {}).values()
    make = _MAKERS.get(shape)
    if make is None:
        if len(_MAKERS) >= _MAKERS_LIMIT:
            _MAKERS.clear()
        make = _MAKERS[shape] = _write_maker(levels, len(values))
    return make(*values)


def _write_maker(levels: list[tuple[str, Any, str]], count: int) -> Callable[..., _Builder]:
    # Every name in the source is a model field or an extra key, written with repr(), and
    # every value is an argument: as dataclasses writes __init__, nothing is evaluated.
    arguments = [f"_v{position}" for position in range(count)]
    taken = iter(arguments)
    body = ["    def build(_text):"]
    # What each level holds in its varying field, and its class.
    inner = {"_delta": "_text", "_choice": "_delta", "_chunk": "[_choice]"}
    classes = {"_delta": "_Delta", "_choice": "_Choice", "_chunk": "_Chunk"}
    for name, model, varying in levels:
        entries = [
            f"{key!r}: {inner[name] if key == varying else next(taken)}" for key in model.__dict__
        ]
        extra = model.__pydantic_extra__
        extras = (
            "None"
            if extra is None
            else "{" + ", ".join(f"{key!r}: {next(taken)}" for key in extra) + "}"
        )
        given = sorted(model.__pydantic_fields_set__)
        fields_set = "{" + ", ".join(map(repr, given)) + "}" if given else "set()"
        body += [
            f"        {name} = _new({classes[name]})",
            f"        _dict({name}, {{{', '.join(entries)}}})",
            f"        _fields_set({name}, {fields_set})",
            f"        _extra({name}, {extras})",
            f"        _private({name}, None)",
        ]
    source = "\n".join(
        [
            f"def make({', '.join(arguments)}):",
            *body,
            "        return _chunk",
            "    return build",
            "",
        ]
    )
    namespace: dict[str, Any] = dict(_NAMESPACE)
    exec(compile(source, "<chunk builder>", "exec"), namespace)  # noqa: S102
    maker: Callable[..., _Builder] = namespace["make"]
    return maker


def _place(event: bytes, field: str, value: str) -> tuple[int, int] | None:
    """Where the text of ``field`` (``value``) seems to sit in an event: its string body.

    A guess from the bytes (the one ``"field":`` key followed by a string that reads as
    ``value``), which :meth:`Envelope._proved` then checks.
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
    try:
        value, end = _scanstring(text + '"', 0, True)
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
