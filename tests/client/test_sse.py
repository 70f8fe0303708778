"""The SSE decoder: the same events however the bytes are split and lines end."""

from __future__ import annotations

import json
import time

import pytest

from anyfast_client._sse import SSEDecoder

from .conftest import fixture_bytes

ENDINGS = {"LF": b"\n", "CR": b"\r", "CRLF": b"\r\n"}
BOM = b"\xef\xbb\xbf"


def decode(*pieces: bytes) -> list[str]:
    """The events of a whole stream fed in ``pieces``; an unfinished last event is not one."""
    return decode_with_pending(*pieces)[0]


def decode_with_pending(*pieces: bytes) -> tuple[list[str], str | None]:
    decoder = SSEDecoder()
    events = [e for piece in pieces for e in decoder.feed(piece)]
    return events, decoder.flush()


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
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\ndata: b") == ["a"]
    assert decoder.flush() == "b"


def _best_time(body: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        decoder = SSEDecoder()
        events = decoder.feed(body)
        best = min(best, time.perf_counter() - start)
    assert len(events) == body.count(b"data:")
    return best


def test_cr_only_line_endings_decode_in_linear_work() -> None:
    # 2 MB in one read. Scanning for LF and then for a CR before it re-reads the
    # rest of the buffer for every CR-ended line: 10x slower than LF at 1.6 MB
    # and growing with the size. A ratio to the same body with LF endings is
    # robust to a slow machine; linear work keeps it near 1.
    event = b'data: {"choices":[{"index":0,"delta":{"content":"hello"}}]}\n\n'
    body_lf = event * (2_000_000 // len(event))
    body_cr = body_lf.replace(b"\n", b"\r")
    assert _best_time(body_cr) < 3 * _best_time(body_lf)
