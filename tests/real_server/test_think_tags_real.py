"""Reasoning left in the content between ``<think>`` tags, split off: replayed from llama.cpp.

Recorded from ``llama-server --reasoning-format none`` (the "tags" instance of
``scripts/record_real_server.py``), which sends the model's thinking inside the content,
``<think>`` first. The core client and both adapters must hand it over as reasoning and
leave an answer without tags, whole and streamed; with ``think_tags=False`` the content
comes as the server sent it, tags and all (which proves the server sent them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ThinkingBlock

from anyfast_client import AnyfastClient, ChatRequest, ResponseMessage, UserMessage
from langchain_anyfast import ChatAnyfast
from llama_index_anyfast import Anyfast

from .conftest import THINKING_ON, THINKING_PROMPT, THINKING_SAMPLING

pytestmark = pytest.mark.vcr

_NOWHERE = "http://127.0.0.1:9/v1"
TAGS = ("<think>", "</think>")
MAX_TOKENS = 400


@pytest.fixture
def tags_url(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The tags instance's URL and key (a closed port when replaying)."""
    if (request.config.getoption("--record-mode") or "none") == "none":
        return _NOWHERE, "replay-key"
    try:
        return os.environ["ANYFAST_REAL_SERVER_TAGS_URL"], os.environ["ANYFAST_REAL_SERVER_KEY"]
    except KeyError as missing:
        raise pytest.UsageError(
            f"recording {__name__} needs {missing}: run scripts/record_real_server.py"
        ) from None


@pytest.fixture
def make_client(tags_url: tuple[str, str]) -> Iterator[Callable[..., AnyfastClient]]:
    made: list[AnyfastClient] = []

    def make(**settings: Any) -> AnyfastClient:
        url, key = tags_url
        made.append(AnyfastClient(base_url=url, api_key=key, max_retries=0, **settings))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def on_tags_server(tags_url: tuple[str, str], closing: Callable[..., Any]) -> Callable[..., Any]:
    """``on_tags_server(cls)``: a chat model of either framework asking the tags instance
    to think, with the sampling the 135M model closes its reasoning with."""

    def make(cls: type[Any], **settings: Any) -> Any:
        url, key = tags_url
        sampling = dict(THINKING_SAMPLING)
        thinking = {
            "enable_thinking": True,
            "temperature": sampling.pop("temperature"),
            "max_tokens": MAX_TOKENS,
        }
        extra = {**THINKING_ON, **sampling}
        body = {"model_kwargs": extra} if cls is ChatAnyfast else {"additional_kwargs": extra}
        return closing(
            cls, base_url=url, api_key=key, max_retries=0, **thinking, **body, **settings
        )

    return make


def ask() -> ChatRequest:
    sampling = dict(THINKING_SAMPLING)
    return ChatRequest(
        messages=[UserMessage(content=THINKING_PROMPT)],
        enable_thinking=True,
        temperature=sampling.pop("temperature"),
        max_completion_tokens=MAX_TOKENS,
        extra_body={**THINKING_ON, **sampling},
    )


def assert_split(answer: object, reasoning: object) -> None:
    """A real answer and real reasoning, neither holding a tag."""
    assert isinstance(answer, str) and answer.strip()
    assert isinstance(reasoning, str) and reasoning.strip()
    for text in (answer, reasoning):
        assert not any(tag in text for tag in TAGS)
    assert answer == answer.strip() and reasoning == reasoning.strip()


# --------------------------------------------------------------------------- the core client


def test_core_whole_reads_the_tags_as_reasoning(make_client: Callable[..., AnyfastClient]) -> None:
    split = make_client().chat(ask()).choices[0].message
    raw = make_client(think_tags=False).chat(ask()).choices[0].message
    assert_split(split.content, split.reasoning_content)
    # The server sent the tags: what was split off and what is left are in its content.
    assert raw.reasoning_content is None
    assert raw.content is not None and raw.content.lstrip().startswith("<think>")
    assert split.reasoning_content in raw.content and split.content in raw.content


def test_core_stream_reads_the_tags_as_reasoning(
    make_client: Callable[..., AnyfastClient],
) -> None:
    texts: list[str] = []
    with make_client().chat_stream(ask()) as stream:
        for chunk in stream:
            texts += [choice.delta.content or "" for choice in chunk.choices]
        message: ResponseMessage = stream.completion.choices[0].message
    assert_split(message.content, message.reasoning_content)
    assert "".join(texts) == message.content
    assert not any(tag in text for text in texts for tag in TAGS)


# --------------------------------------------------------------------------- LangChain


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_chat_anyfast_invoke_and_stream(
    on_tags_server: Callable[..., Any], mode: str
) -> None:
    model = on_tags_server(ChatAnyfast)
    if mode == "sync":
        message = model.invoke(THINKING_PROMPT)
        chunks = list(model.stream(THINKING_PROMPT))
    else:
        message = await model.ainvoke(THINKING_PROMPT)
        chunks = [chunk async for chunk in model.astream(THINKING_PROMPT)]
    streamed = chunks[0]
    for chunk in chunks[1:]:
        streamed += chunk
    for each in (message, streamed):
        assert_split(each.content, each.additional_kwargs.get("reasoning_content"))
        assert each.content_blocks[0]["type"] == "reasoning"
    assert not any(tag in chunk.text for chunk in chunks for tag in TAGS)


# --------------------------------------------------------------------------- LlamaIndex


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_anyfast_chat_and_stream_chat(on_tags_server: Callable[..., Any], mode: str) -> None:
    llm = on_tags_server(Anyfast)
    messages = [ChatMessage(role=MessageRole.USER, content=THINKING_PROMPT)]
    if mode == "sync":
        whole = llm.chat(messages)
        responses = list(llm.stream_chat(messages))
    else:
        whole = await llm.achat(messages)
        responses = [response async for response in await llm.astream_chat(messages)]
    deltas = [response.delta or "" for response in responses]
    thinking = "".join(r.additional_kwargs.get("thinking_delta") or "" for r in responses)
    for message in (whole.message, responses[-1].message):
        blocks = [block for block in message.blocks if isinstance(block, ThinkingBlock)]
        assert_split(message.content, blocks[0].content if blocks else None)
    assert "".join(deltas) == responses[-1].message.content
    assert thinking.strip() and not any(tag in thinking for tag in TAGS)
    assert not any(tag in delta for delta in deltas for tag in TAGS)
