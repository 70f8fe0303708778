"""ChatAnyfast through the wire against the local server; most tests run sync and async."""

from __future__ import annotations

import gc
import inspect
import pickle
import threading
import time
from typing import Any

import pytest
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelRateLimitError,
)
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

import anyfast_client
import langchain_anyfast
from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply, echo
from langchain_anyfast import AnyfastWarning, ChatAnyfast

from ._support import Driver, aggregate
from .conftest import MakeModel

# --------------------------------------------------------------------------- fields


def test_exported_members() -> None:
    public = {name for name in dir(langchain_anyfast) if not name.startswith("_")}
    # Submodules (embeddings) become attributes once imported; they are not re-exports.
    exported = {n for n in public if not inspect.ismodule(getattr(langchain_anyfast, n))}
    assert exported == set(langchain_anyfast.__all__) - {"__version__"}
    assert {"ChatAnyfast", "AnyfastEmbeddings", "AnyfastWarning"} <= set(langchain_anyfast.__all__)


def test_aliases_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", "env-key")
    monkeypatch.setenv("ANYFAST_BASE_URL", "https://gateway.example/v1")
    model = ChatAnyfast(model_name="qwen3.6-flash", max_completion_tokens=42)
    assert (model.model, model.max_tokens) == ("qwen3.6-flash", 42)
    assert model.api_key is not None and model.api_key.get_secret_value() == "env-key"
    assert model.base_url == "https://gateway.example/v1"
    assert "env-key" not in repr(model)
    explicit = ChatAnyfast(api_key="arg-key", base_url="http://x/v1", timeout=5, max_retries=1)
    assert explicit.api_key is not None and explicit.api_key.get_secret_value() == "arg-key"
    assert (explicit.base_url, explicit.timeout, explicit.max_retries) == ("http://x/v1", 5, 1)


