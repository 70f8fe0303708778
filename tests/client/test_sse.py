"""The SSE decoder: the same events however the bytes are split and lines end."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from anyfast_client import (
    AnyfastError,
    BadRequestError,
    ContentDecodingError,
    InternalServerError,
    PermissionDeniedError,
    StreamInterruptedError,
)
from anyfast_client._sse import SSEDecoder

from .conftest import (
    DONE,
    Api,
    BodyStream,
    RawServer,
    chunk,
    completion_json,
    event,
    event_texts,
    fixture_bytes,
    hold_open,
    request,
    send_sse,
    sse_response,
)

ENDINGS = {"LF": b"\n", "CR": b"\r", "CRLF": b"\r\n"}
BOM = b"\xef\xbb\xbf"


def decode(*pieces: bytes) -> list[str]:
    """The events of a whole stream fed in ``pieces``; an unfinished last event is not one."""
    return decode_with_pending(*pieces)[0]


def decode_with_pending(*pieces: bytes) -> tuple[list[str], str | None]:
    decoder = SSEDecoder()
    events = [e for piece in pieces for e in event_texts(decoder, piece)]
    return events, decoder.flush()


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def with_ending(data: bytes, ending: bytes) -> bytes:
    return data.replace(b"\n", ending)


def test_recorded_stream_events() -> None:
    events = decode(fixture_bytes("thinking.sse"))
    assert len(events) == 7
    assert events[-1] == "[DONE]"
    # Comments are dropped; the two data lines of one event join with a newline.
    assert all(not e.startswith(":") for e in events)
    assert '"model":"qwen3.6-flash",\n"choices"' in events[4]
    assert json.loads(events[3])["choices"][0]["delta"]["content"] == "天空是蓝色的 ☀️🌍"


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
@pytest.mark.parametrize("name", ["thinking.sse", "tool_calls.sse"])
def test_split_at_every_byte_boundary(name: str, ending: bytes) -> None:
    data = with_ending(fixture_bytes(name), ending)
    assert_same_at_every_split(data, decode(fixture_bytes(name)))


def assert_same_at_every_split(data: bytes, expected: list[str]) -> None:
    assert expected
    assert decode(data) == expected
    for cut in range(1, len(data)):
        assert decode(data[:cut], data[cut:]) == expected, cut
    assert decode(*(data[i : i + 1] for i in range(len(data)))) == expected


def test_bom_and_mixed_endings_at_every_split() -> None:
    # A BOM, then CRLF, CR and LF mixed, even within one line ending pair
    # ("\n\r\n" is LF then CRLF): every cut puts some CR and LF in different reads.
    data = fixture_bytes("bom_mixed_endings.sse")
    events = decode(data)
    contents = [json.loads(e)["choices"][0]["delta"].get("content") for e in events[:-1]]
    assert contents == ["", "Mixed ", "line ", "endings ↵", None]
    assert events[-1] == "[DONE]"
    assert_same_at_every_split(data, events)


def test_crlf_split_between_cr_and_lf_makes_no_extra_blank_line() -> None:
    # If the LF after a split CR counted as a line of its own, the first data line
    # would end an event too early and the multi-line event would come out as two.
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == ["a\nb"]
    assert decode(b"data: a\r", b"", b"\n\r\n") == ["a"]


def test_lf_after_a_whole_crlf_in_the_previous_read_is_a_blank_line() -> None:
    # The read ends after a complete CRLF: the LF starting the next read is an
    # empty line that ends the event, not the second half of that CRLF.
    assert decode(b"data: a\r\n", b"\ndata: b\r\n\r\n") == ["a", "b"]
    assert decode(b"data: a\r\n", b"\n", b"data: b\n\n") == ["a", "b"]


def test_lone_cr_then_data_is_a_line_break() -> None:
    assert decode(b"data: a\r", b"data: b\r\r") == ["a\nb"]


def test_utf8_split_inside_a_character() -> None:
    raw = "data: 蓝🌍\n\n".encode()
    for cut in range(len(raw)):
        assert decode(raw[:cut], raw[cut:]) == ["蓝🌍"]


def test_a_bom_is_skipped_at_the_start_only_however_it_is_split() -> None:
    raw = BOM + b"data: first\n\n" + BOM + b"data: dropped\n\ndata: last\n\n"
    for cut in range(len(raw)):
        assert decode(raw[:cut], raw[cut:]) == ["first", "last"], cut
    assert decode(*(raw[i : i + 1] for i in range(len(raw)))) == ["first", "last"]


def test_a_stream_of_only_part_of_a_bom_has_no_events() -> None:
    assert decode_with_pending(BOM[:2]) == ([], None)


def test_comments_other_fields_and_field_forms() -> None:
    data = b": PING\nevent: message\nid: 3\nretry: 10\ndata:no-space\ndata\ndata:  two\n\n"
    assert decode(data) == ["no-space\n\n two"]


def test_comment_only_stream_has_no_events() -> None:
    assert decode_with_pending(b": PING\n\n: PING\n\n") == ([], None)


def test_an_event_the_stream_ends_in_is_pending_not_dispatched() -> None:
    assert decode_with_pending(b"data: a\n\ndata: [DONE]") == (["a"], "[DONE]")
    assert decode_with_pending(b"data: a\n\ndata: [DONE]\n") == (["a"], "[DONE]")
    assert decode_with_pending(b'data: {"id":\ndata: "c') == ([], '{"id":\n"c')
    assert decode_with_pending(b"data: a\n\n") == (["a"], None)


def test_events_come_out_as_soon_as_they_end() -> None:
    decoder = SSEDecoder()
    assert event_texts(decoder, b"data: a\n") == []
    assert event_texts(decoder, b"\ndata: b") == ["a"]
    assert decoder.flush() == "b"


def _best_time(body: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        decoder = SSEDecoder()
        events = decoder.feed_raw(body)
        best = min(best, time.perf_counter() - start)
    assert len(events) == body.count(b"data:")
    return best


def test_cr_only_line_endings_decode_in_linear_work() -> None:
    # One read of CR-ended lines. Scanning for LF and then for a CR before it re-reads
    # the rest of the buffer for every CR-ended line: quadratic, 16x the time for 4x
    # the body. Linear work takes about 4x; best of three of each, under 8x holds on a
    # slow machine.
    event = b'data: {"choices":[{"index":0,"delta":{"content":"hello"}}]}\r\r'
    small = event * (500_000 // len(event))
    assert _best_time(small * 4) < 8 * _best_time(small)


# --------------------------------------------------------------------------- through the client


def test_a_body_ending_in_the_middle_of_an_event_is_a_cut_stream(make_api: Any) -> None:
    cut = b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"del'
    api = make_api(sse_response(chunk({"content": "Hel"}), cut), max_retries=0)
    with pytest.raises(StreamInterruptedError, match="in the middle of an event") as info:
        api.stream(request())
    assert info.value.partial.choices[0].message.content == "Hel"


def test_done_without_its_blank_line_ends_the_stream(make_api: Any) -> None:
    api = make_api(sse_response(chunk({"content": "ok"}, "stop"), b"data: [DONE]"))
    assert api.stream(request()).completion.choices[0].message.content == "ok"


def test_empty_events_and_done_with_spaces_are_read_leniently(make_api: Any) -> None:
    body = (
        chunk({"content": "a"}) + b"data:\n\ndata: \n\n" + chunk({}, "stop") + b"data: [DONE] \n\n"
    )
    api = make_api(sse_response(body))
    assert api.stream(request()).completion.choices[0].message.content == "a"


@pytest.mark.parametrize("content_type", ["application/json", "text/html; charset=utf-8"])
def test_a_stream_labelled_json_or_html_is_still_read(make_api: Any, content_type: str) -> None:
    body = BodyStream([chunk({"content": "ok"}, "stop"), DONE])
    api = make_api(httpx.Response(200, headers={"content-type": content_type}, stream=body))
    assert api.stream(request()).completion.choices[0].message.content == "ok"


QUOTA = {
    "message": "insufficient quota",
    "type": "insufficient_quota",
    "param": None,
    "code": "insufficient_quota",
}


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"error": QUOTA}).encode(),
        BOM + json.dumps({"error": {**QUOTA, "code": None}}, indent=2).encode() + b"\n",
    ],
    ids=["one-line", "pretty-printed-type-only"],
)
def test_a_bare_json_error_sent_as_an_event_stream_is_that_error(
    make_api: Any, sleeps: list[float], body: bytes
) -> None:
    api = make_api(sse_response(*pieces(body, 7)))
    with pytest.raises(PermissionDeniedError, match="insufficient quota") as info:
        api.stream(request())
    assert info.value.type == "insufficient_quota"
    assert len(api.wire.requests) == 1 and sleeps == []


def test_a_stream_of_nothing_but_pings_is_still_a_cut_stream(make_api: Any) -> None:
    api = make_api(sse_response(b": PING\n\n", b"event: x\n"), max_retries=0)
    with pytest.raises(StreamInterruptedError, match="before \\[DONE\\]"):
        api.stream(request())


def pinging_forever(hung_up: threading.Event) -> Callable[[socket.socket], None]:
    """After [DONE], a comment every 20 ms until the client hangs up."""

    def then(conn: socket.socket) -> None:
        ping = b": PING\n\n"
        try:
            while True:
                conn.sendall(b"%x\r\n%s\r\n" % (len(ping), ping))
                time.sleep(0.02)
        except OSError:
            hung_up.set()

    return then


@pytest.mark.timeout(20)
def test_done_ends_the_call_while_the_server_keeps_pinging(
    mode: str, raw_server: RawServer
) -> None:
    hung_up = threading.Event()
    events = [chunk({"content": "a"}), chunk({}, "stop"), DONE]
    raw_server.scripts.append(send_sse(*events, then=pinging_forever(hung_up)))
    api = Api(mode, base_url=raw_server.base_url, timeout=30)
    assert api.stream(request()).completion.choices[0].message.content == "a"
    assert hung_up.wait(5)


@pytest.mark.timeout(20)
def test_done_ends_the_call_while_the_server_says_nothing(mode: str, raw_server: RawServer) -> None:
    events = [chunk({"content": "a"}), chunk({}, "stop"), DONE]
    raw_server.scripts.append(send_sse(*events, then=hold_open))
    api = Api(mode, base_url=raw_server.base_url, timeout=30)
    started = time.monotonic()
    assert api.stream(request()).completion.choices[0].message.content == "a"
    assert time.monotonic() - started < 5  # not the 30 s read timeout
    assert raw_server.closed_by_client.wait(5)


def test_a_sync_stream_that_ends_after_done_keeps_its_connection(raw_server: RawServer) -> None:
    # (An async client keeps one pool per event loop, and each asyncio.run is a new loop.)
    for text in ("a", "b"):
        raw_server.scripts.append(send_sse(chunk({"content": text}), chunk({}, "stop"), DONE))
    api = Api("sync", base_url=raw_server.base_url, timeout=30)
    first = api.stream(request()).completion
    time.sleep(0.4)  # past the drain deadline: a late hang-up would show
    second = api.stream(request()).completion
    api.client.close()
    assert [first.choices[0].message.content, second.choices[0].message.content] == ["a", "b"]
    assert raw_server.connections == 1


def gzip_lie(content_type: str, body: bytes) -> httpx.Response:
    headers = {"content-type": content_type, "content-encoding": "gzip"}
    return httpx.Response(200, headers=headers, stream=BodyStream([body]))


def test_a_body_that_does_not_match_its_content_encoding_is_named(
    make_api: Any, sleeps: list[float]
) -> None:
    api = make_api(
        gzip_lie("application/json", json.dumps(completion_json()).encode()),
        gzip_lie("text/event-stream", chunk({"content": "a"}, "stop") + DONE),
    )
    with pytest.raises(ContentDecodingError, match="Content-Encoding 'gzip'") as info:
        api.chat(request())
    assert isinstance(info.value.__cause__, httpx.DecodingError)
    with pytest.raises(ContentDecodingError, match="Content-Encoding 'gzip'") as info:
        api.stream(request())
    assert "of POST http" in str(info.value) and "/chat/completions" in str(info.value)
    assert len(api.wire.requests) == 2 and sleeps == []


def test_an_error_status_whose_body_does_not_match_its_encoding(make_api: Any) -> None:
    # It keeps its status (tests/client/test_error_bodies.py has the rest).
    headers = {"content-encoding": "deflate"}
    bad = httpx.Response(400, headers=headers, stream=BodyStream([b"plain text"]))
    api = make_api(bad)
    with pytest.raises(BadRequestError, match="'deflate'"):
        api.chat(request())


# --------------------------------------------------------------------------- hostile


@pytest.mark.parametrize("code", ["²", "४२९", "4" * 5000, "1e3", 1_000_000])
def test_an_error_code_that_is_not_a_status_is_kept_as_a_code(make_api: Any, code: Any) -> None:
    error = event({"error": {"message": "odd", "code": code}})
    api = make_api(sse_response(error), max_retries=0)
    with pytest.raises(InternalServerError, match="odd") as info:
        api.stream(request())
    assert info.value.code == code and info.value.status_code == 500


DEEP = b"[" * 100_000 + b"]" * 100_000


def test_json_nested_100k_deep_is_a_clear_error_everywhere(make_api: Any) -> None:
    deep_chunk = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":' + DEEP + b"}}]}\n\n"
    api = make_api(
        httpx.Response(200, content=b'{"id":"r1","choices":' + DEEP + b"}"),
        sse_response(deep_chunk),
        sse_response(DEEP),
        httpx.Response(400, content=DEEP),
        max_retries=0,
    )
    with pytest.raises(AnyfastError, match="not a ChatCompletion"):
        api.chat(request())
    with pytest.raises(AnyfastError, match="Malformed stream event"):
        api.stream(request())
    with pytest.raises(AnyfastError, match="Asked for an event stream"):
        api.stream(request())
    with pytest.raises(BadRequestError, match="Bad Request"):
        api.chat(request())
