"""One vocabulary across the four classes, nothing ignored, and errors that say what to fix.

Every alias is shown reaching the local server; every refusal is shown sending nothing.
"""

from __future__ import annotations

import pickle
import re
import socket
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.load import dumpd
from llama_index.core.base.llms.types import ChatMessage

from anyfast_client import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    MissingAPIKeyError,
    NotFoundError,
)
from anyfast_client.testing import AnyfastTestServer, Reply
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import Anyfast, AnyfastEmbedding

ENV = ("ANYFAST_API_KEY", "ANYFAST_BASE_URL", "ANYFAST_EMBEDDINGS_BASE_URL")
CHAT_CLASSES = (ChatAnyfast, Anyfast)
ALL_CLASSES = (ChatAnyfast, AnyfastEmbeddings, Anyfast, AnyfastEmbedding)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def call(model: Any) -> Any:
    """One request through the class's own API."""
    if isinstance(model, ChatAnyfast):
        return model.invoke("hi")
    if isinstance(model, Anyfast):
        return model.chat([ChatMessage(role="user", content="hi")])
    if isinstance(model, AnyfastEmbeddings):
        return model.embed_query("hi")
    return model.get_text_embedding("hi")


@pytest.fixture
def made() -> Iterator[Callable[..., Any]]:
    models: list[Any] = []

    def make(cls: type[Any], **settings: Any) -> Any:
        models.append(cls(**settings))
        return models[-1]

    yield make
    for model in models:
        model.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- aliases


@pytest.mark.parametrize(
    ("cls", "base_name", "model_name"),
    [
        (ChatAnyfast, "base_url", "model"),
        (ChatAnyfast, "api_base", "model_name"),
        (ChatAnyfast, "openai_api_base", "model_name"),
        (Anyfast, "api_base", "model"),
        (Anyfast, "base_url", "model_name"),
        (AnyfastEmbeddings, "base_url", "model"),
        (AnyfastEmbeddings, "api_base", "model_name"),
        (AnyfastEmbedding, "base_url", "model_name"),
        (AnyfastEmbedding, "api_base", "model"),
    ],
)
def test_every_class_takes_its_siblings_names(
    anyfast_server: AnyfastTestServer,
    made: Callable[..., Any],
    cls: type[Any],
    base_name: str,
    model_name: str,
) -> None:
    model = made(
        cls,
        **{base_name: anyfast_server.base_url, model_name: "named-model"},
        api_key=anyfast_server.api_key,
        timeout=5,
        max_retries=0,
    )
    if cls in CHAT_CLASSES:
        anyfast_server.enqueue(Reply(content="ok"))
        call(model)
    else:
        with pytest.raises(NotFoundError):  # the server knows only doubao-embedding
            call(model)
    sent = anyfast_server.last_request
    assert sent.json["model"] == "named-model"
    assert base_name not in sent.json and "api_base" not in sent.json


@pytest.mark.parametrize("cls", [ChatAnyfast, AnyfastEmbeddings])
def test_langchain_classes_take_request_timeout_as_chat_openai_does(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any], cls: type[Any]
) -> None:
    model = made(
        cls, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key, request_timeout=7
    )
    assert model.timeout == 7
    if cls is ChatAnyfast:
        anyfast_server.enqueue(Reply(content="ok"))
    call(model)
    assert "request_timeout" not in anyfast_server.last_request.json
    with pytest.raises(ValueError, match="request_timeout=0 is not accepted: request_timeout must"):
        cls(request_timeout=0)


def test_chat_anyfast_reads_its_model_as_model_name() -> None:
    assert ChatAnyfast(model="qwen-x").model_name == "qwen-x"
    assert ChatAnyfast(model_name="qwen-y").model == "qwen-y"