async def test_fields_reach_the_wire(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model(
        temperature=0.2,
        top_p=0.9,
        max_tokens=300,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        stop="END",
        enable_thinking=True,
        thinking_budget=50,
        model_kwargs={"seed": 7},
        extra_body={"vendor_flag": True},
        default_headers={"X-Trace": "abc"},
    )
    await drive.invoke(model, "hi")
    sent = anyfast_server.last_request
    assert {k: sent.json[k] for k in ("temperature", "top_p", "max_completion_tokens")} == {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_completion_tokens": 300,
    }
    assert (sent.json["frequency_penalty"], sent.json["presence_penalty"]) == (0.5, -0.5)
    assert sent.json["stop"] == ["END"]
    assert (sent.json["enable_thinking"], sent.json["thinking_budget"]) == (True, 50)
    assert (sent.json["seed"], sent.json["vendor_flag"]) == (7, True)
    assert "max_tokens" not in sent.json and "preserve_thinking" not in sent.json
    assert sent.headers["x-trace"] == "abc"


async def test_only_what_was_set_is_sent(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    await drive.invoke(make_model(stop=[]), "hi")
    body = anyfast_server.last_request.json
    assert set(body) == {"model", "messages", "enable_thinking"}
    assert body["enable_thinking"] is False


async def test_per_call_overrides_leave_the_instance_alone(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model(temperature=1.0)
    before = model.model_dump()
    await drive.invoke(model, "hi", stop=["x"], enable_thinking=True, temperature=0, max_tokens=90)
    first = anyfast_server.last_request.json
    assert (first["stop"], first["enable_thinking"], first["temperature"]) == (["x"], True, 0)
    assert first["max_completion_tokens"] == 90
    assert model.model_dump() == before
    await drive.invoke(model, "hi")
    second = anyfast_server.last_request.json
    assert second["temperature"] == 1.0 and second["enable_thinking"] is False
    assert "stop" not in second and "max_completion_tokens" not in second


def test_unknown_keywords_go_to_model_kwargs_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="top_k was transferred to model_kwargs"):
        model = ChatAnyfast(api_key="k", top_k=20)
    assert model.model_kwargs == {"top_k": 20}
    given = {"temperature": 0.3, "seed": 1}
    with pytest.warns(UserWarning, match="should be specified explicitly"):
        moved = ChatAnyfast(api_key="k", model_kwargs=given)
    assert (moved.temperature, moved.model_kwargs) == (0.3, {"seed": 1})
    assert given == {"temperature": 0.3, "seed": 1}  # the caller's dict is left alone


async def test_call_keywords_beat_model_kwargs_and_extra_body(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model(
        model_kwargs={"seed": 7, "top_k": 5, "vendor": "kwargs"},
        extra_body={"top_k": 6, "vendor": "body"},
    )
    before = model.model_dump()
    await drive.invoke(model, "hi", seed=3, extra_body={"vendor": "call"})
    sent = anyfast_server.last_request.json
    assert (sent["seed"], sent["top_k"], sent["vendor"]) == (3, 6, "call")
    await drive.invoke(model.bind(seed=4, extra_body={"top_k": 1}), "hi")
    sent = anyfast_server.last_request.json
    assert (sent["seed"], sent["top_k"], sent["vendor"]) == (4, 1, "body")
    sent_so_far = len(anyfast_server.requests)
    with pytest.raises(TypeError, match=r"'top_k'.*'top_p'.*extra_body=\{'top_k'"):
        await drive.invoke(model.bind(top_k=1), "hi")
    assert len(anyfast_server.requests) == sent_so_far
    await drive.invoke(model, "hi")
    sent = anyfast_server.last_request.json
    assert (sent["seed"], sent["top_k"], sent["vendor"]) == (7, 6, "body")
    assert model.model_dump() == before


async def test_thinking_in_extra_body_meets_the_thinking_rules(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model(extra_body={"enable_thinking": True})
    await drive.invoke(model, "hi")
    assert anyfast_server.last_request.json["enable_thinking"] is True
    forced = model.bind(tools=[_ADD_TOOL], tool_choice="required")
    message = await drive.invoke(forced, "add 1 and 2")  # thinking kept: asked with "auto"
    assert anyfast_server.last_request.json["enable_thinking"] is True
    assert anyfast_server.last_request.json["tool_choice"] == "auto"
    assert message.tool_calls[0]["name"] == "add"
    with pytest.warns(AnyfastWarning, match="Thinking is turned off"):
        message = await drive.invoke(forced, "add 1 and 2", forced_tool_thinking="off")
    assert anyfast_server.last_request.json["enable_thinking"] is False
    assert message.tool_calls[0]["name"] == "add"


_ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        },
    },
}


async def test_clients_are_lazy_and_reused(make_model: MakeModel, drive: Driver) -> None:
    model = make_model()
    assert model._clients.made_sync is None and model._clients.made_async is None
    await drive.invoke(model, "one")
    made = model._clients.made_sync if drive.api == "sync" else model._clients.made_async
    assert made is not None
    await drive.invoke(model, "two")
    await drive.stream(model, "three")
    assert (model._clients.made_sync if drive.api == "sync" else model._clients.made_async) is made
    other = model._clients.made_async if drive.api == "sync" else model._clients.made_sync
    assert other is None


async def test_batch(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.responder = echo
    results = await drive.batch(make_model(), ["first", "second", "third"])
    assert [r.content for r in results] == ["first", "second", "third"]
    assert len(anyfast_server.requests) == 3


async def test_batch_keeps_to_max_concurrency(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    in_flight: list[int] = [0, 0]  # now, most
    lock = threading.Lock()

    def slow(request: dict[str, Any]) -> Reply | ErrorReply:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return echo(request)

    anyfast_server.responder = slow
    inputs = [f"question {n}" for n in range(6)]
    results = await drive.batch(make_model(), inputs, config={"max_concurrency": 2})
    assert [r.content for r in results] == inputs
    assert in_flight[1] <= 2 and len(anyfast_server.requests) == 6


# --------------------------------------------------------------------------- reasoning


async def test_reasoning_on_invoke(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(Reply(reasoning="Rayleigh scattering.", content="Blue light."))
    message = await drive.invoke(make_model(enable_thinking=True), "Why is the sky blue?")
    assert message.additional_kwargs["reasoning_content"] == "Rayleigh scattering."
    assert message.response_metadata["model_provider"] == "anyfast"
    assert [b["type"] for b in message.content_blocks] == ["reasoning", "text"]
    assert message.content_blocks[0]["reasoning"] == message.additional_kwargs["reasoning_content"]


async def test_reasoning_on_stream_without_empty_chunks(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(
        Reply(content="Blue light scatters.", reasoning="Rayleigh.", chunk_size=3)
    )
    chunks = await drive.stream(make_model(enable_thinking=True), "Why is the sky blue?")
    body = chunks[:-1]  # LangChain appends one empty closing chunk itself
    assert all(
        c.content
        or c.additional_kwargs
        or c.usage_metadata
        or c.response_metadata.get("finish_reason")
        for c in body
    )
    reasoning = [c.additional_kwargs["reasoning_content"] for c in body if c.additional_kwargs]
    assert "".join(reasoning) == "Rayleigh."
    total = aggregate(chunks)
    assert total.additional_kwargs["reasoning_content"] == "Rayleigh."
    assert total.content == "Blue light scatters."
    assert total.response_metadata["model_provider"] == "anyfast"
    assert [b["type"] for b in total.content_blocks] == ["reasoning", "text"]


async def test_output_version_v1(make_model: MakeModel, drive: Driver) -> None:
    model = make_model(enable_thinking=True, output_version="v1")
    message = await drive.invoke(model, "hi")
    assert [b["type"] for b in message.content] == ["reasoning", "text"]
    streamed = aggregate(await drive.stream(model, "hi"))
    assert [b["type"] for b in streamed.content_blocks] == ["reasoning", "text"]


def _history() -> list[Any]:
    return [
        HumanMessage("What is 2+2?"),
        AIMessage("4", additional_kwargs={"reasoning_content": "Two plus two is four."}),
        HumanMessage("And 3+3?"),
    ]


async def test_reasoning_is_not_sent_back_by_default(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    await drive.invoke(make_model(enable_thinking=True), _history())
    body = anyfast_server.last_request.json
    assert body["messages"][1] == {"role": "assistant", "content": "4"}
    assert "preserve_thinking" not in body


async def test_preserve_thinking_sends_reasoning_back(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    await drive.invoke(make_model(enable_thinking=True, preserve_thinking=True), _history())
    body = anyfast_server.last_request.json
    assert body["messages"][1]["reasoning_content"] == "Two plus two is four."
    assert body["preserve_thinking"] is True


# --------------------------------------------------------------------------- media

_IMAGE_B64 = "iVBORw0KGgo="


async def test_images_and_video_become_anyfast_parts(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    content: list[Any] = [
        {"type": "text", "text": "Describe these."},
        {"type": "image", "url": "https://example.com/a.png"},
        {"type": "image", "base64": _IMAGE_B64, "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": "https://example.com/b.jpg", "detail": "low"}},
        {"type": "video", "url": "https://example.com/c.mp4", "extras": {"fps": 2}},
        {"type": "video", "base64": "AAAA", "mime_type": "video/mp4"},
        {"type": "video_url", "video_url": {"url": "https://example.com/d.mp4", "fps": 0.5}},
    ]
    anyfast_server.enqueue(Reply(content="Three images, three videos."))
    message = await drive.invoke(make_model(), [HumanMessage(content=content)])
    assert message.content == "Three images, three videos."
    parts = anyfast_server.last_request.json["messages"][0]["content"]
    assert parts == [
        {"type": "text", "text": "Describe these."},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{_IMAGE_B64}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/b.jpg", "detail": "low"}},
        {"type": "video_url", "video_url": {"url": "https://example.com/c.mp4", "fps": 2.0}},
        {"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AAAA"}},
        {"type": "video_url", "video_url": {"url": "https://example.com/d.mp4", "fps": 0.5}},
    ]
    assert message.response_metadata["input_tokens_by_modality"] == {
        "text": 2,
        "image": 255,
        "video": 600,
    }


@pytest.mark.parametrize(
    ("block", "kind"),
    [
        ({"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}, "audio"),
        ({"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}, "file"),
        # LangChain itself turns OpenAI's input_audio into a standard audio block.
        ({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}, "audio"),
    ],
)
async def test_unsupported_blocks_are_named(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    block: dict[str, Any],
    kind: str,
) -> None:
    with pytest.raises(ValueError, match=f"'{kind}'.*text, image .* and video") as caught:
        await drive.invoke(make_model(), [HumanMessage(content=[block])])
    assert "does not accept" in str(caught.value)
    assert anyfast_server.requests == []


# --------------------------------------------------------------------------- usage, metadata

_USAGE = {
    "prompt_tokens": 30,
    "completion_tokens": 12,
    "total_tokens": 42,
    "prompt_tokens_details": {"cached_tokens": 20, "text_tokens": 10, "image_tokens": 20},
    "completion_tokens_details": {"reasoning_tokens": 5},
}


async def test_usage_and_metadata_on_invoke_and_stream(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    reply = Reply(content="hi there", reasoning="hmm", usage=_USAGE, id="chatcmpl-1", created=7)
    anyfast_server.enqueue(reply, reply)
    model = make_model(enable_thinking=True)
    invoked = await drive.invoke(model, "hi")
    streamed = aggregate(await drive.stream(model, "hi"))
    for message in (invoked, streamed):
        assert message.usage_metadata == {
            "input_tokens": 30,
            "output_tokens": 12,
            "total_tokens": 42,
            "input_token_details": {"cache_read": 20},
            "output_token_details": {"reasoning": 5},
        }
        meta = message.response_metadata
        assert (meta["model_name"], meta["model_provider"]) == ("qwen3.6-flash", "anyfast")
        assert (meta["id"], meta["created"], meta["finish_reason"]) == ("chatcmpl-1", 7, "stop")
        assert meta["token_usage"]["prompt_tokens_details"]["cached_tokens"] == 20
        assert meta["input_tokens_by_modality"] == {"text": 10, "image": 20}


async def test_stream_usage_can_be_turned_off(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    chunks = await drive.stream(make_model(stream_usage=False), "hi")
    assert aggregate(chunks).usage_metadata is None
    per_call = await drive.stream(make_model(), "hi", stream_usage=False)
    assert aggregate(per_call).usage_metadata is None
    # Not asked for at all, rather than asked for and dropped.
    assert all("stream_options" not in r.json for r in anyfast_server.requests)
    await drive.stream(make_model(), "hi")
    assert anyfast_server.last_request.json["stream_options"] == {"include_usage": True}


async def test_budget_spent_on_thinking_warns(make_model: MakeModel, drive: Driver) -> None:
    model = make_model(enable_thinking=True, max_tokens=3)
    with pytest.warns(AnyfastWarning, match="went to thinking"):
        message = await drive.invoke(model, "Explain the theory of everything")
    assert message.content == "" and message.response_metadata["finish_reason"] == "length"
    with pytest.warns(AnyfastWarning, match="went to thinking"):
        chunks = await drive.stream(model, "Explain the theory of everything")
    assert aggregate(chunks).response_metadata["finish_reason"] == "length"


# --------------------------------------------------------------------------- conventions


def test_langchain_conventions() -> None:
    model = ChatAnyfast(api_key="sk-secret-value", temperature=0.5, max_tokens=10, stop=["x"])
    assert model._llm_type == "anyfast-chat"
    assert model.lc_secrets == {"api_key": "ANYFAST_API_KEY"}
    params = model._get_ls_params()
    assert params == {
        "ls_provider": "anyfast",
        "ls_model_name": "qwen3.6-flash",
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_max_tokens": 10,
        "ls_stop": ["x"],
    }
    profile = model.profile
    assert profile is not None
    assert (profile["max_input_tokens"], profile["max_output_tokens"]) == (1_000_000, 65_536)
    assert profile["image_inputs"] and profile["video_inputs"] and profile["reasoning_output"]
    assert profile["tool_calling"] and not profile["audio_inputs"]


@pytest.mark.filterwarnings(
    "ignore:The function `load` is in beta:langchain_core._api.beta_decorator.LangChainBetaWarning"
)
def test_serialization_round_trip_keeps_the_key_out(monkeypatch: pytest.MonkeyPatch) -> None:
    model = ChatAnyfast(
        api_key="sk-secret-value",
        enable_thinking=True,
        temperature=0.3,
        model_kwargs={"top_k": 3},
        extra_body={"vendor_flag": True},
    )
    assert "sk-secret-value" not in dumps(model)
    monkeypatch.setenv("ANYFAST_API_KEY", "sk-from-env")
    loaded = load(
        dumpd(model),
        valid_namespaces=["langchain_anyfast"],
        allowed_objects=[ChatAnyfast],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatAnyfast)
    assert (loaded.enable_thinking, loaded.temperature) == (True, 0.3)
    assert (loaded.model_kwargs, loaded.extra_body) == ({"top_k": 3}, {"vendor_flag": True})
    assert loaded.api_key is not None and loaded.api_key.get_secret_value() == "sk-from-env"


async def test_pickle_carries_no_key_and_still_calls(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = make_model(api_key="test-key", temperature=0.1)
    await drive.invoke(model, "warm up the pools")
    data = pickle.dumps(model)
    assert b"test-key" not in data
    monkeypatch.setenv("ANYFAST_API_KEY", anyfast_server.api_key or "")
    restored = pickle.loads(data)
    assert restored._clients.made_sync is None and restored._clients.made_async is None
    anyfast_server.enqueue(Reply(content="answered in a worker"))
    try:
        message = await drive.invoke(restored, "from a worker")
    finally:
        restored.close()
        await restored.aclose()
    assert message.content == "answered in a worker"
    assert anyfast_server.last_request.json["messages"][-1]["content"] == "from a worker"
    assert anyfast_server.last_request.json["temperature"] == 0.1


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "client_error", "langchain_error"),
    [
        (400, anyfast_client.BadRequestError, ModelInvalidRequestError),
        (401, anyfast_client.AuthenticationError, ModelAuthenticationError),
        (413, anyfast_client.RequestTooLargeError, ContextOverflowError),
        (429, anyfast_client.RateLimitError, ModelRateLimitError),
        (503, anyfast_client.InternalServerError, ModelAPIError),
    ],
)
async def test_errors_are_catchable_both_ways(
    make_model: MakeModel,
    anyfast_server: AnyfastTestServer,
    drive: Driver,
    status: int,
    client_error: type[Exception],
    langchain_error: type[Exception],
) -> None:
    model = make_model()
    for call in (drive.invoke, drive.stream):
        anyfast_server.enqueue(ErrorReply(status))
        with pytest.raises(client_error) as caught:
            await call(model, "hi")
        assert isinstance(caught.value, langchain_error)
        assert caught.value.status_code == status  # type: ignore[attr-defined]


async def test_missing_key_is_an_authentication_error(
    make_model: MakeModel, drive: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    model = make_model(api_key=None)
    with pytest.raises(anyfast_client.MissingAPIKeyError) as caught:
        await drive.invoke(model, "hi")
    assert isinstance(caught.value, ModelAuthenticationError)


async def test_error_event_and_cut_stream(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model()
    anyfast_server.enqueue(Reply(content="a b c d e f g h", chunk_size=2, error_after=3))
    with pytest.raises(anyfast_client.BadRequestError) as moderated:
        await drive.stream(model, "hi")
    assert isinstance(moderated.value, ModelInvalidRequestError)
    assert moderated.value.code == "data_inspection_failed"
    anyfast_server.enqueue(Reply(content="a b c d e f g h", chunk_size=2, cut_after=3))
    with pytest.raises(anyfast_client.StreamInterruptedError) as cut:
        await drive.stream(model, "hi")
    assert isinstance(cut.value, ModelAPIError)
    assert cut.value.partial is not None and cut.value.partial.choices[0].message.content


async def test_retries_come_from_the_client_once(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(
        ErrorReply(503, headers={"Retry-After": "0"}),
        ErrorReply(503, headers={"Retry-After": "0"}),
    )
    with pytest.raises(anyfast_client.InternalServerError):
        await drive.invoke(make_model(max_retries=1), "hi")
    assert len(anyfast_server.requests) == 2
    anyfast_server.enqueue(ErrorReply(429, headers={"Retry-After": "0"}), Reply(content="ok"))
    message = await drive.invoke(make_model(max_retries=1), "again")
    assert message.content == "ok"


# --------------------------------------------------------------------------- messages


async def test_system_tool_and_parallel_results_go_back(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    calls = [
        {"name": "weather", "args": {"city": "Paris"}, "id": "call_1"},
        {"name": "weather", "args": {"city": "Oslo"}, "id": "call_2"},
    ]
    history = [
        SystemMessage("Be brief."),
        HumanMessage("Weather in Paris and Oslo?"),
        AIMessage("", tool_calls=calls),
        ToolMessage("sunny", tool_call_id="call_1"),
        ToolMessage([{"type": "text", "text": "snow"}], tool_call_id="call_2"),
    ]
    anyfast_server.enqueue(Reply(content="Sunny in Paris, snow in Oslo."))
    message = await drive.invoke(make_model(), history)
    assert message.content == "Sunny in Paris, snow in Oslo."
    sent = anyfast_server.last_request.json["messages"]
    assert sent[0] == {"role": "system", "content": "Be brief."}
    assert sent[2]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
        },
    ]
    assert "content" not in sent[2]
    assert sent[3:] == [
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
        {"role": "tool", "content": "snow", "tool_call_id": "call_2"},
    ]


async def test_copies_get_their_own_pools(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    model = make_model()
    await drive.invoke(model, "warm up")
    copy = model.model_copy(update={"temperature": 0.5})
    assert copy._clients.made_sync is None and copy._clients.made_async is None
    await drive.invoke(copy, "copy")
    copy.close()
    await copy.aclose()
    del copy
    gc.collect()
    anyfast_server.enqueue(Reply(content="still works"))
    message = await drive.invoke(model, "the original still works")
    assert message.content == "still works"


async def test_streaming_field_streams_invoke(
    make_model: MakeModel, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(Reply(reasoning="Greet back.", content="Hello!"))
    message = await drive.invoke(make_model(streaming=True, enable_thinking=True), "hi")
    assert anyfast_server.last_request.json["stream"] is True
    assert message.content == "Hello!"
    assert message.additional_kwargs["reasoning_content"] == "Greet back."
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] > 0
