"""What goes on the wire: bodies, headers, validation before sending, settings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from anyfast_client import (
    AnyfastClient,
    AsyncAnyfastClient,
    ChatRequest,
    EmbeddingRequest,
    MissingAPIKeyError,
    __version__,
)

from .conftest import DONE, KEY, chunk, completion_json, request, sse_response


def test_only_set_fields_are_sent_and_thinking_always(make_api: Any) -> None:
    api = make_api(httpx.Response(200, json=completion_json()))
    api.chat(request())
    assert api.wire.bodies() == [
        {
            "model": "qwen3.6-flash",
            "messages": [{"role": "user", "content": "hi"}],
            "enable_thinking": False,
        }
    ]
    assert api.wire.requests[0].url == "https://www.anyfast.ai/v1/chat/completions"


def test_top_p_zero_is_sent_as_given(make_api: Any) -> None:
    # The API page documents 0 <= top_p <= 1.
    api = make_api(httpx.Response(200, json=completion_json()))
    api.chat(request(top_p=0))
    assert api.wire.bodies()[0]["top_p"] == 0


def test_set_fields_stop_as_list_and_budget_kept_while_thinking(make_api: Any) -> None:
    api = make_api(httpx.Response(200, json=completion_json()))
    api.chat(
        request(
            enable_thinking=True,
            thinking_budget=100,
            temperature=0.5,
            top_p=1,
            stop="END",
            max_completion_tokens=10,
            extra_body={"seed": 7, "top_k": 20},
        )
    )
    body = api.wire.bodies()[0]
    assert body["stop"] == ["END"]
    assert body["enable_thinking"] is True
    assert body["thinking_budget"] == 100
    assert (body["temperature"], body["top_p"], body["max_completion_tokens"]) == (0.5, 1, 10)
    assert (body["seed"], body["top_k"]) == (7, 20)
    assert "stream" not in body


def test_thinking_budget_dropped_when_thinking_is_off(make_api: Any) -> None:
    api = make_api(httpx.Response(200, json=completion_json()))
    api.chat(request(thinking_budget=100))
    assert "thinking_budget" not in api.wire.bodies()[0]


def test_stream_asks_for_usage(make_api: Any) -> None:
    api = make_api(sse_response(chunk({"content": "x"}, "stop"), DONE))
    api.stream(request())
    body = api.wire.bodies()[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert api.wire.requests[0].headers["accept"] == "text/event-stream"


def test_a_stream_can_go_without_the_usage_chunk() -> None:
    body = request().to_body(stream=True, include_usage=False)
    assert body["stream"] is True and "stream_options" not in body


def test_headers(make_api: Any) -> None:
    api = make_api(httpx.Response(200, json=completion_json()), default_headers={"X-Trace": "abc"})
    api.chat(request())
    headers = api.wire.requests[0].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["user-agent"] == f"anyfast-integrations/{__version__}"
    assert headers["x-trace"] == "abc"
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": 2.01}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": -0.01}, "top_p"),
        ({"top_p": 1.1}, "top_p"),
        ({"frequency_penalty": -2.5}, "frequency_penalty"),
        ({"presence_penalty": 2.5}, "presence_penalty"),
        ({"max_completion_tokens": 0}, "max_completion_tokens"),
        ({"max_completion_tokens": 65537}, "max_completion_tokens"),
        ({"stop": 5}, "stop"),
        ({"stop": ["a", 1]}, "stop"),
        ({"messages": []}, "messages"),
        ({"thinking_budget": 0}, "thinking_budget"),
    ],
)
def test_bad_fields_are_rejected_before_sending(
    make_api: Any, fields: dict[str, Any], name: str
) -> None:
    api = make_api()
    with pytest.raises(ValueError, match=name):
        req = ChatRequest(**{"messages": [{"role": "user", "content": "x"}], **fields})
        api.chat(req)
    assert api.wire.requests == []


def test_missing_key_names_the_variable_and_sends_nothing(make_api: Any) -> None:
    api = make_api(api_key=None)
    with pytest.raises(MissingAPIKeyError, match="ANYFAST_API_KEY"):
        api.chat(request())
    with pytest.raises(MissingAPIKeyError):
        api.stream(request())
    assert api.wire.requests == []


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("Bearer sk-secret-1", "starts with 'Bearer '"),
        ("bearer sk-secret-1", "starts with 'Bearer '"),
        ("sk-secret-\u00e41", "position 10 of 12"),  # a letter an HTTP header cannot carry
        ("sk-secret-1 sk-secret-2", "position 11 of 23"),  # two keys pasted together
        ("sk-secret\u200b-1", "position 9 of 12"),  # a zero-width space from a web page
    ],
)
def test_a_key_that_would_go_out_wrong_is_refused_before_sending(
    make_api: Any, key: str, message: str
) -> None:
    api = make_api(api_key=key)
    with pytest.raises(ValueError, match=message) as info:
        api.chat(request())
    assert "secret" not in str(info.value)
    assert api.wire.requests == []


def test_missing_key_is_a_value_error_too(make_api: Any) -> None:
    api = make_api(api_key="")
    with pytest.raises(ValueError, match="ANYFAST_API_KEY"):
        api.embeddings(EmbeddingRequest(input="x"))


@pytest.mark.parametrize("cls", [AnyfastClient, AsyncAnyfastClient])
def test_settings_argument_beats_environment_beats_default(
    cls: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = cls()
    assert client.api_key is None
    assert client.base_url == "https://www.anyfast.ai/v1"
    assert client.embeddings_base_url == "https://www.anyfast.ai/api/v3"

    monkeypatch.setenv("ANYFAST_API_KEY", "env-key")
    monkeypatch.setenv("ANYFAST_BASE_URL", "http://env.test/v1/")
    client = cls()
    assert client.api_key.get_secret_value() == "env-key"
    assert client.base_url == "http://env.test/v1"
    assert client.embeddings_base_url == "http://env.test/api/v3"

    monkeypatch.setenv("ANYFAST_EMBEDDINGS_BASE_URL", "http://emb.test/x")
    assert cls().embeddings_base_url == "http://emb.test/x"

    client = cls(api_key="arg-key", base_url="http://arg.test/v1", embeddings_base_url="http://e/")
    assert client.api_key.get_secret_value() == "arg-key"
    assert client.base_url == "http://arg.test/v1"
    assert client.embeddings_base_url == "http://e"


def test_embeddings_go_to_api_v3(make_api: Any) -> None:
    body = {
        "object": "list",
        "data": [{"index": 1, "embedding": [2.0]}, {"index": 0, "embedding": [1.0]}],
    }
    api = make_api(httpx.Response(200, json=body), base_url="http://local.test/v1")
    result = api.embeddings(EmbeddingRequest(input=["a", "b"]))
    assert result.vectors() == [[1.0], [2.0]]
    assert str(api.wire.requests[0].url) == "http://local.test/api/v3/embeddings"
    assert api.wire.bodies() == [{"model": "doubao-embedding", "input": ["a", "b"]}]


def test_negative_max_retries_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        AnyfastClient(max_retries=-1)


def test_default_headers_replace_ours_whatever_their_case(make_api: Any) -> None:
    api = make_api(
        httpx.Response(200, json=completion_json()),
        default_headers={"user-agent": "my-app/1", "x-trace": "abc"},
    )
    api.chat(request())
    sent = api.wire.requests[0].headers
    assert sent.get_list("user-agent") == ["my-app/1"]
    assert sent.get_list("authorization") == [f"Bearer {KEY}"]


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION"])
@pytest.mark.parametrize("cls", [AnyfastClient, AsyncAnyfastClient])
def test_default_headers_cannot_set_authorization(cls: type[Any], name: str) -> None:
    with pytest.raises(ValueError, match="api_key") as info:
        cls(api_key=KEY, default_headers={name: "Bearer other"})
    assert "Bearer other" not in str(info.value)


def test_a_plain_string_assigned_to_api_key_is_sent_and_kept_secret(make_api: Any) -> None:
    api = make_api(httpx.Response(200, json=completion_json()), api_key=None)
    api.client.api_key = "sk-assigned-later"
    api.chat(request())
    assert api.wire.requests[0].headers["authorization"] == "Bearer sk-assigned-later"
    assert "sk-assigned-later" not in repr(api.client.api_key)
    assert "sk-assigned-later" not in str(vars(api.client))


def test_api_key_of_another_type_is_refused() -> None:
    client = AnyfastClient(api_key=KEY)
    with pytest.raises(TypeError, match="api_key must be a str"):
        client.api_key = b"bytes-key"  # type: ignore[assignment]


@pytest.mark.parametrize("stop", [[], ()])
def test_an_empty_stop_list_is_not_sent(make_api: Any, stop: Any) -> None:
    api = make_api(httpx.Response(200, json=completion_json()))
    api.chat(request(stop=stop))
    assert "stop" not in api.wire.bodies()[0]
