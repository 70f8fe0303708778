"""The client against the package's own Anyfast-compatible server, over real sockets."""

from __future__ import annotations

from typing import Any

import pytest

from anyfast_client import AuthenticationError, StreamInterruptedError
from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply, ScriptedToolCall

from .conftest import Api, request


@pytest.fixture
def api(mode: str, anyfast_server: AnyfastTestServer, sleeps: list[float]) -> Any:
    api = Api(mode, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    yield api
    api.close()


def test_streamed_thinking_ping_and_crlf(api: Api, anyfast_server: AnyfastTestServer) -> None:
    anyfast_server.enqueue(
        Reply(content="The sky is blue.", reasoning="Rayleigh…", ping=True, line_ending="\r\n")
    )
    stream = api.stream(request(enable_thinking=True))
    message = stream.completion.choices[0].message
    assert (message.reasoning_content, message.content) == ("Rayleigh…", "The sky is blue.")
    assert stream.completion.usage.total_tokens > 0
    assert anyfast_server.last_request.json["stream_options"] == {"include_usage": True}


def test_streamed_tool_calls(api: Api, anyfast_server: AnyfastTestServer) -> None:
    calls = [
        ScriptedToolCall(name="get_weather", arguments='{"city": "Paris"}'),
        ScriptedToolCall(name="now", arguments=""),
    ]
    anyfast_server.enqueue(Reply(tool_calls=calls))
    merged = api.stream(request()).completion.choices[0].message.tool_calls
    assert [(c.function.name, c.function.arguments) for c in merged] == [
        ("get_weather", '{"city": "Paris"}'),
        ("now", ""),
    ]
    assert all(c.id for c in merged)


def test_cut_stream_and_retried_429(api: Api, anyfast_server: AnyfastTestServer) -> None:
    anyfast_server.enqueue(
        ErrorReply(status=429, headers={"Retry-After": "0"}),
        Reply(content="abcdefghijklmnop", chunk_size=4, cut_after=2),
    )
    with pytest.raises(StreamInterruptedError) as info:
        api.stream(request())
    assert info.value.partial.choices[0].message.content
    assert len(anyfast_server.requests) == 2


def test_wrong_key_is_an_authentication_error(mode: str, anyfast_server: AnyfastTestServer) -> None:
    api = Api(mode, base_url=anyfast_server.base_url, api_key="wrong")
    with pytest.raises(AuthenticationError):
        api.chat(request())
    api.close()
