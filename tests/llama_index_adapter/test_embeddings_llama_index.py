"""AnyfastEmbedding through the wire, against the local server; each test runs sync and async."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.embedding import (
    EmbeddingEndEvent,
    EmbeddingStartEvent,
)
from pydantic import Field, ValidationError

from anyfast_client import AnyfastError, NotFoundError, RateLimitError
from anyfast_client.testing import AnyfastTestServer, ErrorReply
from llama_index_anyfast import AnyfastEmbedding

Make = Callable[..., AnyfastEmbedding]


@pytest.fixture
def make(build_model: Callable[..., Any]) -> Make:
    return functools.partial(build_model, AnyfastEmbedding)


async def batch(model: AnyfastEmbedding, texts: list[str], mode: str) -> list[list[float]]:
    if mode == "sync":
        return model.get_text_embedding_batch(texts)
    return await model.aget_text_embedding_batch(texts)


async def text(model: AnyfastEmbedding, value: str, mode: str) -> list[float]:
    if mode == "sync":
        return model.get_text_embedding(value)
    return await model.aget_text_embedding(value)


async def query(model: AnyfastEmbedding, value: str, mode: str) -> list[float]:
    if mode == "sync":
        return model.get_query_embedding(value)
    return await model.aget_query_embedding(value)


async def direct(model: AnyfastEmbedding, texts: list[str], mode: str) -> list[list[float]]:
    """The batch hook itself, as a subclass or LlamaIndex's own callers may use it."""
    if mode == "sync":
        return model._get_text_embeddings(texts)
    return await model._aget_text_embeddings(texts)


def sent_inputs(server: AnyfastTestServer) -> list[list[str]]:
    return [r.json["input"] for r in server.requests]


async def test_vectors_match_inputs_in_order(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    model = make()
    vectors = await batch(model, ["alpha", "beta", "gamma", "alpha"], mode)
    assert len(vectors) == 4
    assert {len(v) for v in vectors} == {anyfast_server.embedding_dim}
    assert vectors[0] == vectors[3]
    assert len({tuple(v) for v in vectors}) == 3
    assert vectors[1] == await text(model, "beta", mode) == await query(model, "beta", mode)


async def test_embed_batch_size_is_honoured(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    texts = [f"text {i}" for i in range(5)]
    vectors = await batch(make(embed_batch_size=2), texts, mode)
    assert sorted(sent_inputs(anyfast_server)) == sorted([texts[0:2], texts[2:4], texts[4:5]])
    anyfast_server.reset()
    # Called directly with more texts than a batch, the hook still splits them.
    assert await direct(make(embed_batch_size=2), texts, mode) == vectors
    assert sorted(sent_inputs(anyfast_server)) == [texts[0:2], texts[2:4], texts[4:5]]


async def test_empty_list_sends_no_request(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    assert await batch(make(), [], mode) == []
    assert await direct(make(), [], mode) == []
    assert anyfast_server.requests == []


async def test_empty_string_is_embedded_as_one_space(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    model = make()
    vectors = await batch(model, ["", "word"], mode)
    assert sent_inputs(anyfast_server) == [[" ", "word"]]
    assert vectors[0] == await text(model, " ", mode)
    assert vectors[1] != vectors[0]


async def test_vectors_are_put_back_in_index_order(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    data = [
        {"object": "embedding", "index": 1, "embedding": [1.0, 0.0]},
        {"object": "embedding", "index": 0, "embedding": [0.0, 1.0]},
    ]
    anyfast_server.enqueue(ErrorReply(200, {"object": "list", "data": data, "model": "m"}))
    assert await batch(make(), ["first", "second"], mode) == [[0.0, 1.0], [1.0, 0.0]]


async def test_errors_propagate_as_anyfast_errors(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    anyfast_server.enqueue(ErrorReply(429, headers={"Retry-After": "0"}))
    with pytest.raises(RateLimitError):
        await query(make(max_retries=0), "a", mode)
    with pytest.raises(NotFoundError, match="no-such-model"):
        await query(make(model_name="no-such-model", max_retries=0), "a", mode)
    data = [{"object": "embedding", "index": 0, "embedding": [1.0]}]
    anyfast_server.enqueue(ErrorReply(200, {"object": "list", "data": data}))
    with pytest.raises(AnyfastError, match="Asked for 2 embeddings"):
        await batch(make(), ["a", "b"], mode)


async def test_request_carries_settings(
    make: Make, anyfast_server: AnyfastTestServer, mode: str
) -> None:
    anyfast_server.enqueue(ErrorReply(200, {"data": [{"index": 0, "embedding": [0.5] * 8}]}))
    model = make(dimensions=8, default_headers={"X-Trace": "t1"})
    assert await query(model, "a", mode) == [0.5] * 8
    request = anyfast_server.last_request
    assert request.path == "/api/v3/embeddings"
    assert request.json == {"model": "doubao-embedding", "input": ["a"], "dimensions": 8}
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.headers["x-trace"] == "t1"


class _Collect(BaseEventHandler):
    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "Collect"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def events() -> Any:
    handler = _Collect()
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler.events
    root.event_handlers.remove(handler)


async def test_instrumentation_events_fire_per_batch(
    make: Make, mode: str, events: list[BaseEvent]
) -> None:
    texts = ["a", "b", "c"]
    vectors = await batch(make(embed_batch_size=2), texts, mode)
    await query(make(), "q", mode)
    starts = [e for e in events if isinstance(e, EmbeddingStartEvent)]
    ends = [e for e in events if isinstance(e, EmbeddingEndEvent)]
    assert len(starts) == len(ends) == 3
    assert starts[0].model_dict["class_name"] == "AnyfastEmbedding"
    assert "api_key" not in starts[0].model_dict
    assert [e.chunks for e in ends] == [["a", "b"], ["c"], ["q"]]
    assert [v for e in ends[:2] for v in e.embeddings] == vectors


async def test_key_stays_out_of_repr_dumps_and_pickles(
    make: Make, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make(api_key="test-key")
    await query(model, "a", mode)  # with a client made, which must not travel either
    for dumped in (repr(model), model.to_json(), str(model.to_dict())):
        assert "test-key" not in dumped
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    data = pickle.dumps(model)
    assert b"test-key" not in data
    assert pickle.loads(data).api_key is None
    monkeypatch.setenv("ANYFAST_API_KEY", "test-key")
    restored = pickle.loads(data)
    try:
        assert restored.embeddings_base_url == model.embeddings_base_url
        assert await query(restored, "a", mode) == await query(model, "a", mode)
    finally:
        restored.close()
        await restored.aclose()


@pytest.mark.parametrize(
    "settings", [{"embed_batch_size": 0}, {"dimensions": 0}, {"max_retries": -1}]
)
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AnyfastEmbedding(**settings)  # type: ignore[arg-type]
