"""Streams through the wire: chunks, tool-call merging, error events, cut streams, closing."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from anyfast_client import (
    AnyfastError,
    APIStatusError,
    BadRequestError,
    ChatCompletionChunk,
    RateLimitError,
    StreamInterruptedError,
    ToolCall,
    ToolCallDelta,
)
from anyfast_client._stream import StreamAccumulator, merge_tool_call_delta

from .conftest import (
    DONE,
    BodyStream,
    chunk,
    event,
    fixture_bytes,
    request,
    sse_response,
)


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 7, 10_000])
def test_reasoning_then_content_and_usage(make_api: Any, size: int) -> None:
    api = make_api(sse_response(*pieces(fixture_bytes("thinking.sse"), size)))
    got: list[ChatCompletionChunk] = []
    stream = api.stream(request(enable_thinking=True), got)
    assert len(got) == 6
    assert got[-1].choices == []
    message = stream.completion.choices[0].message
    assert message.reasoning_content == "Rayleigh scattering… 散射"
    assert message.content == "天空是蓝色的 ☀️🌍 because of short waves."
    assert stream.completion.choices[0].finish_reason == "stop"
    usage = stream.completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 30, 42)
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details.reasoning_tokens == 20
    assert stream.completion.id == "chatcmpl-7f3a"


@pytest.mark.parametrize("choices", [{"choices": []}, {"choices": None}, {}])
def test_usage_chunk_with_empty_null_or_missing_choices(make_api: Any, choices: Any) -> None:
    usage = event({"id": "c1", **choices, "usage": {"prompt_tokens": 3, "total_tokens": 5}})
    api = make_api(sse_response(chunk({"content": "ok"}, "stop"), usage, DONE))
    stream = api.stream(request())
    assert stream.completion.usage.total_tokens == 5
    assert stream.completion.choices[0].message.content == "ok"


def test_qwen_tool_call_deltas_merge(make_api: Any) -> None:
    api = make_api(sse_response(fixture_bytes("tool_calls.sse")))
    stream = api.stream(request())
    choice = stream.completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = [
        (c.id, c.type, c.function.name, c.function.arguments) for c in choice.message.tool_calls
    ]
    assert calls == [
        ("call_weather_1", "function", "get_weather", '{"city": "北京"}'),
        ("call_time_2", "function", "get_time", ""),
    ]
    assert json.loads(calls[0][3]) == {"city": "北京"}


def delta(
    index: int = 0, call_id: str | None = None, name: str | None = None, args: str | None = None
) -> ToolCallDelta:
    function = None if name is None and args is None else {"name": name, "arguments": args}
    return ToolCallDelta.model_validate({"index": index, "id": call_id, "function": function})


def test_merge_tool_call_delta_repeats_and_pieces() -> None:
    call = ToolCall()
    for d in [
        delta(call_id="call_1", name="get_weather"),
        delta(call_id="call_1", name="get_weather", args='{"ci'),
        delta(args='ty": "Paris"}'),
        delta(call_id="call_1", args=""),
    ]:
        merge_tool_call_delta(call, d)
    assert (call.id, call.function.name, call.function.arguments) == (
        "call_1",
        "get_weather",
        '{"city": "Paris"}',
    )


def test_merge_tool_call_delta_name_in_pieces_is_joined() -> None:
    call = ToolCall()
    merge_tool_call_delta(call, delta(call_id="c", name="get_"))
    merge_tool_call_delta(call, delta(name="weather"))
    assert call.function.name == "get_weather"


def test_parallel_calls_interleaved_by_index() -> None:
    acc = StreamAccumulator()
    order = [
        (0, "a", "f", ""),
        (1, "b", "g", None),
        (1, "b", None, '{"y"'),
        (0, None, None, '{"x": 1}'),
        (1, "b", None, ": 2}"),
    ]
    for index, id_, name, args in order:
        tool_delta = delta(index, id_, name, args)
        acc.add(
            ChatCompletionChunk.model_validate(
                {"choices": [{"delta": {"tool_calls": [tool_delta.model_dump()]}}]}
            )
        )
    calls = acc.result().choices[0].message.tool_calls
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("a", "f", '{"x": 1}'),
        ("b", "g", '{"y": 2}'),
    ]


def test_unknown_fields_and_finish_reason_survive(make_api: Any) -> None:
    first = chunk({"content": "x", "audio": {"id": 1}}, "brand_new_reason", system_fingerprint="fp")
    api = make_api(sse_response(first, DONE))
    got: list[ChatCompletionChunk] = []
    stream = api.stream(request(), got)
    assert got[0].model_extra == {"system_fingerprint": "fp"}
    assert got[0].choices[0].delta.model_extra == {"audio": {"id": 1}}
    assert stream.completion.choices[0].finish_reason == "brand_new_reason"


def test_error_event_after_200_raises_the_mapped_error(make_api: Any) -> None:
    error = event(
        {
            "error": {
                "message": "Output data may contain inappropriate content.",
                "code": "data_inspection_failed",
                "type": "x",
            }
        }
    )
    api = make_api(sse_response(chunk({"content": "Once"}), error, DONE))
    got: list[ChatCompletionChunk] = []
    with pytest.raises(BadRequestError) as info:
        api.stream(request(), got)
    assert info.value.code == "data_inspection_failed"
    assert "inappropriate" in str(info.value)
    assert [c.choices[0].delta.content for c in got] == ["Once"]


def test_error_event_with_numeric_code(make_api: Any) -> None:
    error = event({"error": {"message": "slow down", "code": 429}})
    api = make_api(sse_response(chunk({"content": "a"}), error))
    with pytest.raises(RateLimitError):
        api.stream(request())


def test_chunk_and_error_event_in_one_read_both_reach_the_caller(make_api: Any) -> None:
    error = event({"error": {"message": "moderated", "code": "data_inspection_failed"}})
    api = make_api(sse_response(chunk({"content": "Once"}) + error))
    got: list[ChatCompletionChunk] = []
    with pytest.raises(APIStatusError):
        api.stream(request(), got)
    assert [c.choices[0].delta.content for c in got] == ["Once"]


def test_error_event_whose_error_is_a_string(make_api: Any) -> None:
    api = make_api(sse_response(chunk({"content": "a"}), event({"error": "upstream overloaded"})))
    with pytest.raises(APIStatusError, match="upstream overloaded"):
        api.stream(request())


def test_stream_closed_before_done_is_interrupted(make_api: Any) -> None:
    api = make_api(sse_response(chunk({"content": "Hel"}), chunk({"content": "lo"})))
    with pytest.raises(StreamInterruptedError, match="before \\[DONE\\]") as info:
        api.stream(request())
    assert info.value.partial.choices[0].message.content == "Hello"


def test_done_without_finish_reason_is_interrupted(make_api: Any) -> None:
    api = make_api(sse_response(chunk({"content": "Hel"}), DONE))
    with pytest.raises(StreamInterruptedError, match="finish_reason") as info:
        api.stream(request())
    assert info.value.partial.choices[0].message.content == "Hel"


def test_read_error_mid_stream_is_interrupted_with_partial(make_api: Any) -> None:
    api = make_api(sse_response(chunk({"content": "Hel"}), httpx.ReadError("reset")))
    with pytest.raises(StreamInterruptedError, match="ReadError") as info:
        api.stream(request())
    assert info.value.partial.choices[0].message.content == "Hel"
    assert len(api.wire.requests) == 1


def test_malformed_event_is_a_readable_error(make_api: Any) -> None:
    api = make_api(sse_response(b"data: {not json\n\n"))
    with pytest.raises(Exception, match="Malformed stream event"):
        api.stream(request())


# --------------------------------------------------------------------------- closing


def long_stream() -> tuple[httpx.Response, BodyStream]:
    body = BodyStream([chunk({"content": str(i)}) for i in range(50)] + [chunk({}, "stop"), DONE])
    return httpx.Response(200, stream=body), body


@pytest.mark.parametrize("use_with", [True, False], ids=["with", "bare-for"])
def test_breaking_out_early_closes_the_response(make_api: Any, use_with: bool) -> None:
    response, body = long_stream()
    api = make_api(response)
    gc.disable()  # the connection must be closed without waiting for the cycle collector
    try:
        first, closed = api.first_chunk_then_break(
            request(), use_with=use_with, closed=lambda: body.closed
        )
    finally:
        gc.enable()
    assert first.choices[0].delta.content == "0"
    assert closed
    assert body.sent < 50


def test_stream_closed_after_full_read(make_api: Any) -> None:
    response, body = long_stream()
    api = make_api(response)
    api.stream(request())
    assert body.closed and body.sent == 52


def test_sync_stream_close_method_closes() -> None:
    from .conftest import Api, Wire

    response, body = long_stream()
    api = Api("sync", Wire(response))
    stream = api.client.chat_stream(request())
    assert next(stream).choices[0].delta.content == "0"
    stream.close()
    assert body.closed
    with pytest.raises(StopIteration):
        next(stream)


def test_request_is_sent_lazily_on_first_chunk() -> None:
    from .conftest import Api, Wire

    response, _ = long_stream()
    wire = Wire(response)
    api = Api("sync", wire)
    stream = api.client.chat_stream(request())
    assert wire.requests == []
    chunks: Iterator[ChatCompletionChunk] = iter(stream)
    next(chunks)
    assert len(wire.requests) == 1
    stream.close()


# --------------------------------------------------------------------------- not a stream


def test_json_error_body_with_200_raises_the_mapped_error(make_api: Any, sleeps: Any) -> None:
    body = {"error": {"message": "Invalid model", "code": "invalid_request_error"}}
    api = make_api(httpx.Response(200, json=body))
    with pytest.raises(BadRequestError, match="Invalid model") as info:
        api.stream(request())
    assert info.value.code == "invalid_request_error"
    assert len(api.wire.requests) == 1


def test_html_body_with_200_is_a_readable_error_not_a_cut_stream(
    make_api: Any, sleeps: Any
) -> None:
    page = httpx.Response(200, html="<html><body>Please log in</body></html>")
    api = make_api(page)
    with pytest.raises(AnyfastError, match=r"text/html.*Please log in") as info:
        api.stream(request())
    assert not isinstance(info.value, StreamInterruptedError)
    assert len(api.wire.requests) == 1 and sleeps == []


@pytest.mark.parametrize("content_type", ["text/event-stream; charset=utf-8", "text/plain", None])
def test_events_under_other_content_types_are_still_read(
    make_api: Any, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = BodyStream([chunk({"content": "ok"}, "stop"), DONE])
    api = make_api(httpx.Response(200, headers=headers, stream=body))
    assert api.stream(request()).completion.choices[0].message.content == "ok"


def test_a_stream_without_reasoning_has_none_and_keeps_empty_pieces_out(make_api: Any) -> None:
    api = make_api(
        sse_response(
            chunk({"role": "assistant", "content": "", "reasoning_content": ""}),
            chunk({"content": "a"}),
            chunk({"content": None}),
            chunk({"content": "b"}, "stop"),
            DONE,
        )
    )
    message = api.stream(request()).completion.choices[0].message
    assert (message.content, message.reasoning_content) == ("ab", None)
