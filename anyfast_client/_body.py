"""Request bodies: JSON, with the large media strings put in as they are.

A request with images or video carries megabytes of base64 in a few strings of its
messages' content parts. JSON-encoding them scans every character for what needs an
escape, and the text is then copied into bytes. A string of printable ASCII without a
quote or a backslash is its own JSON text between quotes, so such strings are taken out
of the content parts before encoding, a marker stands in for each, and their bytes go
back in the marker's place: the body becomes a few pieces, each written once. The bytes
on the wire are the same as ``json.dumps`` would give.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

__all__ = ["PIECE", "Body", "encode"]

# The sync client hands a large body to httpcore in pieces of at most this size:
# httpcore's sync write copies whatever one ``send`` leaves over, so one large buffer
# costs time in the square of its size.
PIECE = 1 << 20
# Strings at least this long are worth taking out of the encoding.
_LARGE = 1 << 16
# The bytes that stand for themselves in a JSON string: printable ASCII but " and \.
_PLAIN = bytes(byte for byte in range(0x20, 0x7F) if byte not in b'"\\')


class Body:
    """An encoded body as pieces of bytes; iterating gives it in pieces of at most PIECE."""

    __slots__ = ("pieces", "size")

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.size = sum(len(piece) for piece in pieces)

    def joined(self) -> bytes:
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)

    def __iter__(self) -> Iterator[bytes]:
        # As often as the request is sent (a retry sends it again).
        for piece in self.pieces:
            view = memoryview(piece)
            for start in range(0, len(view), PIECE):
                yield view[start : start + PIECE]  # type: ignore[misc]  # h11 takes any buffer


def encode(body: dict[str, Any]) -> Body:
    """``body`` as compact JSON in UTF-8, its large plain content strings put in as bytes."""
    taken: list[bytes] = []
    marker = f"\0{secrets.token_hex(16)}\0"
    skeleton = _take_media(body, marker, taken)
    text = json.dumps(skeleton, ensure_ascii=False, separators=(",", ":"))
    if not taken:
        return Body([text.encode()])
    # The marker's JSON text without its quotes: the quotes stay in the pieces around it.
    parts = text.split(json.dumps(marker)[1:-1])
    if len(parts) != len(taken) + 1:  # the marker in the user's own text: not spliced
        return Body([json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()])
    pieces = [parts[0].encode()]
    for data, part in zip(taken, parts[1:], strict=True):
        pieces += [data, part.encode()]
    return Body(pieces)


def _take_media(body: dict[str, Any], marker: str, taken: list[bytes]) -> dict[str, Any]:
    """``body`` with the large plain strings of list contents replaced by ``marker``.

    Containers on the way to a replaced string are copied; nothing is changed in place.
    The strings are collected in the order ``json.dumps`` writes them.
    """
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    copied: list[Any] | None = None
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue  # text: it may need escapes, and it is encoded as usual
        replaced = _take(content, marker, taken)
        if replaced is not content:
            copied = copied if copied is not None else list(messages)
            copied[index] = {**message, "content": replaced}
    return body if copied is None else {**body, "messages": copied}


def _take(value: Any, marker: str, taken: list[bytes]) -> Any:
    if isinstance(value, str):
        data = _plain(value) if len(value) >= _LARGE else None
        if data is None:
            return value
        taken.append(data)
        return marker
    if isinstance(value, dict):
        items = {key: _take(item, marker, taken) for key, item in value.items()}
        changed = any(items[key] is not item for key, item in value.items())
        return items if changed else value
    if isinstance(value, list):
        elements = [_take(item, marker, taken) for item in value]
        changed = any(new is not old for new, old in zip(elements, value, strict=True))
        return elements if changed else value
    return value


def _plain(text: str) -> bytes | None:
    """The bytes of ``text`` if it is its own JSON encoding between quotes, else None."""
    if not text.isascii():  # known without a scan
        return None
    data = text.encode("ascii")
    # One pass that deletes every plain byte: anything left needs an escape.
    return None if data.translate(None, _PLAIN) else data