def test_giving_a_name_and_its_alias_is_an_error() -> None:
    with pytest.raises(TypeError, match="both api_base= and its alias base_url="):
        Anyfast(api_base="http://127.0.0.1:1/v1", base_url="http://127.0.0.1:2/v1")


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("cls", "typo", "closest"),
    [
        (Anyfast, "temprature", "temperature"),
        (Anyfast, "max_token", "max_tokens"),
        (AnyfastEmbedding, "embed_batchsize", "embed_batch_size"),
        (AnyfastEmbedding, "dimension", "dimensions"),
    ],
)
def test_llama_index_classes_refuse_unknown_keywords(
    anyfast_server: AnyfastTestServer, cls: type[Any], typo: str, closest: str
) -> None:
    with pytest.raises(TypeError, match=f"unknown keyword '{typo}'; did you mean '{closest}'"):
        cls(base_url=anyfast_server.base_url, api_key=anyfast_server.api_key, **{typo: 1})
    assert anyfast_server.requests == []


@pytest.mark.parametrize(
    "name",
    [
        *("openai_api_key", "http_clients", "headers", "base", "url", "api_url", "auth_token"),
        *("read_timeout", "retries"),
    ],
)
def test_chat_anyfast_never_sends_a_connection_setting_in_the_body(name: str) -> None:
    with pytest.raises(TypeError, match=f"no setting '{name}'.*never sent in the request body"):
        ChatAnyfast(**{name: "x"})
    with pytest.raises(TypeError, match=f"no setting '{name}'"):
        ChatAnyfast(model_kwargs={name: "x"})


def test_chat_anyfast_still_moves_other_unknown_keywords_to_model_kwargs(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any]
) -> None:
    with pytest.warns(UserWarning, match="top_k"):
        model = made(
            ChatAnyfast, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key, top_k=5
        )
    anyfast_server.enqueue(Reply(content="ok"))
    call(model)
    assert anyfast_server.last_request.json["top_k"] == 5


URL_NAMES = [
    (ChatAnyfast, "base_url"),
    (ChatAnyfast, "api_base"),
    (ChatAnyfast, "openai_api_base"),
    (AnyfastEmbeddings, "base_url"),
    (AnyfastEmbeddings, "api_base"),
    (AnyfastEmbeddings, "embeddings_base_url"),
    (Anyfast, "api_base"),
    (Anyfast, "base_url"),
    (AnyfastEmbedding, "base_url"),
    (AnyfastEmbedding, "api_base"),
    (AnyfastEmbedding, "embeddings_base_url"),
]


@pytest.mark.parametrize(("cls", "name"), URL_NAMES)
@pytest.mark.parametrize(
    ("url", "problem"),
    [("", "is empty"), ("   ", "is empty"), ("127.0.0.1:8000/v1", "is not an absolute http")],
)
def test_an_empty_or_scheme_less_url_is_refused_naming_what_the_user_typed(
    anyfast_server: AnyfastTestServer, cls: type[Any], name: str, url: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=rf"(^|\s){name}(={url!r})? {problem}") as caught:
        cls(**{name: url}, api_key=anyfast_server.api_key)
    others = {n for _, n in URL_NAMES} - {name}
    assert not any(re.search(rf"(?<!\w){other}[= ]", str(caught.value)) for other in others)
    assert anyfast_server.requests == []


def test_a_scheme_less_base_url_from_the_environment_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANYFAST_BASE_URL", "localhost:8000/v1")
    with pytest.raises(ValueError, match="ANYFAST_BASE_URL='localhost:8000/v1'"):
        call(Anyfast(api_key="k"))


@pytest.mark.parametrize("cls", ALL_CLASSES)
@pytest.mark.parametrize("key", ["", "   ", "\n"])
def test_a_blank_key_is_refused_like_a_missing_one(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any], cls: type[Any], key: str
) -> None:
    model = made(cls, base_url=anyfast_server.base_url, api_key=key)
    with pytest.raises(MissingAPIKeyError, match="ANYFAST_API_KEY"):
        call(model)
    assert anyfast_server.requests == []


