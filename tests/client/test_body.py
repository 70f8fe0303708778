"""Request bodies: the same bytes as json.dumps, with large media strings put in as they are."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from anyfast_client import AnyfastClient, ChatRequest, UserMessage
from anyfast_client._body import PIECE, Body, encode

from .conftest import KEY, RawServer, completion_json, send_json

IMAGE = "data:image/png;base64," + base64.b64encode(bytes(range(256)) * 1024).decode()


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _media_body(*urls: str, text: str = "Describe these.") -> dict[str, Any]:
    parts: list[Any] = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url, "detail": "auto"}} for url in urls]
    return {
        "model": "qwen3.6-flash",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": parts},
        ],
        "stream": False,
    }


def test_media_strings_are_spliced_into_the_same_bytes() -> None:
    body = _media_body(IMAGE, IMAGE.replace("A", "B"), "https://example.com/cat.png")
    encoded = encode(body)
    assert encoded.joined() == _dumps(body)
    assert encoded.size == len(_dumps(body))
    # The two large URLs went in as pieces of their own, not through the encoder.
    assert IMAGE.encode() in encoded.pieces
    assert len(encoded.pieces) == 5


def test_strings_that_need_escapes_or_are_not_ascii_are_encoded_as_usual() -> None:
    quoted = "x" * 70_000 + '"'
    newline = "x" * 70_000 + "\n"
    wide = "é" * 70_000
    body = _media_body(quoted, newline, wide)
    encoded = encode(body)
    assert encoded.pieces == [_dumps(body)]


def test_text_messages_and_other_bodies_are_not_walked() -> None:
    big = "y" * 200_000
    chat = {"model": "m", "messages": [{"role": "user", "content": big}]}
    embeddings = {"model": "e", "input": [big, big]}
    assert encode(chat).pieces == [_dumps(chat)]
    assert encode(embeddings).pieces == [_dumps(embeddings)]


def test_the_callers_body_is_left_as_it_was() -> None:
    body = _media_body(IMAGE)
    before = copy.deepcopy(body)
    encode(body)
    assert body == before
    assert body["messages"][1]["content"][1]["image_url"]["url"] is not None


def test_a_body_holding_the_marker_text_is_still_encoded_exactly(monkeypatch: Any) -> None:
    from anyfast_client import _body

    monkeypatch.setattr(_body.secrets, "token_hex", lambda n: "fixed")
    body = _media_body(IMAGE, text="\0fixed\0")
    assert encode(body).joined() == _dumps(body)


def test_iterating_gives_the_body_in_bounded_pieces_every_time() -> None:
    body = Body([b"a" * (PIECE + 10), b"bc", b"d" * (2 * PIECE)])
    for _ in range(2):  # a retry sends it again
        pieces = [bytes(piece) for piece in body]
        assert b"".join(pieces) == body.joined()
        assert max(len(piece) for piece in pieces) <= PIECE


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)
_large = st.sampled_from([IMAGE, "z" * 65_536, "q" * 65_535, "w" * 70_000 + "\\", "\0" * 70_000])


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(
        st.one_of(_json, _large, st.dictionaries(st.text(max_size=5), _large)), max_size=5
    ),
    extra=_json,
)
def test_any_body_encodes_to_the_bytes_json_dumps_gives(parts: list[Any], extra: Any) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": parts}, "odd"], "x": extra}
    assert encode(body).joined() == _dumps(body)


def test_a_large_body_is_sent_again_whole_when_the_call_is_retried(
    raw_server: RawServer, sleeps: list[float]
) -> None:
    # Sent in pieces with its Content-Length by the sync client; the retry sends it again.
    raw_server.scripts += [
        send_json({"error": {"message": "busy"}}, 503),
        send_json(completion_json()),
    ]
    client = AnyfastClient(api_key=KEY, base_url=raw_server.base_url)
    parts = [{"type": "image_url", "image_url": {"url": IMAGE}}] * 4  # 1.4 MB: past one PIECE
    chat = ChatRequest(messages=[UserMessage(content=parts)])
    try:
        assert client.chat(chat).choices[0].message.content == "hello"
    finally:
        client.close()
    first, second = raw_server.requests
    sent = _dumps(chat.to_body(stream=False))
    assert first.endswith(b"\r\n\r\n" + sent) and second.endswith(b"\r\n\r\n" + sent)
    assert f"content-length: {len(sent)}".encode() in first.lower()
    assert len(sleeps) == 1
