"""What each class says of the model: LangChain's ``profile``, LlamaIndex's ``metadata``.

Both come from the core's one table of model facts, so they agree; a model not in it gets
no claims. LangChain's middleware reads the profile: summarization with fractional
limits, and ``create_agent`` choosing native structured output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from anyfast_client.testing import AnyfastTestServer, Reply
from langchain_anyfast import ChatAnyfast
from llama_index_anyfast import Anyfast


def test_the_profile_of_qwen_3_6_flash_is_complete() -> None:
    profile = ChatAnyfast(api_key="k").profile
    assert profile is not None
    assert profile["max_input_tokens"] == 1_000_000
    assert profile["max_output_tokens"] == 65_536
    claimed = (
        "reasoning_output",
        "text_inputs",
        "image_inputs",
        "image_url_inputs",
        "video_inputs",
        "tool_calling",
        "tool_choice",
        "tool_call_streaming",
        "structured_output",
    )
    assert {name: profile.get(name) for name in claimed} == dict.fromkeys(claimed, True)
    denied = (
        "audio_inputs",
        "pdf_inputs",
        "attachment",
        "image_tool_message",
        "pdf_tool_message",
        "image_outputs",
        "audio_outputs",
        "video_outputs",
        "mid_conversation_tools",
    )
    assert {name: profile.get(name) for name in denied} == dict.fromkeys(denied, False)


def test_a_system_message_mid_conversation_is_sent_where_it_sits(
    anyfast_server: AnyfastTestServer, closing: Callable[..., Any]
) -> None:
    """What the profile's ``mid_conversation_system_messages`` claims."""
    model = closing(ChatAnyfast, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    assert model.profile is not None and model.profile.get("mid_conversation_system_messages")
    anyfast_server.enqueue(Reply(content="Bonjour."))
    model.invoke(
        [
            SystemMessage("Be brief."),
            HumanMessage("Hi"),
            AIMessage("Hello."),
            SystemMessage("From now on, answer in French."),
            HumanMessage("Hi again"),
        ]
    )
    sent = [(m["role"], m["content"]) for m in anyfast_server.last_request.json["messages"]]
    assert sent == [
        ("system", "Be brief."),
        ("user", "Hi"),
        ("assistant", "Hello."),
        ("system", "From now on, answer in French."),
        ("user", "Hi again"),
    ]


def test_the_profile_lists_the_efforts_the_model_takes() -> None:
    profile = ChatAnyfast(api_key="k").profile
    assert profile is not None
    assert {"none", "low", "medium", "high"} <= set(profile.get("reasoning_effort_levels", []))
    assert profile.get("reasoning_effort_default") == "none"  # thinking is off unless asked


def test_an_unknown_model_gets_no_claims() -> None:
    assert ChatAnyfast(api_key="k", model="some-other-model").profile is None
    meta = Anyfast(api_key="k", model="some-other-model").metadata
    assert (meta.context_window, meta.num_output) == (3900, 256)  # LlamaIndex's defaults
    assert meta.is_function_calling_model is False


def test_a_profile_given_by_the_user_wins() -> None:
    model = ChatAnyfast(api_key="k", model="other", profile={"max_input_tokens": 8192})
    assert model.profile == {"max_input_tokens": 8192}


def test_llama_index_metadata_agrees_with_the_profile() -> None:
    profile = ChatAnyfast(api_key="k").profile
    meta = Anyfast(api_key="k").metadata
    assert profile is not None
    assert meta.context_window == profile["max_input_tokens"]
    assert meta.num_output == profile["max_output_tokens"]
    assert meta.is_function_calling_model is profile["tool_calling"]
    assert meta.is_chat_model is True
    assert meta.model_name == "qwen3.6-flash"


def test_llama_index_fields_say_more_than_the_facts() -> None:
    meta = Anyfast(
        api_key="k",
        model="my-model",
        context_window=32_000,
        max_tokens=1000,
        is_function_calling_model=True,
    ).metadata
    assert (meta.context_window, meta.num_output) == (32_000, 1000)
    assert meta.is_function_calling_model is True


# --------------------------------------------------------------------------- middleware


def test_summarization_with_fractional_limits_needs_and_finds_the_profile() -> None:
    SummarizationMiddleware(model=ChatAnyfast(api_key="k"), trigger=("fraction", 0.8))
    with pytest.raises(ValueError, match="profile"):
        SummarizationMiddleware(
            model=ChatAnyfast(api_key="k", model="unknown"), trigger=("fraction", 0.8)
        )


def test_summarization_triggers_at_a_fraction_of_the_context(
    anyfast_server: AnyfastTestServer, closing: Callable[..., Any]
) -> None:
    model = closing(ChatAnyfast, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    # 0.00005 of 1,000,000 tokens is 50: the history below is past it, so it is summarized.
    middleware = SummarizationMiddleware(
        model=model, trigger=("fraction", 0.00005), keep=("messages", 1)
    )
    anyfast_server.enqueue(Reply(content="They talked about the weather."), Reply(content="Sunny."))
    agent = create_agent(model, tools=[], middleware=[middleware])
    history = [
        HumanMessage("Tell me about the weather in Oslo in some detail, please. " * 3),
        AIMessage("It is cold and clear in Oslo, with a light wind from the north. " * 3),
        HumanMessage("And tomorrow?"),
    ]
    result = agent.invoke({"messages": history})
    assert len(anyfast_server.requests) == 2  # the summary, then the answer
    assert "They talked about the weather." in json.dumps(anyfast_server.requests[1].json)
    assert result["messages"][-1].content == "Sunny."


class City(BaseModel):
    name: str
    country: str


def test_create_agent_asks_for_structured_output_natively(
    anyfast_server: AnyfastTestServer, closing: Callable[..., Any]
) -> None:
    model = closing(ChatAnyfast, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    anyfast_server.enqueue(Reply(content='{"name": "Oslo", "country": "Norway"}'))
    agent = create_agent(model, tools=[], response_format=City)
    result = agent.invoke({"messages": [HumanMessage("Where is the royal palace of Norway?")]})
    assert result["structured_response"] == City(name="Oslo", country="Norway")
    body = anyfast_server.last_request.json
    assert body["response_format"]["type"] == "json_schema"
    assert len(anyfast_server.requests) == 1
