"""AnyfastEmbeddings through the wire, against the local server; each test runs sync and async."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelInvalidRequestError,
    ModelRateLimitError,
)
from langchain_core.load import dumps
from pydantic import ValidationError

from anyfast_client import (
    AnyfastError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    MissingAPIKeyError,
    RateLimitError,
)
from anyfast_client.testing import AnyfastTestServer, ErrorReply
from langchain_anyfast import AnyfastEmbeddings

Make = Callable[..., AnyfastEmbeddings]


@pytest.fixture
def make(build_model: Callable[..., Any]) -> Make:
    return functools.partial(build_model, AnyfastEmbeddings)


async def documents(model: AnyfastEmbeddings, texts: list[str], mode: str) -> list[list[float]]:
    if mode == "sync":
        return model.embed_documents(texts)
    return await model.aembed_documents(texts)


async def query(model: AnyfastEmbeddings, text: str, mode: str) -> list[float]:
    return model.embed_query(text) if mode == "sync" else await model.aembed_query(text)


def sent_inputs(server: AnyfastTestServer) -> list[list[str]]:
    return [r.json["input"] for r in server.requests]


async def test_vectors_match_inputs_in_order(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    model = make()
    vectors = await documents(model, ["alpha", "beta", "gamma", "alpha"], mode)
    assert len(vectors) == 4
    assert {len(v) for v in vectors} == {anyfast_server.embedding_dim}
    assert vectors[0] == vectors[3]
    assert len({tuple(v) for v in vectors}) == 3
    assert vectors[1] == await query(model, "beta", mode)


async def test_texts_go_out_chunk_size_at_a_time(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    texts = [f"text {i}" for i in range(5)]
    vectors = await documents(make(chunk_size=2), texts, mode)
    # Async batches run concurrently, so they may reach the server in any order.
    assert sorted(sent_inputs(anyfast_server)) == [texts[0:2], texts[2:4], texts[4:5]]
    anyfast_server.reset()
    assert vectors == await documents(make(chunk_size=5), texts, mode)
    assert sent_inputs(anyfast_server) == [texts]


async def test_empty_list_sends_no_request(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    assert await documents(make(), [], mode) == []
    assert anyfast_server.requests == []


async def test_empty_string_is_embedded_as_one_space(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    model = make()
    vectors = await documents(model, ["", "word", ""], mode)
    assert sent_inputs(anyfast_server) == [[" ", "word", " "]]
    assert vectors[0] == vectors[2] == await query(model, " ", mode)
    assert vectors[1] != vectors[0]


async def test_vectors_are_put_back_in_index_order(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    # The local server always answers in order; a scripted body answers out of order.
    data = [
        {"object": "embedding", "index": 1, "embedding": [1.0, 0.0]},
        {"object": "embedding", "index": 0, "embedding": [0.0, 1.0]},
    ]
    anyfast_server.enqueue(ErrorReply(200, {"object": "list", "data": data, "model": "m"}))
    assert await documents(make(), ["first", "second"], mode) == [[0.0, 1.0], [1.0, 0.0]]


async def test_a_missing_vector_is_an_error(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    data = [{"object": "embedding", "index": 0, "embedding": [1.0]}]
    anyfast_server.enqueue(ErrorReply(200, {"object": "list", "data": data}))
    with pytest.raises(AnyfastError, match="Asked for 2 embeddings, got 1"):
        await documents(make(), ["a", "b"], mode)


@pytest.mark.parametrize(
    ("status", "error", "langchain_error"),
    [
        (400, BadRequestError, ModelInvalidRequestError),
        (401, AuthenticationError, ModelAuthenticationError),
        (429, RateLimitError, ModelRateLimitError),
        (500, InternalServerError, ModelAPIError),
    ],
)
async def test_http_errors_propagate_as_anyfast_and_langchain_errors(
    make: Make,
    anyfast_server: AnyfastTestServer,
    mode: str,
    status: int,
    error: type,
    langchain_error: type,
) -> None:
    anyfast_server.enqueue(ErrorReply(status))
    with pytest.raises(error) as caught:
        await documents(make(max_retries=0), ["a"], mode)
    assert isinstance(caught.value, langchain_error)
    assert caught.value.status_code == status


async def test_rate_limits_are_retried(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    anyfast_server.enqueue(ErrorReply(429, headers={"Retry-After": "0"}))
    vectors = await documents(make(max_retries=1), ["a"], mode)
    assert len(vectors) == 1
    assert sent_inputs(anyfast_server) == [["a"], ["a"]]


async def test_wrong_key_is_an_authentication_error(make: Make, mode: str) -> None:
    with pytest.raises(AuthenticationError):
        await query(make(api_key="wrong-key"), "a", mode)


async def test_no_key_fails_before_sending(
    make: Make, anyfast_server: AnyfastTestServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError):
        await query(make(api_key=None), "a", mode)
    assert anyfast_server.requests == []


async def test_request_carries_settings(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    anyfast_server.enqueue(ErrorReply(200, {"data": [{"index": 0, "embedding": [0.5] * 8}]}))
    model = make(dimensions=8, default_headers={"X-Trace": "t1"})
    assert await query(model, "a", mode) == [0.5] * 8
    await query(make(), "a", mode)
    with_dims, plain = anyfast_server.requests
    assert with_dims.path == plain.path == "/api/v3/embeddings"
    assert with_dims.json == {"model": "doubao-embedding", "input": ["a"], "dimensions": 8}
    assert plain.json == {"model": "doubao-embedding", "input": ["a"]}
    assert with_dims.headers["authorization"] == "Bearer test-key"
    assert with_dims.headers["x-trace"] == "t1"


async def test_embeddings_base_url_overrides_the_derived_one(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    model = make(
        base_url="http://127.0.0.1:9/v1", embeddings_base_url=f"{anyfast_server.origin}/api/v3"
    )
    assert len(await query(model, "a", mode)) == anyfast_server.embedding_dim


async def test_base_url_from_environment(
    make: Make, anyfast_server: AnyfastTestServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANYFAST_BASE_URL", anyfast_server.base_url)
    assert len(await query(make(base_url=None), "a", mode)) == anyfast_server.embedding_dim
    assert anyfast_server.last_request.path == "/api/v3/embeddings"


async def test_key_stays_out_of_repr_dumps_and_pickles(
    make: Make, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make(api_key="test-key")
    await query(model, "a", mode)  # with a client made, which must not travel either
    for text in (repr(model), str(model), dumps(model), model.model_dump_json()):
        assert "test-key" not in text
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    data = pickle.dumps(model)
    assert b"test-key" not in data
    assert pickle.loads(data).api_key is None
    monkeypatch.setenv("ANYFAST_API_KEY", "test-key")
    restored = pickle.loads(data)
    try:
        assert await query(restored, "a", mode) == await query(model, "a", mode)
    finally:
        restored.close()
        await restored.aclose()


# A misspelt name ("modle") is a TypeError naming the setting: test_embeddings_progress.py.
@pytest.mark.parametrize("settings", [{"chunk_size": 0}, {"dimensions": 0}, {"max_retries": -1}])
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AnyfastEmbeddings(**settings)  # type: ignore[arg-type]
