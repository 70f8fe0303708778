"""Helpers shared by the adapter tests: the sync/async driver, stream aggregation, recording."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage

from anyfast_client.testing import AnyfastTestServer

# Replay never connects: the cassette answers whatever the host.
REPLAY_BASE_URL = "http://127.0.0.1:9/v1"


class Driver:
    """One test body, run through the sync or the async API."""

    def __init__(self, api: str) -> None:
        self.api = api

    async def invoke(self, model: Any, messages: Any, **kwargs: Any) -> Any:
        if self.api == "sync":
            return model.invoke(messages, **kwargs)
        return await model.ainvoke(messages, **kwargs)

    async def stream(self, model: Any, messages: Any, **kwargs: Any) -> list[Any]:
        if self.api == "sync":
            return list(model.stream(messages, **kwargs))
        return [chunk async for chunk in model.astream(messages, **kwargs)]

    async def batch(self, model: Any, inputs: Sequence[Any], **kwargs: Any) -> Any:
        if self.api == "sync":
            return model.batch(list(inputs), **kwargs)
        return await model.abatch(list(inputs), **kwargs)


def aggregate(chunks: Sequence[BaseMessage]) -> AIMessageChunk:
    assert chunks, "the stream produced no chunks"
    total = chunks[0]
    assert isinstance(total, AIMessageChunk)
    for chunk in chunks[1:]:
        assert isinstance(chunk, AIMessageChunk)
        total = total + chunk
    return total


def gathered(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """An ``include_raw`` stream's parts as one result: the raw chunks added up, the last parse."""
    result: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            result[key] = result[key] + value if key == "raw" and key in result else value
    return result


def reasoning(message: BaseMessage) -> str:
    return str(message.additional_kwargs.get("reasoning_content") or "")


def is_recording(request: pytest.FixtureRequest) -> bool:
    return request.config.getoption("--record-mode") not in (None, "none")


def recording_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Where cassette tests send requests.

    Replaying (the default ``--record-mode=none``) needs no server. Recording goes to the
    live API when ANYFAST_API_KEY is set, and to the local test server otherwise.
    """
    if not is_recording(request):
        return {"base_url": REPLAY_BASE_URL, "api_key": "replay-key"}
    if os.environ.get("ANYFAST_API_KEY"):
        return {}  # ANYFAST_API_KEY and ANYFAST_BASE_URL (or the default URL)
    server: AnyfastTestServer = request.getfixturevalue("anyfast_server")
    return {"base_url": server.base_url, "api_key": server.api_key}