def test_a_blank_key_variable_counts_as_unset(
    anyfast_server: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", "  ")
    assert ChatAnyfast().api_key is None
    assert Anyfast().api_key is None


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_the_key_is_read_when_the_model_is_made_in_every_class(
    anyfast_server: AnyfastTestServer,
    made: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    cls: type[Any],
) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", anyfast_server.api_key or "")
    model = made(cls, base_url=anyfast_server.base_url)
    monkeypatch.setenv("ANYFAST_API_KEY", "sk-changed-later")
    if cls in CHAT_CLASSES:
        anyfast_server.enqueue(Reply(content="ok"))
    call(model)
    assert anyfast_server.last_request.headers["authorization"] == "Bearer test-key"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_tokens": 0}, "max_tokens=0 is not accepted: max_tokens must be >= 1 and <= 65536"),
        ({"temperature": 5}, "temperature=5 is not accepted: temperature must be >= 0 and <= 2"),
        ({"top_p": 1.5}, "top_p must be >= 0 and <= 1"),
        ({"thinking_budget": 0}, "thinking_budget must be > 0"),
    ],
)
@pytest.mark.parametrize("cls", CHAT_CLASSES)
def test_range_errors_name_the_setting_the_user_typed(
    cls: type[Any], settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        cls(**settings)
    assert "max_completion_tokens" not in str(caught.value)


@pytest.mark.parametrize(
    ("cls", "settings", "message"),
    [
        (ChatAnyfast, {"max_completion_tokens": 0}, "max_completion_tokens=0 is not accepted"),
        (ChatAnyfast, {"model_name": ""}, "model_name='' is not accepted"),
        (Anyfast, {"model_name": ""}, "model_name='' is not accepted"),
        (
            ChatAnyfast,
            {"stop_sequences": 3},
            "stop_sequences=3 is not accepted: stop_sequences must",
        ),
        (Anyfast, {"stop": 3}, "stop=3 is not accepted: stop must be a string or a list"),
        (AnyfastEmbedding, {"model": ""}, "model='' is not accepted: model must name a model"),
        (AnyfastEmbeddings, {"model_name": ""}, "model_name='' is not accepted"),
        (
            ChatAnyfast,
            {"temperature": "warm"},
            "temperature='warm' is not accepted: .*valid number",
        ),
    ],
)
def test_aliased_settings_are_refused_under_the_name_the_user_typed(
    anyfast_server: AnyfastTestServer, cls: type[Any], settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cls(**settings, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    assert anyfast_server.requests == []


def test_call_keywords_out_of_range_are_named_as_typed(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any]
) -> None:
    chat = made(ChatAnyfast, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    llm = made(Anyfast, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    with pytest.raises(ValueError, match="max_tokens=0 is not accepted") as caught:
        chat.invoke("hi", max_tokens=0)
    assert "max_completion_tokens" not in str(caught.value)
    with pytest.raises(ValueError, match="temperature=5 is not accepted"):
        llm.chat([ChatMessage(role="user", content="hi")], temperature=5)
    assert anyfast_server.requests == []


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_connection_errors_name_the_method_and_url_never_the_key(
    made: Callable[..., Any], cls: type[Any]
) -> None:
    base = f"http://127.0.0.1:{closed_port()}/v1"
    model = made(cls, base_url=base, api_key="sk-SECRET-123", max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        call(model)
    text = str(caught.value)
    path = "/v1/chat/completions" if cls in CHAT_CLASSES else "/api/v3/embeddings"
    assert f"POST http://127.0.0.1:{base.split(':')[2].split('/')[0]}{path}" in text
    assert "sk-SECRET-123" not in text


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_a_refused_key_says_where_the_key_comes_from(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any], cls: type[Any]
) -> None:
    model = made(cls, base_url=anyfast_server.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(AuthenticationError) as caught:
        call(model)
    assert "check api_key" in str(caught.value)
    assert "ANYFAST_API_KEY" in str(caught.value)
    assert "sk-wrong" not in str(caught.value)


# --------------------------------------------------------------------------- your own httpx client


@pytest.mark.parametrize("cls", CHAT_CLASSES)
async def test_your_own_httpx_clients_carry_the_calls(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any], cls: type[Any]
) -> None:
    sync_http = httpx.Client(headers={"x-client": "sync"})
    async_http = httpx.AsyncClient(headers={"x-client": "async"})
    model = made(
        cls,
        base_url=anyfast_server.base_url,
        api_key=anyfast_server.api_key,
        http_client=sync_http,
        http_async_client=async_http,
    )
    anyfast_server.enqueue(Reply(content="one"), Reply(content="two"))
    call(model)
    assert anyfast_server.last_request.headers["x-client"] == "sync"
    if isinstance(model, ChatAnyfast):
        await model.ainvoke("hi")
    else:
        await model.achat([ChatMessage(role="user", content="hi")])
    assert anyfast_server.last_request.headers["x-client"] == "async"
    model.close()
    assert not sync_http.is_closed  # the user's client stays the user's
    await async_http.aclose()
    sync_http.close()


@pytest.mark.parametrize("cls", CHAT_CLASSES)
def test_your_own_httpx_client_is_never_serialized_or_pickled(
    anyfast_server: AnyfastTestServer, cls: type[Any]
) -> None:
    with httpx.Client() as http:
        model = cls(base_url=anyfast_server.base_url, http_client=http, temperature=0.5)
        clone = pickle.loads(pickle.dumps(model))
        assert clone.http_client is None and clone.temperature == 0.5
        dumped = str(dumpd(model)) if isinstance(model, ChatAnyfast) else model.to_json()
        assert "http_client" not in dumped and "Client" not in dumped


@pytest.mark.parametrize("cls", CHAT_CLASSES)
def test_a_stream_that_times_out_names_the_method_and_url(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any], cls: type[Any]
) -> None:
    model = made(cls, base_url=anyfast_server.base_url, api_key=anyfast_server.api_key, timeout=0.2)
    anyfast_server.enqueue(Reply(content="late", delay=1.0))
    with pytest.raises(APITimeoutError) as caught:
        if isinstance(model, ChatAnyfast):
            list(model.stream("hi"))
        else:
            list(model.stream_chat([ChatMessage(role="user", content="hi")]))
    assert f"POST {anyfast_server.base_url}/chat/completions timed out" in str(caught.value)


@pytest.mark.parametrize("cls", [ChatAnyfast, Anyfast, AnyfastEmbeddings, AnyfastEmbedding])
def test_a_url_holding_credentials_is_refused_without_echoing_them(
    anyfast_server: AnyfastTestServer, cls: type[Any]
) -> None:
    url = anyfast_server.base_url.replace("//", "//user:pa55word@")
    with pytest.raises(ValueError, match="base_url holds a user name or password") as caught:
        cls(base_url=url, api_key=anyfast_server.api_key)
    assert "pa55word" not in str(caught.value)
    assert anyfast_server.requests == []


def test_anyfast_takes_the_sibling_spellings_of_max_tokens_and_stop(
    anyfast_server: AnyfastTestServer, made: Callable[..., Any]
) -> None:
    llm = made(
        Anyfast,
        base_url=anyfast_server.base_url,
        api_key=anyfast_server.api_key,
        max_completion_tokens=7,
        stop_sequences="END",
    )
    assert (llm.max_tokens, llm.stop) == (7, ["END"])
    llm.chat([ChatMessage(role="user", content="hi")])
    body = anyfast_server.last_request.json
    assert (body["max_completion_tokens"], body["stop"]) == (7, ["END"])
    with pytest.raises(ValueError, match="max_completion_tokens=0 is not accepted"):
        Anyfast(max_completion_tokens=0, api_key="k")


# --------------------------------------------------------------------------- words in the code

REPO = Path(__file__).resolve().parents[1]
# The stream's road from bytes to the adapters. What travels on it is a chunk, a delta or
# an event template: "piece" names a slice of a request body (``_body``) and "envelope"
# the gateway's error envelope, nothing on this road.
STREAM_ROAD = [
    "anyfast_client/_sse.py",
    "anyfast_client/_decode.py",
    "anyfast_client/_template.py",
    "anyfast_client/_stream.py",
    "anyfast_client/_response.py",
    "anyfast_client/_streaming.py",
    "langchain_anyfast/_response.py",
    "llama_index_anyfast/_stream.py",
]


@pytest.mark.parametrize("path", STREAM_ROAD)
def test_the_stream_road_speaks_of_chunks_deltas_and_templates(path: str) -> None:
    with (REPO / path).open("rb") as source:
        names = {
            token.string
            for token in tokenize.tokenize(source.readline)
            if token.type == tokenize.NAME
        }
    assert {
        name for name in names if "piece" in name.lower() or "envelope" in name.lower()
    } == set()
