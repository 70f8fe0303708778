"""The core client against llama.cpp's llama-server, replayed from ``cassettes/real_server/``.

The assertions are what a user checks on a real answer, never the model's wording.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from anyfast_client import (
    AnyfastClient,
    AssistantMessage,
    AuthenticationError,
    ChatCompletion,
    ChatRequest,
    EmbeddingRequest,
    ToolMessage,
    UserMessage,
)

from .conftest import (
    LONG_PROMPT,
    NUMBERS_PROMPT,
    PLAIN_PROMPT,
    PLAIN_SAMPLING,
    THINKING_OFF,
    THINKING_ON,
    THINKING_PROMPT,
    THINKING_SAMPLING,
    TOOL_SEED,
    WEATHER_QUESTION,
    WEATHER_TOOL,
    WRONG_KEY,
    RealServer,
)

pytestmark = pytest.mark.vcr


def client_at(url: str, real_server: RealServer, **settings: Any) -> AnyfastClient:
    settings = {"api_key": real_server.api_key, "max_retries": 0, **settings}
    return AnyfastClient(base_url=url, embeddings_base_url=real_server.embeddings_url, **settings)


@pytest.fixture
def client(real_server: RealServer) -> Iterator[AnyfastClient]:
    with client_at(real_server.base_url, real_server) as made:
        yield made


def ask(text: str, *, thinking: bool, **fields: Any) -> ChatRequest:
    sampling = THINKING_SAMPLING if thinking else PLAIN_SAMPLING
    return ChatRequest(
        messages=[UserMessage(content=text)],
        enable_thinking=thinking,
        extra_body=THINKING_ON if thinking else THINKING_OFF,
        **{**sampling, **fields},
    )


def answer_of(completion: ChatCompletion) -> tuple[str, str, str | None]:
    choice = completion.choices[0]
    message = choice.message
    return message.reasoning_content or "", message.content or "", choice.finish_reason


def weather_request(**fields: Any) -> ChatRequest:
    fields.setdefault("messages", [UserMessage(content=WEATHER_QUESTION)])
    return ChatRequest(
        tools=[WEATHER_TOOL],
        seed=TOOL_SEED,
        max_completion_tokens=200,
        extra_body=THINKING_OFF,
        **fields,
    )


def test_chat_with_thinking(client: AnyfastClient) -> None:
    completion = client.chat(ask(THINKING_PROMPT, thinking=True, max_completion_tokens=400))
    reasoning, content, finish = answer_of(completion)
    assert reasoning.strip() and content.strip()
    assert "<think>" not in content and "</think>" not in content and finish == "stop"


def test_chat_without_thinking(client: AnyfastClient) -> None:
    completion = client.chat(ask(PLAIN_PROMPT, thinking=False, max_completion_tokens=300))
    reasoning, content, finish = answer_of(completion)
    assert reasoning == "" and content.strip() and finish == "stop"
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


@pytest.mark.parametrize("thinking", [True, False], ids=["thinking", "plain"])
def test_stream(client: AnyfastClient, thinking: bool) -> None:
    prompt = THINKING_PROMPT if thinking else PLAIN_PROMPT
    with client.chat_stream(ask(prompt, thinking=thinking, max_completion_tokens=400)) as stream:
        chunks = list(stream)
        whole = stream.completion
    reasoning, content, finish = answer_of(whole)
    assert content.strip() and finish == "stop"
    assert bool(reasoning.strip()) is thinking
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert len([p for p in pieces if p]) > 1 and "".join(pieces) == content
    # The usage asked for by stream_options comes once, on the last chunk.
    (usage,) = [c.usage for c in chunks if c.usage is not None]
    assert chunks[-1].usage is usage and usage.completion_tokens > 0


def test_stop_sequence_cuts_the_answer(client: AnyfastClient) -> None:
    full = answer_of(client.chat(ask(NUMBERS_PROMPT, thinking=False, max_completion_tokens=60)))
    cut = answer_of(
        client.chat(ask(NUMBERS_PROMPT, thinking=False, max_completion_tokens=60, stop=["5"]))
    )
    assert "5" in full[1]
    assert "5" not in cut[1] and full[1].startswith(cut[1]) and cut[2] == "stop"


def test_max_tokens_ends_in_length(client: AnyfastClient) -> None:
    completion = client.chat(ask(LONG_PROMPT, thinking=False, max_completion_tokens=5))
    _, content, finish = answer_of(completion)
    assert finish == "length" and content
    assert completion.usage is not None and completion.usage.completion_tokens == 5


def test_forced_tool_call_and_its_round_trip(client: AnyfastClient) -> None:
    completion = client.chat(weather_request(tool_choice="required"))
    message = completion.choices[0].message
    calls = message.tool_calls or []
    # What a caller checks before running a tool: its name, and arguments that parse.
    assert calls and all(call.id and call.function.name == "get_weather" for call in calls)
    assert isinstance(json.loads(calls[0].function.arguments).get("city"), str)

    # The model's later calls are cut off mid-arguments, which llama-server refuses to
    # read back: the round trip answers the first call, as a single-tool agent would.
    history = [
        UserMessage(content=WEATHER_QUESTION),
        AssistantMessage(content=message.content or "", tool_calls=calls[:1]),
        ToolMessage(content="Sunny, 24 degrees.", tool_call_id=calls[0].id),
    ]
    _, content, finish = answer_of(client.chat(weather_request(messages=history)))
    assert content.strip() and finish in ("stop", "length")


def test_streamed_tool_call(client: AnyfastClient) -> None:
    with client.chat_stream(weather_request(tool_choice="required")) as stream:
        chunks = list(stream)
        whole = stream.completion
    deltas = [d for c in chunks for ch in c.choices for d in ch.delta.tool_calls or []]
    calls = whole.choices[0].message.tool_calls or []
    assert len(deltas) > len(calls) > 0  # each call's arguments come in pieces
    assert {call.function.name for call in calls} == {"get_weather"}
    assert isinstance(json.loads(calls[0].function.arguments).get("city"), str)


def test_wrong_key_is_an_authentication_error(real_server: RealServer) -> None:
    wrong = client_at(real_server.base_url, real_server, api_key=WRONG_KEY)
    with wrong, pytest.raises(AuthenticationError) as caught:
        wrong.chat(ask(PLAIN_PROMPT, thinking=False, max_completion_tokens=5))
    assert caught.value.status_code == 401 and caught.value.message
    assert WRONG_KEY not in str(caught.value)


def test_embeddings(client: AnyfastClient) -> None:
    texts = ["Paris is in France.", "Rome is in Italy."]
    response = client.embeddings(EmbeddingRequest(input=texts))
    first, second = response.vectors()
    assert len(first) == len(second) > 0 and first != second
    assert response.usage is not None and response.usage.prompt_tokens > 0
