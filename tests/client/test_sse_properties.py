"""Properties of stream framing, over generated streams (hypothesis).

Whatever the line endings, comments, other fields, byte order mark and read
boundaries, a stream decodes to the events it was written from; and whatever
bytes arrive, the decoders give events or an :class:`AnyfastError`, never
another exception.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyfast_client import AnyfastClient, AnyfastError, ChatRequest, UserMessage
from anyfast_client._decode import ChunkDecoder
from anyfast_client._sse import SSEDecoder

from .conftest import event_texts

BOM = b"\xef\xbb\xbf"
ENDINGS = st.sampled_from([b"\n", b"\r", b"\r\n"])
# Any text a data line can hold: everything but the line endings (and lone surrogates,
# which UTF-8 cannot carry).
LINE_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"))
EVENTS = st.lists(st.lists(LINE_TEXT, min_size=1, max_size=4), max_size=6)
NOISE = st.sampled_from([b": PING", b":", b"event: message", b"id: 7", b"retry: 10", b"x-y: z"])

FAST = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


class Renderer:
    """Writes lines with chosen endings, never letting a CR and the next LF make one CRLF."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.out = bytearray()

    def line(self, text: bytes) -> None:
        ending = self.draw(ENDINGS)
        if not text and ending == b"\n" and self.out.endswith(b"\r"):
            ending = b"\r\n"  # a lone LF right after a CR would finish that CR's line ending
        self.out += text + ending

    def noise(self) -> None:
        for item in self.draw(st.lists(NOISE, max_size=2)):
            self.line(item)


@st.composite
def rendered_streams(draw: Any) -> tuple[bytes, list[str]]:
    events: list[list[str]] = draw(EVENTS)
    out = Renderer(draw)
    if draw(st.booleans()):
        out.out += BOM
    for lines in events:
        out.noise()
        for text in lines:
            out.line(b"data: " + text.encode())
            out.noise()
        out.line(b"")
    return bytes(out.out), ["\n".join(lines) for lines in events]


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def cuts_in(data: bytes, draw: Any) -> list[int]:
    return draw(st.lists(st.integers(min_value=0, max_value=len(data)), max_size=24))


def decode(pieces: list[bytes]) -> tuple[list[str], str | None]:
    decoder = SSEDecoder()
    events = [e for piece in pieces for e in event_texts(decoder, piece)]
    return events, decoder.flush()


@FAST
@given(rendered_streams(), st.data())
def test_a_rendered_stream_decodes_to_its_events_at_any_split(
    stream: tuple[bytes, list[str]], data: st.DataObject
) -> None:
    body, events = stream
    assert decode([body]) == (events, None)
    assert decode(split(body, cuts_in(body, data.draw))) == (events, None)


@FAST
@given(st.binary(max_size=300), st.data())
def test_any_bytes_split_anywhere_decode_as_in_one_read(body: bytes, data: st.DataObject) -> None:
    assert decode(split(body, cuts_in(body, data.draw))) == decode([body])


class _LineByLine(SSEDecoder):
    """The decoder without its one-pass split of whole events: every read line by line."""

    def feed_raw(self, chunk: bytes) -> list[bytes]:
        if self._head is not None:
            chunk = self._skip_bom(chunk)
        return self._feed_lines(chunk)


# LF-only streams, mostly whole "data: " events as gateways send them, with the shapes
# that must leave the one-pass split: other fields, comments, several data lines, a data
# line without its space, empty events and extra blank lines.
LF_BLOCK = st.one_of(
    # Twice: the usual shape, drawn more often.
    st.builds(lambda t: b"data: " + t.encode() + b"\n\n", LINE_TEXT),
    st.builds(lambda t: b"data: " + t.encode() + b"\n\n", LINE_TEXT),
    st.builds(lambda t: b"data:" + t.encode() + b"\n\n", LINE_TEXT),
    st.builds(
        lambda a, b: b"data: " + a.encode() + b"\ndata: " + b.encode() + b"\n\n",
        LINE_TEXT,
        LINE_TEXT,
    ),
    NOISE.map(lambda n: n + b"\n"),
    st.just(b"\n"),
    st.just(b"data: [DONE]\n\n"),
)


@FAST
@given(st.lists(LF_BLOCK, max_size=12), st.booleans(), st.data())
def test_whole_event_reads_decode_as_line_by_line(
    blocks: list[bytes], bom: bool, data: st.DataObject
) -> None:
    body = (BOM if bom else b"") + b"".join(blocks)
    pieces = split(body, cuts_in(body, data.draw))
    fast, slow = SSEDecoder(), _LineByLine()
    assert [e for p in pieces for e in fast.feed_raw(p)] == [
        e for p in pieces for e in slow.feed_raw(p)
    ]
    assert fast.flush() == slow.flush()


def chunk_event(text: str, finish: str | None = None) -> bytes:
    payload = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


@FAST
@given(st.lists(LINE_TEXT, max_size=5), ENDINGS, st.data())
def test_a_chat_stream_gives_the_same_answer_at_any_split(
    texts: list[str], ending: bytes, data: st.DataObject
) -> None:
    body = b"".join(chunk_event(t) for t in texts) + chunk_event("", "stop") + b"data: [DONE]\n\n"
    body = body.replace(b"\n", ending)
    decoder = ChunkDecoder()
    for piece in split(body, cuts_in(body, data.draw)):
        decoder.feed(piece)
    decoder.close()
    assert decoder.accumulator.result().choices[0].message.content == "".join(texts)


def garbage_bodies() -> st.SearchStrategy[bytes]:
    """Random bytes, and random bytes mixed into pieces of a real stream."""
    pieces = st.sampled_from(
        [
            chunk_event("a"),
            chunk_event("", "stop"),
            b"data: [DONE]\n\n",
            b'data: {"error": {"message": "x", "code": "\xc2\xb2"}}\n\n',
            b'{"error": {"message": "quota"}}',
            b"data: {",
            b"data: null\n\n",
            b"\r",
            b"\n",
            BOM,
        ]
    )
    mixed = st.lists(st.one_of(pieces, st.binary(max_size=20)), max_size=8).map(b"".join)
    return st.one_of(st.binary(max_size=200), mixed)


@FAST
@given(
    garbage_bodies(),
    st.sampled_from(["text/event-stream", "application/json", None]),
    st.data(),
)
def test_any_body_gives_chunks_or_an_anyfast_error(
    body: bytes, content_type: str | None, data: st.DataObject
) -> None:
    decoder = ChunkDecoder(content_type)
    try:
        for piece in split(body, cuts_in(body, data.draw)):
            decoder.feed(piece)
        decoder.close()
    except AnyfastError:
        return
    assert decoder.done


@pytest.fixture(scope="module")
def client_for_bodies() -> Any:
    """One client whose every answer is the body placed in ``holder``."""
    holder: dict[str, bytes] = {}

    def handler(_: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, content=holder["body"])

    transport = httpx.MockTransport(handler)
    http = httpx.Client(transport=transport)
    client = AnyfastClient(api_key="sk-test", http_client=http, max_retries=0)
    yield client, holder
    client.close()
    http.close()


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(garbage_bodies())
def test_any_streamed_body_through_the_client_is_an_answer_or_an_anyfast_error(
    client_for_bodies: Any, body: bytes
) -> None:
    client, holder = client_for_bodies
    holder["body"] = body
    request = ChatRequest(messages=[UserMessage(content="hi")])
    try:
        with client.chat_stream(request) as stream:
            list(stream)
    except AnyfastError:
        return
    assert stream.completion.choices[0].finish_reason is not None
