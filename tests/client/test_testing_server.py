"""The local Anyfast server, exercised over real sockets with plain httpx."""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply, ScriptedToolCall, simulate

from .conftest import Api, request

MODEL = "qwen3.6-flash"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {}}}


@pytest.fixture
def server(anyfast_server: AnyfastTestServer) -> AnyfastTestServer:
    """The plugin's fixture, under a shorter name."""
    return anyfast_server


@pytest.fixture
def client(server: AnyfastTestServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer test-key"}
    limits = httpx.Limits(max_connections=64)
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=5, limits=limits) as http:
        yield http


def chat(text: str = "Hello there", **fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **fields}


def data_events(raw: str) -> list[str]:
    """The ``data:`` payloads of an SSE body, one per event."""
    events = []
    for block in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        lines = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if lines:
            events.append("\n".join(lines))
    return events


def stream(client: httpx.Client, body: dict[str, Any]) -> list[str]:
    response = client.post("/chat/completions", json={**body, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return data_events(response.text)


def chunks(events: list[str]) -> list[dict[str, Any]]:
    assert events[-1] == "[DONE]"
    return [json.loads(event) for event in events[:-1]]


def joined(parsed: list[dict[str, Any]], field: str) -> str:
    pieces = [c["choices"][0]["delta"].get(field) for c in parsed if c["choices"]]
    return "".join(piece for piece in pieces if piece)


# --- auth and validation ---------------------------------------------------------------------


def test_request_without_token_gets_401(server: AnyfastTestServer) -> None:
    response = httpx.post(f"{server.base_url}/chat/completions", json=chat())
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "No token provided"


def test_wrong_token_gets_401_before_any_validation(server: AnyfastTestServer) -> None:
    headers = {"Authorization": "Bearer nope"}
    response = httpx.post(f"{server.base_url}/chat/completions", json={}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid token"


def test_models_endpoint_also_checks_auth(server: AnyfastTestServer) -> None:
    assert httpx.get(f"{server.base_url}/models").status_code == 401


def test_api_key_none_accepts_any_token_but_not_none() -> None:
    with AnyfastTestServer(api_key=None) as open_server:
        url = f"{open_server.base_url}/chat/completions"
        accepted = httpx.post(url, json=chat(), headers={"Authorization": "Bearer whatever"})
        assert accepted.status_code == 200
        assert httpx.post(url, json=chat()).status_code == 401


THINKING = {"enable_thinking": True}
GATEWAY_CHECKS = [
    ({"model": None}, "model"),
    ({"messages": []}, "messages"),
    ({"messages": "hi"}, "messages"),
]


@pytest.mark.parametrize(("patch", "named"), GATEWAY_CHECKS)
def test_gateway_refusals_come_in_the_gateway_shape(
    client: httpx.Client, patch: dict[str, Any], named: str
) -> None:
    body = {key: value for key, value in {**chat(), **patch}.items() if value is not None}
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "new_api_error",
        "invalid_request",
        named,
    )
    assert named in error["message"] and "(request id: " in error["message"]


def test_a_body_that_is_not_json_is_refused_by_the_gateway(client: httpx.Client) -> None:
    response = client.post("/chat/completions", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "new_api_error"


INVALID = [
    ({"messages": [{"content": "no role"}]}, "role"),
    ({"temperature": 2.5}, "temperature"),
    ({"temperature": -0.1}, "temperature"),
    ({"top_p": -0.1}, "top_p"),
    ({"top_p": 1.5}, "top_p"),
    ({"max_completion_tokens": 0}, "max_completion_tokens"),
    ({"max_completion_tokens": 65537}, "max_completion_tokens"),
    ({"frequency_penalty": 2.5}, "frequency_penalty"),
    ({"presence_penalty": -3}, "presence_penalty"),
    ({"stop": "END"}, "stop"),
    ({"stop": ["ok", 1]}, "stop"),
    ({"enable_thinking": "yes"}, "enable_thinking"),
    ({"messages": [{"role": "user", "content": [{"type": "audio", "x": 1}]}]}, "type"),
    ({"response_format": {"type": "json_object"}, "enable_thinking": True}, "enable_thinking"),
    ({"response_format": {"type": "json_object"}}, "must contain the word 'json'"),
    ({"tools": [WEATHER_TOOL], "tool_choice": "required", **THINKING}, "tool_choice"),
    (
        {
            "tools": [WEATHER_TOOL],
            **THINKING,
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
        "thinking mode",
    ),
]


@pytest.mark.parametrize(("patch", "named"), INVALID)
def test_upstream_refusals_come_in_upstream_shape(
    client: httpx.Client, patch: dict[str, Any], named: str
) -> None:
    body = {key: value for key, value in {**chat(), **patch}.items() if value is not None}
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert named in error["message"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_parameter_error")
    assert error["message"].startswith("<400> InternalError.Algo.InvalidParameter: ")
    assert "(request id: " in error["message"]


def test_valid_edge_values_are_accepted(client: httpx.Client) -> None:
    body = chat(
        "reply in json",
        temperature=0,
        top_p=0,
        max_completion_tokens=65536,
        stop=["x"],
        response_format={"type": "json_object"},
        enable_thinking=False,
    )
    assert client.post("/chat/completions", json=body).status_code == 200


def test_unknown_model_gets_404_model_not_found(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json={**chat(), "model": "gpt-nothing"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


def test_models_lists_chat_and_embedding_models(client: httpx.Client) -> None:
    listing = client.get("/models").json()
    models = {model["id"]: model for model in listing["data"]}
    assert listing["object"] == "list"
    assert set(models) == {MODEL, "doubao-embedding"}
    assert all(model["supported_endpoint_types"] for model in models.values())


# --- non-streaming ---------------------------------------------------------------------------


def test_completion_has_the_full_shape(client: httpx.Client) -> None:
    body = client.post("/chat/completions", json=chat("What is 2 + 2?")).json()
    assert body["object"] == "chat.completion"
    assert body["model"] == MODEL
    assert body["id"] and isinstance(body["created"], int)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert '"What is 2 + 2?"' in choice["message"]["content"]
    assert "reasoning_content" not in choice["message"]
    usage = body["usage"]
    assert usage["prompt_tokens_details"] == {
        "cached_tokens": 0,
        "text_tokens": 5,
        "image_tokens": 0,
        "video_tokens": 0,
    }
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert "completion_tokens_details" not in usage


def test_images_and_videos_count_as_prompt_tokens(client: httpx.Client) -> None:
    parts = [
        {"type": "text", "text": "describe these"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
    ]
    body = {"model": MODEL, "messages": [{"role": "user", "content": parts}]}
    usage = client.post("/chat/completions", json=body).json()["usage"]
    details = usage["prompt_tokens_details"]
    assert (details["text_tokens"], details["image_tokens"], details["video_tokens"]) == (
        2,
        85,
        200,
    )
    assert usage["prompt_tokens"] == 287


def test_thinking_puts_reasoning_first_and_counts_it(client: httpx.Client) -> None:
    body = client.post("/chat/completions", json=chat("why is the sky blue", **THINKING)).json()
    message = body["choices"][0]["message"]
    assert message["reasoning_content"].startswith("Let me think about")
    assert message["content"]
    reasoning_words = len(message["reasoning_content"].split())
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] == reasoning_words


def test_thinking_budget_caps_reasoning(client: httpx.Client) -> None:
    body = chat("why", enable_thinking=True, thinking_budget=3)
    message = client.post("/chat/completions", json=body).json()["choices"][0]["message"]
    assert message["reasoning_content"] == "Let me think"


def test_length_hit_while_thinking_leaves_content_empty(client: httpx.Client) -> None:
    body = chat("why is the sky blue", enable_thinking=True, max_completion_tokens=4)
    choice = client.post("/chat/completions", json=body).json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == ""
    assert len(choice["message"]["reasoning_content"].split()) == 4


def test_stop_cuts_content_at_the_first_stop_string(client: httpx.Client) -> None:
    whole = simulate(chat("one two three")).content
    body = chat("one two three", stop=["three", "two"])
    choice = client.post("/chat/completions", json=body).json()["choices"][0]
    assert choice["message"]["content"] == whole[: whole.index("two")]
    assert choice["finish_reason"] == "stop"


def test_max_completion_tokens_truncates_with_length(client: httpx.Client) -> None:
    whole = simulate(chat("one two three")).content
    body = chat("one two three", max_completion_tokens=3)
    choice = client.post("/chat/completions", json=body).json()["choices"][0]
    assert choice["message"]["content"] == " ".join(whole.split()[:3])
    assert choice["finish_reason"] == "length"


def test_tool_call_arguments_follow_the_schema(client: httpx.Client) -> None:
    body = chat("weather in Paris for 5 days?", tools=[WEATHER_TOOL])
    choice = client.post("/chat/completions", json=body).json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == "get_weather"
    arguments = json.loads(call["function"]["arguments"])
    assert arguments == {"city": "Paris", "days": 5, "unit": "celsius"}


def test_tool_result_is_quoted_in_the_answer(client: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21C"},
    ]
    body = {"model": MODEL, "messages": messages, "tools": [WEATHER_TOOL]}
    choice = client.post("/chat/completions", json=body).json()["choices"][0]
    assert choice["message"]["content"] == "According to get_weather: sunny, 21C"
    assert choice["finish_reason"] == "stop"


def test_json_object_mode_uses_the_quoted_keys(client: httpx.Client) -> None:
    text = "Tell a joke as json with keys 'setup' and \"punchline\""
    body = chat(text, response_format={"type": "json_object"})
    content = client.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    assert set(json.loads(content)) == {"setup", "punchline"}


# --- the simulated model on its own ----------------------------------------------------------


def test_named_tools_are_called_in_parallel_unless_disabled() -> None:
    request = chat("call get_time then get_weather", tools=[WEATHER_TOOL, TIME_TOOL])
    assert [c.name for c in simulate(request).tool_calls] == ["get_time", "get_weather"]
    single = simulate({**request, "parallel_tool_calls": False})
    assert [c.name for c in single.tool_calls] == ["get_time"]


def test_forced_and_disabled_tool_choice() -> None:
    forced = {"type": "function", "function": {"name": "get_time"}}
    request = chat("weather please", tools=[WEATHER_TOOL, TIME_TOOL], tool_choice=forced)
    (call,) = simulate(request).tool_calls
    assert (call.name, call.arguments) == ("get_time", "")
    assert simulate({**request, "tool_choice": "none"}).tool_calls == []


def test_json_schema_response_is_generated_from_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"$ref": "#/$defs/Age"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "score": {"anyOf": [{"type": "null"}, {"type": "number"}]},
        },
        "$defs": {"Age": {"type": "integer"}},
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    reply = simulate(chat("Ada is a person aged 41, score 9.5", response_format=fmt))
    assert json.loads(reply.content) == {"name": "Ada", "age": 41, "tags": [], "score": 9.5}


def test_simulated_model_is_deterministic() -> None:
    request = chat("call get_weather for 2 days", tools=[WEATHER_TOOL], **THINKING)
    assert simulate(request) == simulate(request)


def test_a_rag_prompt_is_answered_from_the_passage_sharing_the_question_words() -> None:
    context = "Answer from this context:\nThe Eiffel Tower is in Paris.\nFuji is in Japan."
    request = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": context},
            {"role": "user", "content": "Where is the Eiffel Tower?"},
        ],
    }
    assert simulate(request).content == "From the context: The Eiffel Tower is in Paris."


def test_a_llama_index_style_query_block_is_answered_from_its_context() -> None:
    text = (
        "Context information is below.\n---\nRome is in Italy.\nOslo is in Norway.\n---\n"
        "Query: Which country is Oslo in?\nAnswer: "
    )
    assert simulate(chat(text)).content == "From the context: Oslo is in Norway."


def test_a_plain_question_is_named_and_a_follow_up_names_the_one_before() -> None:
    assert '"Why is the sky blue?"' in simulate(chat("Why is the sky blue? Briefly.")).content
    history = [
        {"role": "user", "content": "Why is the sky blue?"},
        {"role": "assistant", "content": "Rayleigh scattering."},
        {"role": "user", "content": "And at sunset?"},
    ]
    answer = simulate({"model": MODEL, "messages": history}).content
    assert '"Why is the sky blue?"' in answer and '"And at sunset?"' in answer


def test_tool_arguments_take_codes_and_numbers_from_the_prompt() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "convert",
            "parameters": {
                "type": "object",
                "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}},
            },
        },
    }
    (call,) = simulate(chat("How many euros is 100 USD?", tools=[tool])).tool_calls
    assert call.arguments == '{"amount": 100, "currency": "USD"}'


def test_thinking_talks_about_the_question_and_the_planned_call() -> None:
    reply = simulate(chat("What is the weather in Lisbon?", tools=[WEATHER_TOOL], **THINKING))
    assert reply.reasoning is not None
    assert "the weather in Lisbon" in reply.reasoning and "get_weather" in reply.reasoning


def test_a_scripted_reply_wins_over_the_simulation(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    server.enqueue(Reply(content="scripted"))
    body = chat("Where is the Eiffel Tower?", tools=[WEATHER_TOOL])
    message = client.post("/chat/completions", json=body).json()["choices"][0]["message"]
    assert message["content"] == "scripted" and "tool_calls" not in message


# --- streaming -------------------------------------------------------------------------------


def test_stream_has_qwen_shape(client: httpx.Client) -> None:
    parsed = chunks(stream(client, chat("hi", **THINKING)))
    assert parsed[0]["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "",
        "reasoning_content": "",
    }
    assert {(c["object"], c["id"], c["model"]) for c in parsed} == {
        ("chat.completion.chunk", parsed[0]["id"], MODEL)
    }
    assert all(c["usage"] is None for c in parsed)
    kinds = [next(k for k, v in c["choices"][0]["delta"].items() if v) for c in parsed[1:-1]]
    assert kinds == sorted(kinds, reverse=True)  # every reasoning piece before any content piece
    assert (
        joined(parsed, "reasoning_content")
        == "Let me think about hi. A short, direct answer will do."
    )
    assert joined(parsed, "content") == simulate(chat("hi")).content
    assert parsed[-1]["choices"][0] == {
        "index": 0,
        "delta": {},
        "finish_reason": "stop",
        "logprobs": None,
    }


def test_stream_splits_content_by_chunk_size(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    server.enqueue(Reply(content="abcdefghij", chunk_size=4))
    parsed = chunks(stream(client, chat()))
    pieces = [c["choices"][0]["delta"].get("content") for c in parsed[1:-1]]
    assert pieces == ["abcd", "efgh", "ij"]


def test_usage_chunk_only_with_include_usage(client: httpx.Client) -> None:
    plain = chunks(stream(client, chat()))
    assert all(c["choices"] for c in plain)
    with_usage = chunks(stream(client, chat(stream_options={"include_usage": True})))
    last = with_usage[-1]
    assert last["choices"] == []
    assert last["usage"]["total_tokens"] > 0
    assert all(c["usage"] is None for c in with_usage[:-1])


def test_tool_calls_stream_like_qwen(client: httpx.Client) -> None:
    text = "use get_weather for Oslo and get_time"
    parsed = chunks(stream(client, chat(text, tools=[WEATHER_TOOL, TIME_TOOL])))
    deltas = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in parsed
        if "tool_calls" in c["choices"][0]["delta"]
    ]
    weather = [d for d in deltas if d["index"] == 0]
    assert weather[0]["function"] == {"name": "get_weather", "arguments": ""}
    call_id = weather[0]["id"]
    assert all(d["id"] == call_id for d in weather[1:-1])  # the full id repeats
    assert len(weather) > 3 and "id" not in weather[-1]
    arguments = "".join(d["function"]["arguments"] for d in weather)
    assert json.loads(arguments)["city"] == "Oslo"
    clock = [d for d in deltas if d["index"] == 1]
    assert [d["function"].get("arguments") for d in clock] == ["", ""]
    assert parsed[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_no_finish_reason_still_ends_with_done(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    server.enqueue(Reply(content="truncated", finish_reason=None))
    parsed = chunks(stream(client, chat()))
    assert all(c["choices"][0]["finish_reason"] is None for c in parsed)


def test_cut_after_drops_the_connection(client: httpx.Client, server: AnyfastTestServer) -> None:
    server.enqueue(Reply(content="x" * 100, cut_after=3))
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError):
        body = {**chat(), "stream": True}
        with client.stream("POST", "/chat/completions", json=body) as response:
            for piece in response.iter_bytes():
                received += piece
    assert len(data_events(received.decode())) == 3
    assert b"[DONE]" not in received


def test_error_after_sends_an_error_event(client: httpx.Client, server: AnyfastTestServer) -> None:
    server.enqueue(Reply(content="x" * 40, error_after=2))
    events = stream(client, chat())
    assert len(events) == 3
    assert json.loads(events[-1])["error"]["code"] == "data_inspection_failed"


def test_ping_comments_precede_events(client: httpx.Client, server: AnyfastTestServer) -> None:
    server.enqueue(Reply(content="hi", ping=True))
    raw = client.post("/chat/completions", json={**chat(), "stream": True}).text
    assert raw.count(": PING\n") == len(data_events(raw))


def test_crlf_line_endings(client: httpx.Client, server: AnyfastTestServer) -> None:
    server.enqueue(Reply(content="hi there", line_ending="\r\n"))
    raw = client.post("/chat/completions", json={**chat(), "stream": True}).content
    assert raw.endswith(b"data: [DONE]\r\n\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_streams_leave_one_write_per_event(server: AnyfastTestServer) -> None:
    server.enqueue(Reply(content="abcdef", chunk_size=2))
    # One HTTP chunk per event: the role chunk, three pieces, the finish chunk and [DONE].
    assert len(_chunk_sizes(server, chat(stream=True))) == 6
    server.enqueue(Reply(content="abcdef", chunk_size=2, coalesce=True))
    assert len(_chunk_sizes(server, chat(stream=True))) == 1


def _chunk_sizes(server: AnyfastTestServer, body: dict[str, Any]) -> list[int]:
    """The HTTP chunk sizes of a streamed answer, read off the raw socket."""
    connection = http.client.HTTPConnection("127.0.0.1", int(server.origin.rsplit(":", 1)[1]))
    headers = {"Authorization": "Bearer test-key", "Content-Type": "application/json"}
    connection.request("POST", "/v1/chat/completions", json.dumps(body), headers)
    response = connection.getresponse()
    sizes = []
    while size := int(response.fp.readline().split(b";")[0], 16):
        sizes.append(size)
        response.fp.read(size + 2)
    connection.close()
    return sizes


def test_write_size_splits_events_and_characters(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    server.enqueue(Reply(content="東京", write_size=1))
    assert set(_chunk_sizes(server, chat(stream=True))) == {1}
    server.enqueue(Reply(content="東京 and Zürich", chunk_size=3, write_size=5))
    parsed = chunks(stream(client, chat()))
    assert joined(parsed, "content") == "東京 and Zürich"


def test_json_goes_out_as_raw_utf8(client: httpx.Client, server: AnyfastTestServer) -> None:
    server.enqueue(Reply(content="22 °C, 東京"), Reply(content="22 °C, 東京"))
    whole = client.post("/chat/completions", json=chat()).content
    streamed = client.post("/chat/completions", json=chat(stream=True)).content
    for raw in (whole, streamed):
        assert "°".encode() in raw and b"\\u" not in raw


def test_large_stream_arrives_whole(client: httpx.Client, server: AnyfastTestServer) -> None:
    content = "y" * 20_000_000
    server.enqueue(Reply(content=content, chunk_size=1 << 16))
    body = {**chat(), "stream": True}
    total = 0
    with client.stream("POST", "/chat/completions", json=body) as response:
        for line in response.iter_lines():
            if line.startswith("data: {"):
                total += len(json.loads(line[6:])["choices"][0]["delta"].get("content") or "")
    assert total == len(content)


# --- scripting -------------------------------------------------------------------------------


def test_error_reply_with_raw_html_and_retry_after(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    html = "<html><body>502 Bad Gateway</body></html>"
    server.enqueue(ErrorReply(status=502, body=html, headers={"Retry-After": "1"}))
    response = client.post("/chat/completions", json=chat())
    assert response.status_code == 502
    assert response.text == html
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("text/html")


def test_error_reply_default_body_is_the_envelope(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    server.enqueue(ErrorReply(status=429))
    response = client.post("/chat/completions", json=chat())
    error = response.json()["error"]
    assert response.status_code == 429
    assert error["type"] and error["code"]
    assert "(request id: " in error["message"]


def test_queue_is_fifo_then_falls_back_to_the_responder(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    server.enqueue(Reply(content="first"), ErrorReply(status=503), Reply(content="third"))
    server.responder = lambda request: Reply(content=f"echo {len(request['messages'])}")
    results = [client.post("/chat/completions", json=chat()) for _ in range(4)]
    assert [r.status_code for r in results] == [200, 503, 200, 200]
    contents = [r.json()["choices"][0]["message"]["content"] for r in results if r.is_success]
    assert contents == ["first", "third", "echo 1"]


def test_reset_restores_the_default_responder_and_key(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    server.responder = lambda request: ErrorReply(status=500)
    server.enqueue(Reply(content="never sent"))
    server.api_key = "another-key"
    server.reset()
    response = client.post("/chat/completions", json=chat("hi"))  # sends the built-in key
    assert response.json()["choices"][0]["message"]["content"] == simulate(chat("hi")).content


def test_requests_are_recorded_in_order(client: httpx.Client, server: AnyfastTestServer) -> None:
    client.post("/chat/completions", json=chat("first"), headers={"X-Trace": "abc"})
    client.get("/models")
    first, second = server.requests
    assert (first.method, first.path, second.method, second.path) == (
        "POST",
        "/v1/chat/completions",
        "GET",
        "/v1/models",
    )
    assert first.headers["x-trace"] == "abc"
    assert first.headers["authorization"] == "Bearer test-key"
    assert first.json["messages"][0]["content"] == "first"
    assert json.loads(first.body) == first.json
    assert server.last_request is second


def test_scripted_tool_calls_get_ids_and_json_arguments(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    call = ScriptedToolCall("lookup", {"q": "cats"})
    server.enqueue(Reply(tool_calls=[call, ScriptedToolCall("ping", "", id="call_fixed")]))
    message = client.post("/chat/completions", json=chat()).json()["choices"][0]["message"]
    ids = [c["id"] for c in message["tool_calls"]]
    assert ids == [call.id, "call_fixed"] and call.id and call.id.startswith("call_")
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"q": "cats"}


def test_reply_headers_and_delay(client: httpx.Client, server: AnyfastTestServer) -> None:
    server.enqueue(Reply(content="slow", delay=0.2, headers={"X-Custom": "1"}))
    started = time.monotonic()
    response = client.post("/chat/completions", json=chat())
    assert time.monotonic() - started >= 0.2
    assert response.headers["x-custom"] == "1"


# --- embeddings ------------------------------------------------------------------------------


def embed(client: httpx.Client, server: AnyfastTestServer, inputs: Any) -> httpx.Response:
    url = f"{server.origin}/api/v3/embeddings"
    return client.post(url, json={"model": "doubao-embedding", "input": inputs})


def test_embeddings_are_deterministic_unit_vectors(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    body = embed(client, server, ["cat", "dog", "cat"]).json()
    data = body["data"]
    assert [item["index"] for item in data] == [0, 1, 2]
    vectors = [item["embedding"] for item in data]
    assert vectors[0] == vectors[2] != vectors[1]
    assert all(len(v) == 32 and math.isclose(sum(x * x for x in v), 1.0) for v in vectors)
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    assert embed(client, server, "cat").json()["data"][0]["embedding"] == vectors[0]


def test_embeddings_put_texts_sharing_words_closest(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    passages = [
        "The Eiffel Tower is in Paris.",
        "Embeddings are served under /api/v3.",
        "Mount Fuji is in Japan.",
    ]
    data = embed(client, server, [*passages, "Under which path are embeddings served?"]).json()
    *vectors, question = [item["embedding"] for item in data["data"]]
    scores = [sum(a * b for a, b in zip(question, v, strict=True)) for v in vectors]
    assert scores.index(max(scores)) == 1


def test_embeddings_reject_empty_input_and_honour_the_queue(
    client: httpx.Client, server: AnyfastTestServer
) -> None:
    assert embed(client, server, []).status_code == 400
    server.enqueue(ErrorReply(status=429))
    assert embed(client, server, "x").status_code == 429


def test_embedding_dimension_is_configurable() -> None:
    with AnyfastTestServer(embedding_dim=8) as small:
        response = httpx.post(
            f"{small.origin}/api/v3/embeddings",
            json={"model": "doubao-embedding", "input": "hi"},
            headers={"Authorization": "Bearer test-key"},
        )
    assert len(response.json()["data"][0]["embedding"]) == 8


# --- connections -----------------------------------------------------------------------------


def test_fifty_concurrent_requests(client: httpx.Client, server: AnyfastTestServer) -> None:
    def one(number: int) -> str:
        body = {**chat(f"request {number}"), "stream": number % 2 == 0}
        response = client.post("/chat/completions", json=body)
        assert response.status_code == 200
        if number % 2:
            return str(response.json()["choices"][0]["message"]["content"])
        return joined(chunks(data_events(response.text)), "content")

    server.enqueue(*(Reply(content=f"request {n}", delay=0.1) for n in range(50)))
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = set(pool.map(one, range(50)))
    assert answers == {f"request {n}" for n in range(50)}
    assert len(server.requests) == 50


def test_streams_keep_the_connection_alive(server: AnyfastTestServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(server.origin.rsplit(":", 1)[1]))
    headers = {"Authorization": "Bearer test-key", "Content-Type": "application/json"}
    for _ in range(2):
        connection.request("POST", "/v1/chat/completions", json.dumps(chat(stream=True)), headers)
        response = connection.getresponse()
        assert response.read().endswith(b"data: [DONE]\n\n")
    connection.close()


def test_stop_is_prompt_with_idle_and_delayed_connections() -> None:
    stopping = AnyfastTestServer().start()
    stopping.enqueue(Reply(delay=30))
    idle = http.client.HTTPConnection("127.0.0.1", int(stopping.origin.rsplit(":", 1)[1]))
    idle.request("GET", "/v1/models", headers={"Authorization": "Bearer test-key"})
    idle.getresponse().read()  # leaves a keep-alive connection open
    headers = {"Authorization": "Bearer test-key"}
    waiting = threading.Thread(
        target=lambda: _ignore_errors(stopping.base_url, headers), daemon=True
    )
    waiting.start()
    time.sleep(0.1)
    started = time.monotonic()
    stopping.stop()
    assert time.monotonic() - started < 2
    waiting.join(timeout=2)
    assert not waiting.is_alive()
    idle.close()


def _ignore_errors(base_url: str, headers: dict[str, str]) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{base_url}/chat/completions", json=chat(), headers=headers, timeout=5)


def test_the_client_reassembles_characters_split_across_reads(
    mode: str, server: AnyfastTestServer
) -> None:
    api = Api(mode, base_url=server.base_url, api_key=server.api_key)
    text = "Zürich, 東京, 22 °C 🌤"
    server.enqueue(Reply(content=text, reasoning="思考…", chunk_size=3, write_size=1))
    try:
        message = api.stream(request(enable_thinking=True)).completion.choices[0].message
    finally:
        api.close()
    assert (message.content, message.reasoning_content) == (text, "思考…")
