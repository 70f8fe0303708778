"""The SSE decoder against the cases of the well-known decoders and of the standard.

Each case is transcribed, as data, from its source: openai-python
(``tests/test_streaming.py``, ``tests/test_sse_framing.py``), httpx-sse
(``tests/test_decoders.py``, ``tests/test_event_source.py``), the
web-platform-tests ``eventsource/`` directory and the WHATWG HTML standard,
section 9.2.6 "Interpreting an event stream". Every case is decoded from one
read, from two reads cut at every byte (with an empty read at the cut), and
byte by byte; the few large ones in pieces of the sizes their source uses.

The expectation is the events' ``data``: this wire uses no other field. Where
a peer dispatches an event that has no ``data`` line (openai-python and
httpx-sse do, for ``event: ping``), the standard does not ("If the data buffer
is an empty string, ... return"), and neither does this decoder; those cases
say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from anyfast_client._decode import ChunkDecoder
from anyfast_client._sse import LineDecoder, SSEDecoder

from .conftest import event_texts

BOM = "\ufeff"


@dataclass(frozen=True)
class Case:
    source: str
    body: bytes
    events: list[str]
    pending: str | None = None  # the data of the unfinished event the body ends in
    # Bodies too large to cut at every byte are read in pieces of these sizes
    # (openai's test_sse_framing.py uses 1, 97 and 4093).
    sizes: tuple[int, ...] = ()


def case(source: str, body: str | bytes, events: list[str], **more: Any) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    return pytest.param(Case(source, raw, events, **more), id=source)


def decode(*pieces: bytes) -> tuple[list[str], str | None]:
    decoder = SSEDecoder()
    events = [e for piece in pieces for e in event_texts(decoder, piece)]
    return events, decoder.flush()


OPENAI = "openai-python tests/"
HTTPX_SSE = "httpx-sse tests/"
WPT = "wpt eventsource/"
WHATWG = "WHATWG HTML 9.2.6 "
# WPT's resources/message.py writes the message, then "\n\n" (unless newline=none), then "\n".
WPT_END = "\n\n\n"

CASES = [
    # openai-python tests/test_streaming.py
    case(
        OPENAI + "test_streaming.py::test_basic",
        'event: completion\ndata: {"foo":true}\n\n',
        ['{"foo":true}'],
    ),
    case(
        OPENAI + "test_streaming.py::test_data_missing_event",
        'data: {"foo":true}\n\n',
        ['{"foo":true}'],
    ),
    # openai yields an event with data "" here; the standard dispatches nothing.
    case(OPENAI + "test_streaming.py::test_event_missing_data", "event: ping\n\n", []),
    case(
        OPENAI + "test_streaming.py::test_multiple_events",
        "event: ping\n\nevent: completion\n\n",
        [],
    ),
    case(
        OPENAI + "test_streaming.py::test_multiple_events_with_data",
        'event: ping\ndata: {"foo":true}\n\nevent: completion\ndata: {"bar":false}\n\n',
        ['{"foo":true}', '{"bar":false}'],
    ),
    case(
        OPENAI + "test_streaming.py::test_multiple_data_lines_with_empty_line",
        'event: ping\ndata: {\ndata: "foo":\ndata: \ndata:\ndata: true}\n\n\n',
        ['{\n"foo":\n\n\ntrue}'],
    ),
    case(
        OPENAI + "test_streaming.py::test_data_json_escaped_double_new_line",
        'event: ping\ndata: {"foo": "my long\\n\\ncontent"}\n\n',
        ['{"foo": "my long\\n\\ncontent"}'],
    ),
    case(
        OPENAI + "test_streaming.py::test_multiple_data_lines",
        'event: ping\ndata: {\ndata: "foo":\ndata: true}\n\n\n',
        ['{\n"foo":\ntrue}'],
    ),
    case(
        OPENAI + "test_streaming.py::test_special_new_line_character",
        b'data: {"content":" culpa"}\n\ndata: {"content":" \xe2\x80\xa8"}\n\n'
        b'data: {"content":"foo"}\n\n',
        ['{"content":" culpa"}', '{"content":" \u2028"}', '{"content":"foo"}'],
    ),
    case(
        OPENAI + "test_streaming.py::test_multi_byte_character_multiple_chunks",
        'data: {"content":"известни"}\n\n',
        ['{"content":"известни"}'],
    ),
    # openai-python tests/test_sse_framing.py
    case(OPENAI + "test_sse_framing.py::test_every_chunk_boundary[LF]", "data:ok\n\n", ["ok"]),
    case(OPENAI + "test_sse_framing.py::test_every_chunk_boundary[CR]", "data:ok\r\r", ["ok"]),
    case(
        OPENAI + "test_sse_framing.py::test_every_chunk_boundary[CRLF]",
        "data:ok\r\n\r\n",
        ["ok"],
    ),
    case(
        OPENAI + "test_sse_framing.py::test_mixed_endings_utf8_and_eof",
        "id:one\r\ndata:известни\r\n\ndata:two\n\rdata:unfinished",
        ["известни", "two"],
        pending="unfinished",
    ),
    case(
        OPENAI + "test_sse_framing.py::test_unterminated_event[comment]",
        ":x\n" * 2000,
        [],
        sizes=(1, 97, 4093),
    ),
    case(
        OPENAI + "test_sse_framing.py::test_unterminated_event[data]",
        "data:x\n" * 2000,
        [],
        pending="\n".join(["x"] * 2000),
        sizes=(1, 97, 4093),
    ),
    case(
        OPENAI + "test_sse_framing.py::test_unterminated_event[ignored]",
        "ignored:x\n" * 2000,
        [],
        sizes=(1, 97, 4093),
    ),
    case(
        OPENAI + "test_sse_framing.py::test_many_complete_events",
        "data:ok\n\n" * 2000,
        ["ok"] * 2000,
        sizes=(1, 97, 4093),
    ),
    case(
        OPENAI + "test_sse_framing.py::test_large_legitimate_events[one]",
        "data:" + "x" * (2 * 1024 * 1024) + "известни\u2028\r\n\r\n",
        ["x" * (2 * 1024 * 1024) + "известни\u2028"],
        sizes=(4093,),
    ),
    case(
        OPENAI + "test_sse_framing.py::test_large_legitimate_events[lines]",
        "data:x\n" * 10000 + "\n",
        ["\n".join(["x"] * 10000)],
        sizes=(1, 97, 4093),
    ),
    # httpx-sse tests/test_event_source.py (its whatwg_example* follow the standard's examples)
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_whatwg_example1",
        "data: YH00\ndata: +2\ndata: 10\n\n",
        ["YH00\n+2\n10"],
    ),
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_whatwg_example2",
        ": test stream\n\ndata: first event\nid: 1\n\ndata: second event\nid\n\n"
        "data:  third event\n\n",
        ["first event", "second event", " third event"],
    ),
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_whatwg_example3",
        "data\n\ndata\ndata\n\ndata:",
        ["", "\n"],
        pending="",
    ),
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_whatwg_example4",
        "data:test\n\ndata: test\n\n",
        ["test", "test"],
    ),
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_event",
        "event: logline\ndata: New user connected\n\n",
        ["New user connected"],
    ),
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_id_null",
        "data: test\nid: 123\0\n\n",
        ["test"],
    ),
    # httpx-sse dispatches a retry-only event with data ""; the standard dispatches nothing.
    case(HTTPX_SSE + "test_event_source.py::test_iter_sse_id_retry", "retry: 10000\n\n", []),
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_id_retry_invalid",
        "retry: 1667a\n\n",
        [],
    ),
    case(
        HTTPX_SSE + "test_event_source.py::test_iter_sse_unknown_field",
        "something: ignore\n\n",
        [],
    ),
    case(
        HTTPX_SSE + "test_event_source.py::test_unicode_line_separator_not_parsed_as_newline",
        b'event: message\ndata: {"text":"Hello\xe2\x80\xa8World"}\n\n',
        ['{"text":"Hello\u2028World"}'],
    ),
    # web-platform-tests eventsource/
    case(
        WPT + "event-data.html (resources/message2.py, one round)",
        "data:msg\ndata: msg\n\n:\nfalsefield:msg\n\nfalsefield:msg\nData:data\n\ndata\n\n"
        "data:end\n\n",
        ["msg\nmsg", "", "end"],
    ),
    case(
        WPT + "format-bom.js",
        BOM + "data:1\n\n" + BOM + "data:2\n\ndata:3" + WPT_END,
        ["1", "3"],
    ),
    case(
        WPT + "format-bom-2.any.js",
        BOM + BOM + "data:1\n\ndata:2\n\ndata:3" + WPT_END,
        ["2", "3"],
    ),
    case(
        WPT + "format-comments.js",
        "data:1\r:\0\n:\r\ndata:2\n:"
        + "x" * 2048
        + "\rdata:3\n:data:fail\r:"
        + "x" * 2048
        + "\ndata:4\n"
        + "\n",  # newline=none: only the closing "\n"
        ["1\n2\n3\n4"],
    ),
    case(
        WPT + "format-data-before-final-empty-line.js",
        "retry:1000\ndata:test1\n\nid:test\ndata:test2" + "\n",
        ["test1"],
        pending="test2",
    ),
    case(
        WPT + "format-field-data.js",
        "data:\n\ndata\ndata\n\ndata:test" + WPT_END,
        ["", "\n", "test"],
    ),
    case(
        WPT + "format-field-event.htm (the event name is not this wire's concern)",
        "event:test\ndata:x\n\ndata:x" + WPT_END,
        ["x", "x"],
    ),
    case(WPT + "format-field-event-empty.htm", "event: \ndata:data" + WPT_END, ["data"]),
    case(
        WPT + "format-field-retry-bogus.htm",
        "retry:2000\nretry:1000x\ndata:x" + WPT_END,
        ["x"],
    ),
    case(WPT + "format-null-character.html", "data:\0" + WPT_END, ["\0"]),
    case(WPT + "format-utf-8.js", b"data:ok\xe2\x80\xa6" + WPT_END.encode(), ["ok…"]),
    # WHATWG HTML 9.2.6, rules stated in the text
    case(
        WHATWG + "one leading BOM is stripped, only at the start",
        BOM + "data: a\n\n" + BOM + "data: b\n\n",
        ["a"],
    ),
    case(
        WHATWG + "only one leading space of a value is removed",
        "data:   three\n\n",
        ["  three"],
    ),
    case(
        WHATWG + "field names are case-sensitive",
        "DATA: no\nData: no\ndata: yes\n\n",
        ["yes"],
    ),
    case(
        WHATWG + "the end of the file in the middle of an event discards it",
        "data: a\n\ndata: b\n",
        ["a"],
        pending="b",
    ),
    case(
        WHATWG + "lines end in CRLF, LF or CR, mixed",
        "data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r",
        ["a\nb\nc", "d"],
    ),
    case(
        WHATWG + "the stream is decoded as UTF-8 with replacement",
        b"data: \xff\xfe ok\n\n",
        ["\ufffd\ufffd ok"],
    ),
]


@pytest.mark.parametrize("peer", CASES)
def test_peer_case_in_one_read(peer: Case) -> None:
    assert decode(peer.body) == (peer.events, peer.pending)


@pytest.mark.parametrize("peer", CASES)
def test_peer_case_at_every_split(peer: Case) -> None:
    expected = (peer.events, peer.pending)
    body = peer.body
    if peer.sizes:
        for size in peer.sizes:
            assert decode(*(body[i : i + size] for i in range(0, len(body), size))) == expected
        return
    for cut in range(len(body) + 1):
        # openai test_every_chunk_boundary puts an empty read at the cut.
        assert decode(body[:cut], b"", body[cut:]) == expected, cut
    assert decode(*(body[i : i + 1] for i in range(len(body)))) == expected


# --------------------------------------------------------------------------- line splitting

# httpx-sse tests/test_decoders.py: TestSSELineDecoder (reads in) and TestSplitlinesSSE
# (one read in). A final line without its line ending is what flush() hands back.
LINE_CASES = [
    ("TestSSELineDecoder::test_basic_lines", ["line1\nline2\n"], ["line1", "line2"]),
    (
        "TestSSELineDecoder::test_incremental_decoding",
        ["partial", " line\n", "another\n"],
        ["partial line", "another"],
    ),
    (
        "TestSSELineDecoder::test_trailing_cr_with_immediate_n",
        ["line1\r", "\nline2", "\n"],
        ["line1", "line2"],
    ),
    ("TestSSELineDecoder::test_crlf_across_chunks", ["line1\r", "\nline2\n"], ["line1", "line2"]),
    ("TestSSELineDecoder::test_buffer_without_newline", ["buffered"], ["buffered"]),
    ("TestSSELineDecoder::test_buffer_with_newline", ["buffered", "\n"], ["buffered"]),
    ("TestSSELineDecoder::test_no_flush_needed", ["line1\n", "line2\n"], ["line1", "line2"]),
    ("TestSSELineDecoder::test_flush_with_trailing_cr", ["text\r"], ["text"]),
    (
        "TestSSELineDecoder::test_empty_chunks",
        ["", "line1\n", "", "line2\n", ""],
        ["line1", "line2"],
    ),
    ("TestSSELineDecoder::test_multiple_empty_lines", ["\n\n\n"], ["", "", ""]),
    (
        "TestSSELineDecoder::test_mixed_line_endings_incremental",
        ["line1\r\n", "line2\r", "line3\n"],
        ["line1", "line2", "line3"],
    ),
    (
        "TestSSELineDecoder::test_partial_line_then_complete",
        ["par", "tial", " line\ncomp", "lete\n"],
        ["partial line", "complete"],
    ),
    (
        "TestSSELineDecoder::test_unicode_line_separators_preserved",
        ["data\u2028field\nline2\u2029end\n"],
        ["data\u2028field", "line2\u2029end"],
    ),
    ("TestSSELineDecoder::test_alternating_cr_lf", ["\r\n\r\n"], ["", ""]),
    ("TestSSELineDecoder::test_flush_after_partial", ["line1\npartial"], ["line1", "partial"]),
    (
        "TestSSELineDecoder::test_consecutive_cr_handling",
        ["line1\r\rline2\n"],
        ["line1", "", "line2"],
    ),
    (
        "TestSSELineDecoder::test_text_after_trailing_newline",
        ["line1\n", "line2", "\n"],
        ["line1", "line2"],
    ),
    ("TestSSELineDecoder::test_only_cr", ["\r", "\r"], ["", ""]),
    ("TestSSELineDecoder::test_only_lf", ["\n"], [""]),
    ("TestSSELineDecoder::test_empty_input", [], []),
    (
        "TestSSELineDecoder::test_single_char_chunks",
        list("hello\nworld"),
        ["hello", "world"],
    ),
    (
        "TestSSELineDecoder::test_cr_lf_as_separate_chunks",
        list("line1\r\nline2"),
        ["line1", "line2"],
    ),
    ("TestSSELineDecoder::test_mixed_endings_with_content", ["a\rb\nc\r\nd"], ["a", "b", "c", "d"]),
    ("TestSSELineDecoder::test_trailing_cr_no_followup", ["line\r"], ["line"]),
    (
        "TestSSELineDecoder::test_complex_mixed_scenario",
        ["first", " line\r", "\nsecond", " line\r\n", "third\rfo", "urth\n", "fifth"],
        ["first line", "second line", "third", "fourth", "fifth"],
    ),
    (
        "TestSplitlinesSSE::test_crlf_splitting",
        ["line1\r\nline2\r\nline3"],
        ["line1", "line2", "line3"],
    ),
    ("TestSplitlinesSSE::test_cr_splitting", ["line1\rline2\rline3"], ["line1", "line2", "line3"]),
    ("TestSplitlinesSSE::test_lf_splitting", ["line1\nline2\nline3"], ["line1", "line2", "line3"]),
    (
        "TestSplitlinesSSE::test_mixed_line_endings",
        ["line1\r\nline2\nline3\rline4"],
        ["line1", "line2", "line3", "line4"],
    ),
    ("TestSplitlinesSSE::test_empty_lines", ["line1\n\nline3"], ["line1", "", "line3"]),
    (
        "TestSplitlinesSSE::test_unicode_next_line_not_split",
        ["line1\u0085line2"],
        ["line1\u0085line2"],
    ),
    ("TestSplitlinesSSE::test_only_newlines", ["\n\r\n\r"], ["", "", ""]),
    ("TestSplitlinesSSE::test_trailing_newlines", ["line1\n"], ["line1"]),
]


def split_lines(reads: list[bytes]) -> list[str]:
    decoder = LineDecoder()
    lines = [line for read in reads for line in decoder.feed(read)]
    last = decoder.flush()
    return [line.decode() for line in lines] + ([last.decode()] if last is not None else [])


@pytest.mark.parametrize(
    ("reads", "lines"),
    [
        pytest.param(reads, lines, id=HTTPX_SSE + "test_decoders.py::" + n)
        for n, reads, lines in LINE_CASES
    ],
)
def test_httpx_sse_line_case(reads: list[str], lines: list[str]) -> None:
    raw = [read.encode() for read in reads]
    assert split_lines(raw) == lines
    whole = b"".join(raw)
    for cut in range(len(whole) + 1):
        assert split_lines([whole[:cut], whole[cut:]]) == lines, cut


# --------------------------------------------------------------------------- after [DONE]


def test_bytes_after_done_are_not_decoded() -> None:
    # openai-python tests/test_streaming.py::test_done_discards_bytes_only_for_async_http11:
    # "Trailing data must not be decoded as SSE."
    decoder = ChunkDecoder()
    assert decoder.feed(b"data: [DONE]\n\n") == []
    assert decoder.feed(b"\xff\n\ndata: {not json\n\n") == []
    assert decoder.done
