"""Anyfast and AnyfastEmbedding against llama.cpp's llama-server, replayed from cassettes.

The assertions are what a LlamaIndex user checks on a real answer, never the model's wording.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from vcr.cassette import Cassette

import anyfast_client as af
from llama_index_anyfast import Anyfast, AnyfastEmbedding

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

MakeLLM = Callable[..., Anyfast]


@pytest.fixture
def make_llm(on_real_server: Callable[..., Any]) -> MakeLLM:
    return functools.partial(on_real_server, Anyfast)


def thinking(on: bool) -> dict[str, Any]:
    """Settings for thinking on or off; ``additional_kwargs`` are extra body fields."""
    sampling = dict(THINKING_SAMPLING if on else PLAIN_SAMPLING)
    extra = {**(THINKING_ON if on else THINKING_OFF), "seed": sampling.pop("seed")}
    return {"enable_thinking": on, "additional_kwargs": extra, **sampling}


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=text)]


def test_chat_with_thinking(make_llm: MakeLLM) -> None:
    llm = make_llm(max_tokens=400, **thinking(True))
    response = llm.chat(user(THINKING_PROMPT))
    thought, text = response.message.blocks[:2]
    assert isinstance(thought, ThinkingBlock) and thought.content and thought.content.strip()
    assert isinstance(text, TextBlock) and text.text.strip()
    assert response.additional_kwargs["finish_reason"] == "stop"


def test_chat_without_thinking(make_llm: MakeLLM) -> None:
    llm = make_llm(max_tokens=300, **thinking(False))
    response = llm.chat(user(PLAIN_PROMPT))
    assert not any(isinstance(b, ThinkingBlock) for b in response.message.blocks)
    assert response.message.content and response.message.content.strip()
    usage = response.additional_kwargs
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


@pytest.mark.parametrize("on", [True, False], ids=["thinking", "plain"])
async def test_astream_chat(make_llm: MakeLLM, on: bool) -> None:
    llm = make_llm(max_tokens=400, **thinking(on))
    prompt = user(THINKING_PROMPT if on else PLAIN_PROMPT)
    responses = [r async for r in await llm.astream_chat(prompt)]
    thought = "".join(r.additional_kwargs.get("thinking_delta") or "" for r in responses)
    answer = "".join(r.delta or "" for r in responses)
    assert bool(thought.strip()) is on
    assert answer.strip() and responses[-1].message.content == answer
    assert responses[-1].additional_kwargs["completion_tokens"] > 0


def test_stop_sequence(make_llm: MakeLLM) -> None:
    llm = make_llm(max_tokens=60, **thinking(False))
    full = llm.chat(user(NUMBERS_PROMPT)).message.content or ""
    cut = llm.chat(user(NUMBERS_PROMPT), stop=["5"])
    text = cut.message.content or ""
    assert "5" in full
    assert "5" not in text and full.startswith(text)
    assert cut.additional_kwargs["finish_reason"] == "stop"


def test_max_tokens_ends_in_length(make_llm: MakeLLM) -> None:
    llm = make_llm(max_tokens=5, **thinking(False))
    response = llm.chat(user(LONG_PROMPT))
    assert response.additional_kwargs["finish_reason"] == "length"
    assert response.additional_kwargs["completion_tokens"] == 5


def test_multi_turn_sends_the_reasoning_back(make_llm: MakeLLM, vcr: Cassette) -> None:
    llm = make_llm(max_tokens=400, preserve_thinking=True, **thinking(True))
    history = user(THINKING_PROMPT)
    first = llm.chat(history).message
    follow_up = [*history, first, *user("Say that in five words.")]
    second = llm.chat(follow_up, enable_thinking=False, extra_body=THINKING_OFF)
    assert second.message.content and second.message.content.strip()
    thought = next(b for b in first.blocks if isinstance(b, ThinkingBlock))
    sent = json.loads(vcr.requests[1].body)["messages"][1]
    assert sent["reasoning_content"] == thought.content


def tools_llm(make_llm: MakeLLM) -> Anyfast:
    return make_llm(max_tokens=200, additional_kwargs={**THINKING_OFF, "seed": TOOL_SEED})


def test_tool_call_and_round_trip(make_llm: MakeLLM) -> None:
    llm = tools_llm(make_llm)
    question = user(WEATHER_QUESTION)
    response = llm.chat(question, tools=[WEATHER_TOOL], tool_choice="required")
    selections = llm.get_tool_calls_from_response(response)
    assert {s.tool_name for s in selections} == {"get_weather"}
    assert isinstance(selections[0].tool_kwargs.get("city"), str)
    # The model's later calls are cut off mid-arguments, which llama-server refuses to
    # read back: the round trip answers the first call, as a single-tool agent would.
    message = response.message.model_copy(deep=True)
    first = next(b for b in message.blocks if isinstance(b, ToolCallBlock))
    message.blocks = [b for b in message.blocks if not isinstance(b, ToolCallBlock)] + [first]
    result = ChatMessage(
        role=MessageRole.TOOL,
        content="Sunny, 24 degrees.",
        additional_kwargs={"tool_call_id": selections[0].tool_id},
    )
    final = llm.chat([*question, message, result], tools=[WEATHER_TOOL])
    assert final.message.content and final.message.content.strip()


def test_streamed_tool_call(make_llm: MakeLLM) -> None:
    llm = tools_llm(make_llm)
    stream = llm.stream_chat(user(WEATHER_QUESTION), tools=[WEATHER_TOOL], tool_choice="required")
    last = list(stream)[-1]
    calls = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert calls and {c.tool_name for c in calls} == {"get_weather"}
    selections = llm.get_tool_calls_from_response(last)
    assert isinstance(selections[0].tool_kwargs.get("city"), str)


def test_wrong_key(make_llm: MakeLLM) -> None:
    llm = make_llm(api_key=WRONG_KEY, max_tokens=5)
    with pytest.raises(af.AuthenticationError) as caught:
        llm.complete("Hi")
    assert caught.value.status_code == 401 and WRONG_KEY not in str(caught.value)


async def test_embeddings(real_server: RealServer) -> None:
    embedding = AnyfastEmbedding(
        embeddings_base_url=real_server.embeddings_url, api_key=real_server.api_key, max_retries=0
    )
    documents = embedding.get_text_embedding_batch(["Paris is in France.", "Rome is in Italy."])
    query = await embedding.aget_query_embedding("Where is Paris?")
    assert len(documents) == 2 and documents[0] != documents[1]
    assert len(query) == len(documents[0]) == len(documents[1]) > 0
    embedding.close()
    await embedding.aclose()


def test_logprobs_when_asked_for(make_llm: MakeLLM) -> None:
    settings = thinking(False)
    settings["additional_kwargs"] |= {"logprobs": True, "top_logprobs": 2}
    llm = make_llm(max_tokens=5, **settings)
    chat = llm.chat(user(PLAIN_PROMPT))
    completion = llm.complete(PLAIN_PROMPT)
    for logprobs in (chat.logprobs, completion.logprobs):
        assert logprobs is not None and len(logprobs) == 5
        assert all(len(candidates) == 2 for candidates in logprobs)
        assert all(c.logprob <= 0 and c.token for tokens in logprobs for c in tokens)
