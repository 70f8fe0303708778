"""Fixtures for the LlamaIndex adapter: an ``Anyfast`` on the local server, sync/async drivers.

``drive`` runs one test body through the sync or the async API: the ``api`` fixture is
parametrised, so each test that takes it runs twice.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
)

from anyfast_client.testing import AnyfastTestServer
from llama_index_anyfast import Anyfast

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_llm(
    anyfast_server: AnyfastTestServer, closing: Callable[..., Any]
) -> Callable[..., Anyfast]:
    def make(**settings: Any) -> Anyfast:
        defaults = {"api_base": anyfast_server.base_url, "api_key": anyfast_server.api_key}
        llm: Anyfast = closing(Anyfast, **{**defaults, **settings})
        return llm

    return make


@pytest.fixture
def llm(make_llm: Callable[..., Anyfast]) -> Anyfast:
    return make_llm()


class Driver:
    """The same calls through the sync or the async API."""

    def __init__(self, api: str) -> None:
        self.api = api

    async def chat(self, llm: Any, messages: Sequence[ChatMessage], **kw: Any) -> ChatResponse:
        if self.api == "sync":
            return llm.chat(messages, **kw)  # type: ignore[no-any-return]
        return await llm.achat(messages, **kw)  # type: ignore[no-any-return]

    async def stream(
        self, llm: Any, messages: Sequence[ChatMessage], **kw: Any
    ) -> list[ChatResponse]:
        if self.api == "sync":
            return list(llm.stream_chat(messages, **kw))
        return [r async for r in await llm.astream_chat(messages, **kw)]

    async def complete(self, llm: Any, prompt: str, **kw: Any) -> CompletionResponse:
        if self.api == "sync":
            return llm.complete(prompt, **kw)  # type: ignore[no-any-return]
        return await llm.acomplete(prompt, **kw)  # type: ignore[no-any-return]

    async def stream_complete(self, llm: Any, prompt: str, **kw: Any) -> list[CompletionResponse]:
        if self.api == "sync":
            return list(llm.stream_complete(prompt, **kw))
        return [r async for r in await llm.astream_complete(prompt, **kw)]

    async def chat_with_tools(self, llm: Any, tools: Any, msg: str, **kw: Any) -> ChatResponse:
        if self.api == "sync":
            return llm.chat_with_tools(tools, user_msg=msg, **kw)  # type: ignore[no-any-return]
        return await llm.achat_with_tools(tools, user_msg=msg, **kw)  # type: ignore[no-any-return]

    async def stream_with_tools(
        self, llm: Any, tools: Any, msg: str, **kw: Any
    ) -> list[ChatResponse]:
        if self.api == "sync":
            return list(llm.stream_chat_with_tools(tools, user_msg=msg, **kw))
        return [r async for r in await llm.astream_chat_with_tools(tools, user_msg=msg, **kw)]


@pytest.fixture(params=["sync", "async"])
def drive(request: pytest.FixtureRequest) -> Driver:
    return Driver(request.param)


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# --------------------------------------------------------------------------- cassettes


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(REPO / "cassettes" / request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture
async def recorded_llm(request: pytest.FixtureRequest) -> AsyncIterator[Anyfast]:
    """An ``Anyfast`` for cassette tests.

    Replaying (the default) needs no server: the host is left out of matching. Recording
    (``--record-mode=rewrite``) talks to the live API when ANYFAST_API_KEY is set, and to
    the local server otherwise.
    """
    recording = request.config.getoption("--record-mode") != "none"
    if recording and os.environ.get("ANYFAST_API_KEY"):
        settings: dict[str, Any] = {}  # ANYFAST_API_KEY and ANYFAST_BASE_URL or the default
    elif recording:
        server: AnyfastTestServer = request.getfixturevalue("anyfast_server")
        settings = {"api_base": server.base_url, "api_key": server.api_key}
    else:
        settings = {"api_base": "http://127.0.0.1:9/v1", "api_key": "replay-key"}
    llm = Anyfast(max_retries=0, **settings)
    yield llm
    await llm.aclose()
