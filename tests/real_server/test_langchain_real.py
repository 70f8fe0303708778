"""ChatAnyfast and AnyfastEmbeddings against llama.cpp's llama-server, replayed from cassettes.

The assertions are what a LangChain user checks on a real answer, never the model's wording.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ModelAuthenticationError
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from vcr.cassette import Cassette

import anyfast_client as af
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast

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

MakeModel = Callable[..., ChatAnyfast]


@pytest.fixture
def make_model(on_real_server: Callable[..., Any]) -> MakeModel:
    return functools.partial(on_real_server, ChatAnyfast)


def thinking(on: bool) -> dict[str, Any]:
    """Settings for thinking on or off; the seed goes in model_kwargs, where extras belong."""
    sampling = dict(THINKING_SAMPLING if on else PLAIN_SAMPLING)
    return {
        "enable_thinking": on,
        "extra_body": THINKING_ON if on else THINKING_OFF,
        "temperature": sampling.pop("temperature"),
        "model_kwargs": sampling,
    }


def test_invoke_with_thinking(make_model: MakeModel) -> None:
    model = make_model(max_tokens=400, **thinking(True))
    message = model.invoke(THINKING_PROMPT)
    assert message.additional_kwargs["reasoning_content"].strip()
    assert isinstance(message.content, str) and message.content.strip()
    assert message.response_metadata["finish_reason"] == "stop"


def test_invoke_without_thinking(make_model: MakeModel) -> None:
    model = make_model(max_tokens=300, **thinking(False))
    message = model.invoke(PLAIN_PROMPT)
    assert "reasoning_content" not in message.additional_kwargs
    assert isinstance(message.content, str) and message.content.strip()
    usage = message.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize("on", [True, False], ids=["thinking", "plain"])
async def test_astream(make_model: MakeModel, on: bool) -> None:
    model = make_model(max_tokens=400, **thinking(on))
    chunks = [c async for c in model.astream(THINKING_PROMPT if on else PLAIN_PROMPT)]
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert isinstance(whole, AIMessageChunk)
    assert isinstance(whole.content, str) and whole.content.strip()
    assert bool(whole.additional_kwargs.get("reasoning_content", "").strip()) is on
    assert whole.response_metadata["finish_reason"] == "stop"
    assert whole.usage_metadata is not None and whole.usage_metadata["output_tokens"] > 0


def test_stop_sequence(make_model: MakeModel) -> None:
    model = make_model(max_tokens=60, **thinking(False))
    full = model.invoke(NUMBERS_PROMPT)
    cut = model.invoke(NUMBERS_PROMPT, stop=["5"])
    assert isinstance(full.content, str) and isinstance(cut.content, str)
    assert "5" in full.content
    assert "5" not in cut.content and full.content.startswith(cut.content)
    assert cut.response_metadata["finish_reason"] == "stop"


def test_max_tokens_ends_in_length(make_model: MakeModel) -> None:
    model = make_model(max_tokens=5, **thinking(False))
    message = model.invoke(LONG_PROMPT)
    assert message.response_metadata["finish_reason"] == "length"
    assert message.usage_metadata is not None and message.usage_metadata["output_tokens"] == 5


def test_multi_turn_sends_the_reasoning_back(make_model: MakeModel, vcr: Cassette) -> None:
    model = make_model(max_tokens=400, preserve_thinking=True, **thinking(True))
    question = HumanMessage(THINKING_PROMPT)
    first = model.invoke([question])
    follow_up = [question, first, HumanMessage("Say that in five words.")]
    second = model.invoke(follow_up, enable_thinking=False, extra_body=THINKING_OFF)
    assert isinstance(second.content, str) and second.content.strip()
    sent = json.loads(vcr.requests[1].body)["messages"][1]
    assert sent["reasoning_content"] == first.additional_kwargs["reasoning_content"]


def tools_model(make_model: MakeModel) -> ChatAnyfast:
    return make_model(max_tokens=200, extra_body=THINKING_OFF)


def test_tool_call_and_round_trip(make_model: MakeModel) -> None:
    model = tools_model(make_model)
    question = HumanMessage(WEATHER_QUESTION)
    forced = model.bind_tools([WEATHER_TOOL], tool_choice="required", seed=TOOL_SEED)
    ai = forced.invoke([question])
    assert isinstance(ai, AIMessage) and ai.tool_calls
    call = ai.tool_calls[0]
    assert call["name"] == "get_weather" and isinstance(call["args"]["city"], str)
    # The model's later calls are cut off mid-arguments, which llama-server refuses to
    # read back: the round trip answers the first call, as a single-tool agent would.
    first = AIMessage(content=ai.content, tool_calls=[call])
    result = ToolMessage("Sunny, 24 degrees.", tool_call_id=call["id"])
    final = model.bind_tools([WEATHER_TOOL], seed=TOOL_SEED).invoke([question, first, result])
    assert isinstance(final.content, str) and final.content.strip()


def test_streamed_tool_call(make_model: MakeModel) -> None:
    model = tools_model(make_model)
    forced = model.bind_tools([WEATHER_TOOL], tool_choice="required", seed=TOOL_SEED)
    chunks = list(forced.stream(WEATHER_QUESTION))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert isinstance(whole, AIMessageChunk) and whole.tool_calls
    call = whole.tool_calls[0]
    assert call["name"] == "get_weather" and isinstance(call["args"]["city"], str)


def test_wrong_key(make_model: MakeModel) -> None:
    model = make_model(api_key=WRONG_KEY, max_tokens=5)
    with pytest.raises(ModelAuthenticationError) as caught:
        model.invoke("Hi")
    assert isinstance(caught.value, af.AuthenticationError)
    assert caught.value.status_code == 401 and WRONG_KEY not in str(caught.value)


async def test_embeddings(real_server: RealServer) -> None:
    embeddings = AnyfastEmbeddings(
        embeddings_base_url=real_server.embeddings_url, api_key=real_server.api_key, max_retries=0
    )
    documents = embeddings.embed_documents(["Paris is in France.", "Rome is in Italy."])
    query = await embeddings.aembed_query("Where is Paris?")
    assert len(documents) == 2 and documents[0] != documents[1]
    assert len(query) == len(documents[0]) == len(documents[1]) > 0
    embeddings.close()
    await embeddings.aclose()
