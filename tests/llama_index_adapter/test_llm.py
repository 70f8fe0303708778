"""``Anyfast`` through the wire: reasoning, streaming, usage, options, state, errors, retries."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.prompts import PromptTemplate

from anyfast_client import (
    BadRequestError,
    InternalServerError,
    MissingAPIKeyError,
    StreamInterruptedError,
)
from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply
from llama_index_anyfast import USAGE_KEYS, Anyfast, AnyfastWarning

from .conftest import Driver, user

Make = Callable[..., Anyfast]


def _body(server: AnyfastTestServer, index: int = -1) -> dict[str, Any]:
    body = server.requests[index].json
    assert isinstance(body, dict)
    return body


# --------------------------------------------------------------------------- reasoning, usage


def _usage(*, reasoning_tokens: int) -> dict[str, Any]:
    """Usage as the server would report it, scripted so the test owns the numbers."""
    return {
        "prompt_tokens": 4,
        "completion_tokens": reasoning_tokens + 5,
        "total_tokens": reasoning_tokens + 9,
        "prompt_tokens_details": {
            "cached_tokens": 0,
            "text_tokens": 4,
            "image_tokens": 0,
            "video_tokens": 0,
        },
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    }


async def test_chat_puts_thinking_before_text_with_usage(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    usage = _usage(reasoning_tokens=3)
    anyfast_server.enqueue(
        Reply(content="Blue light scatters.", reasoning="Rayleigh, so short.", usage=usage)
    )
    response = await drive.chat(make_llm(enable_thinking=True), user("Why is the sky blue?"))

    thinking, text = response.message.blocks
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content == "Rayleigh, so short."
    assert isinstance(text, TextBlock)
    assert text.text == "Blue light scatters."
    assert thinking.num_tokens == response.additional_kwargs["reasoning_tokens"] == 3
    assert set(USAGE_KEYS) <= set(response.additional_kwargs)
    assert response.additional_kwargs["total_tokens"] == (
        response.additional_kwargs["prompt_tokens"]
        + response.additional_kwargs["completion_tokens"]
    )
    assert response.additional_kwargs["finish_reason"] == "stop"
    assert _body(anyfast_server)["enable_thinking"] is True


async def test_reasoning_tokens_only_when_the_server_sends_them(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(Reply(content="ok", reasoning="hmm", include_reasoning_tokens=False))
    response = await drive.chat(llm, user("hi"))
    thinking = response.message.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.num_tokens is None
    assert "reasoning_tokens" not in response.additional_kwargs


async def test_stream_splits_thinking_from_answer(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    reasoning = "First I consider the question carefully."
    answer = "The answer is forty-two, as everyone knows."
    usage = _usage(reasoning_tokens=6)
    anyfast_server.enqueue(Reply(content=answer, reasoning=reasoning, chunk_size=5, usage=usage))
    responses = await drive.stream(make_llm(enable_thinking=True), user("meaning of life"))

    thinking = [
        r.additional_kwargs["thinking_delta"]
        for r in responses
        if "thinking_delta" in r.additional_kwargs
    ]
    assert "".join(thinking) == reasoning
    assert "".join(r.delta or "" for r in responses) == answer
    # No empty responses: each carries text, thinking, the finish reason or usage.
    assert all(r.delta or set(r.additional_kwargs) for r in responses)
    # A reasoning piece never leaks into delta.
    assert all(not r.delta for r in responses if "thinking_delta" in r.additional_kwargs)
    # Blocks are cumulative; the last response has the whole answer and the usage.
    middle = responses[len(thinking) + 2].message.blocks
    assert isinstance(middle[0], ThinkingBlock) and middle[0].content == reasoning
    assert isinstance(middle[1], TextBlock) and answer.startswith(middle[1].text)
    last = responses[-1]
    thought, text = last.message.blocks
    assert isinstance(thought, ThinkingBlock) and thought.num_tokens == 6
    assert isinstance(text, TextBlock) and text.text == answer
    assert set(USAGE_KEYS) <= set(last.additional_kwargs)
    assert _body(anyfast_server)["stream_options"] == {"include_usage": True}


async def test_complete_and_stream_complete(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    llm = make_llm(enable_thinking=True)
    hi = Reply(reasoning="A greeting, then.", content="Hi there!")
    anyfast_server.enqueue(hi, hi)
    completion = await drive.complete(llm, "Say hi")
    assert completion.text == "Hi there!"
    assert completion.additional_kwargs["thinking"] == "A greeting, then."
    assert completion.additional_kwargs["reasoning_tokens"] > 0
    assert _body(anyfast_server)["messages"] == [{"role": "user", "content": "Say hi"}]

    pieces = await drive.stream_complete(llm, "Say hi")
    assert pieces[-1].text == "Hi there!"
    assert "".join(p.delta or "" for p in pieces) == pieces[-1].text
    thinking = "".join(p.additional_kwargs.get("thinking_delta") or "" for p in pieces)
    assert thinking == "A greeting, then."
    assert "total_tokens" in pieces[-1].additional_kwargs


async def test_budget_spent_on_thinking_warns(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    llm = make_llm(enable_thinking=True, max_tokens=3)
    with pytest.warns(AnyfastWarning, match="budget"):
        response = await drive.chat(llm, user("Explain everything about the universe"))
    assert response.message.content == ""
    assert response.additional_kwargs["finish_reason"] == "length"
    with pytest.warns(AnyfastWarning, match="budget"):
        await drive.stream(llm, user("Explain everything about the universe"))


# --------------------------------------------------------------------------- options


async def test_settings_go_on_the_wire(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    llm = make_llm(
        enable_thinking=True,
        thinking_budget=50,
        temperature=0.2,
        top_p=0.9,
        max_tokens=100,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        stop="END",
        additional_kwargs={"seed": 7, "vendor_flag": "x"},
    )
    await drive.chat(llm, user("hi"))
    body = _body(anyfast_server)
    expected = {
        "enable_thinking": True,
        "thinking_budget": 50,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_completion_tokens": 100,
        "frequency_penalty": 0.5,
        "presence_penalty": -0.5,
        "stop": ["END"],
        "seed": 7,
        "vendor_flag": "x",
    }
    assert {key: body[key] for key in expected} == expected
    assert "max_tokens" not in body


async def test_defaults_send_only_what_is_needed(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    await drive.chat(llm, user("hi"))
    assert set(_body(anyfast_server)) == {"model", "messages", "enable_thinking"}
    assert _body(anyfast_server)["enable_thinking"] is False
    assert _body(anyfast_server)["model"] == "qwen3.6-flash"


async def test_per_call_options_leave_the_instance_alone(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    before = llm.model_dump()
    response = await drive.chat(
        llm, user("hi"), enable_thinking=True, temperature=0, max_tokens=500, stop=["zzz"]
    )
    assert isinstance(response.message.blocks[0], ThinkingBlock)
    first = _body(anyfast_server)
    assert (first["enable_thinking"], first["temperature"]) == (True, 0)
    assert (first["max_completion_tokens"], first["stop"]) == (500, ["zzz"])
    assert llm.model_dump() == before

    await drive.stream(llm, user("hi"), extra_body={"seed": 1})
    second = _body(anyfast_server)
    assert second["enable_thinking"] is False
    assert second["seed"] == 1
    assert not {"temperature", "max_completion_tokens", "stop"} & set(second)
    assert llm.model_dump() == before


async def test_unknown_call_option_is_a_type_error(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    with pytest.raises(TypeError, match="temprature"):
        await drive.chat(llm, user("hi"), temprature=0.1)
    assert anyfast_server.requests == []


def test_out_of_range_settings_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="temperature"):
        Anyfast(temperature=3)
    with pytest.raises(ValueError, match="max_tokens"):
        Anyfast(max_tokens=70_000)


def test_metadata_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    llm = Anyfast(api_base="http://127.0.0.1:9/v1", max_tokens=2048)
    meta = llm.metadata
    assert (meta.is_chat_model, meta.is_function_calling_model) == (True, True)
    assert (meta.model_name, meta.context_window, meta.num_output) == (
        "qwen3.6-flash",
        1_000_000,
        2048,
    )
    with pytest.raises(MissingAPIKeyError):
        llm.chat(user("hi"))


# --------------------------------------------------------------------------- state and secrets

SECRET = "sk-very-secret-0123456789"


def test_key_stays_out_of_repr_and_dumps() -> None:
    llm = Anyfast(api_key=SECRET)
    for text in (repr(llm), str(llm), str(llm.model_dump()), str(llm.to_dict()), llm.to_json()):
        assert SECRET not in text
    assert "api_key" not in llm.to_dict()
    clone = Anyfast.from_dict({**llm.to_dict(), "temperature": 0.3})
    assert (clone.temperature, clone.api_key) == (0.3, None)  # the key comes from the env


async def test_pickled_llm_reads_the_key_from_the_environment(
    anyfast_server: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", anyfast_server.api_key or "")
    llm = Anyfast(api_base=anyfast_server.base_url, temperature=0.5)
    llm.chat(user("warm up"))  # the pooled client exists now; it must not travel
    data = pickle.dumps(llm)
    assert (anyfast_server.api_key or "").encode() not in data
    clone = pickle.loads(data)
    anyfast_server.enqueue(Reply(content="hi back"))
    try:
        assert clone.chat(user("hello")).message.content == "hi back"
        assert clone.temperature == 0.5
        assert anyfast_server.last_request.headers["authorization"] == "Bearer test-key"
    finally:
        clone.close()
        llm.close()


def test_pickled_llm_never_carries_an_explicit_key(
    anyfast_server: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    llm = Anyfast(api_base=anyfast_server.base_url, api_key="sk-explicit-SECRET")
    data = pickle.dumps(llm)
    assert b"sk-explicit-SECRET" not in data
    clone = pickle.loads(data)
    with pytest.raises(MissingAPIKeyError, match="ANYFAST_API_KEY"):
        clone.chat(user("hello"))
    assert anyfast_server.requests == []
    monkeypatch.setenv("ANYFAST_API_KEY", anyfast_server.api_key or "")
    anyfast_server.enqueue(Reply(content="hi back"))
    try:
        assert clone.chat(user("hello")).message.content == "hi back"
    finally:
        clone.close()


# --------------------------------------------------------------------------- errors and retries


async def test_status_errors_propagate(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    invalid = {"error": {"message": "Range of temperature is wrong", "code": "invalid"}}
    anyfast_server.enqueue(ErrorReply(400, body=invalid), ErrorReply(400, body=invalid))
    with pytest.raises(BadRequestError, match="Range of temperature") as caught:
        await drive.chat(llm, user("hi"))
    assert caught.value.code == "invalid"
    with pytest.raises(BadRequestError, match="Range of temperature"):
        await drive.stream(llm, user("hi"))
    assert len(anyfast_server.requests) == 2  # a 400 is never retried


async def test_json_mode_while_thinking_answers_with_thinking_off_and_a_warning(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    llm = make_llm(enable_thinking=True, forced_tool_thinking="off")
    with pytest.warns(AnyfastWarning, match="response_format 'json_object'"):
        response = await drive.chat(llm, user("hi"), response_format={"type": "json_object"})
    assert response.message.content.startswith("{")
    sent = anyfast_server.last_request.json
    assert sent["enable_thinking"] is False
    assert sent["messages"][0] == {"role": "system", "content": "Respond in JSON."}
    assert llm.enable_thinking is True


async def test_stream_errors_propagate_not_empty_answers(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(Reply(content="a long answer that is cut", error_after=3))
    with pytest.raises(BadRequestError, match="inappropriate"):
        await drive.stream(llm, user("hi"))
    anyfast_server.enqueue(Reply(content="a long answer that is cut", cut_after=3))
    with pytest.raises(StreamInterruptedError) as caught:
        await drive.stream(llm, user("hi"))
    assert caught.value.partial is not None
    assert len(anyfast_server.requests) == 2  # a stream that showed chunks is never retried


async def test_retries_follow_the_core_policy_once(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    busy = ErrorReply(503, headers={"Retry-After": "0"})
    anyfast_server.enqueue(busy, busy, busy, busy)
    with pytest.raises(InternalServerError):
        await drive.chat(make_llm(max_retries=1), user("hi"))
    assert len(anyfast_server.requests) == 2  # one try and one retry, not retries of retries

    anyfast_server.reset()
    anyfast_server.enqueue(busy, Reply(content="back"))
    response = await drive.chat(make_llm(max_retries=2), user("hi"))
    assert response.message.content == "back"


async def test_stream_is_retried_before_its_first_chunk(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    anyfast_server.enqueue(ErrorReply(503, headers={"Retry-After": "0"}), Reply(content="fine"))
    responses = await drive.stream(make_llm(max_retries=1), user("hi"))
    assert "".join(r.delta or "" for r in responses) == "fine"
    assert len(anyfast_server.requests) == 2


# --------------------------------------------------------------------------- instrumentation


class _Collect(BaseEventHandler):
    events: list[BaseEvent]

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def collected() -> Iterator[list[BaseEvent]]:
    handler = _Collect(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler.events
    root.event_handlers.remove(handler)


async def test_every_method_fires_events_and_callbacks(
    make_llm: Make, drive: Driver, collected: list[BaseEvent]
) -> None:
    debug = LlamaDebugHandler()
    llm = make_llm(callback_manager=CallbackManager([debug]))
    await drive.chat(llm, user("hi"))
    await drive.stream(llm, user("hi"))
    await drive.complete(llm, "hi")
    pieces = await drive.stream_complete(llm, "hi")

    names = [type(event).__name__ for event in collected]
    for kind in ("Chat", "Completion"):
        assert names.count(f"LLM{kind}StartEvent") == names.count(f"LLM{kind}EndEvent") == 2
        assert f"LLM{kind}InProgressEvent" in names
    pairs = debug.get_event_pairs(CBEventType.LLM)
    assert len(pairs) == 4
    assert all(len(pair) == 2 for pair in pairs)  # every start has its end
    last_end = [e for e in collected if type(e).__name__ == "LLMCompletionEndEvent"][-1]
    assert last_end.response.text == pieces[-1].text  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- prompts


async def test_prompts_through_predict_and_stream_carry_the_system_prompt(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    llm = make_llm(system_prompt="Be brief.")
    prompt = PromptTemplate("Say hi to {name}")
    anyfast_server.enqueue(Reply(content="Hi, Ada!"), Reply(content="Hi, Ada!"))
    if drive.api == "sync":
        answer = llm.predict(prompt, name="Ada")
        streamed = "".join(llm.stream(prompt, name="Ada"))
    else:
        answer = await llm.apredict(prompt, name="Ada")
        streamed = "".join([piece async for piece in await llm.astream(prompt, name="Ada")])
    assert answer == streamed == "Hi, Ada!"
    for request in anyfast_server.requests:
        assert request.json["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hi to Ada"},
        ]


async def test_complete_sends_the_prompt_as_given_formatted_or_not(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    # A chat model: the prompt goes out as the user message, as in LlamaIndex's OpenAI LLM.
    for formatted in (False, True):
        await drive.complete(llm, "Say hi", formatted=formatted)
        assert _body(anyfast_server)["messages"] == [{"role": "user", "content": "Say hi"}]


# --------------------------------------------------------------------------- preserve_thinking


def _thought_history() -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="2+2?"),
        ChatMessage(
            role="assistant",
            blocks=[ThinkingBlock(content="Two plus two is four."), TextBlock(text="4")],
        ),
        ChatMessage(role="user", content="and 3+3?"),
    ]


async def test_earlier_thinking_stays_home_by_default(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    await drive.chat(make_llm(enable_thinking=True), _thought_history())
    body = _body(anyfast_server)
    assert body["messages"][1] == {"role": "assistant", "content": "4"}
    assert "preserve_thinking" not in body


async def test_preserve_thinking_sends_reasoning_back(
    make_llm: Make, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    await drive.stream(make_llm(enable_thinking=True, preserve_thinking=True), _thought_history())
    body = _body(anyfast_server)
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "4",
        "reasoning_content": "Two plus two is four.",
    }
    assert body["preserve_thinking"] is True

    await drive.chat(make_llm(enable_thinking=True), _thought_history(), preserve_thinking=True)
    body = _body(anyfast_server)
    assert body["messages"][1]["reasoning_content"] == "Two plus two is four."
    assert body["preserve_thinking"] is True


# --------------------------------------------------------------------------- warnings


def _where(record: list[warnings.WarningMessage]) -> list[tuple[str, str]]:
    return [(Path(w.filename).name, type(w.message).__name__) for w in record]


def test_warnings_point_at_the_users_line(llm: Anyfast) -> None:
    here = [(Path(__file__).name, "AnyfastWarning")]
    json_mode = {
        "enable_thinking": True,
        "forced_tool_thinking": "off",  # thinking turned off up front, with a warning
        "response_format": {"type": "json_object"},
    }
    calls: list[Callable[[], object]] = [
        lambda: llm.chat(user("hi"), **json_mode),
        lambda: list(llm.stream_chat(user("hi"), **json_mode)),
        lambda: llm.complete("hi", **json_mode),
        lambda: llm.chat(user("Explain it all"), enable_thinking=True, max_tokens=3),
        lambda: list(llm.stream_chat(user("Explain it all"), enable_thinking=True, max_tokens=3)),
    ]
    for call in calls:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            call()
        assert _where(record) == here


async def test_async_warnings_point_at_the_users_line(llm: Anyfast) -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        await llm.achat(
            user("hi"),
            enable_thinking=True,
            forced_tool_thinking="off",
            response_format={"type": "json_object"},
        )
        async for _ in await llm.astream_chat(
            user("Explain it all"), enable_thinking=True, max_tokens=3
        ):
            pass
    assert _where(record) == [(Path(__file__).name, "AnyfastWarning")] * 2
