"""Models pickled into real worker processes work there, with the key from the environment."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from anyfast_client.testing import AnyfastTestServer, echo


def _invoke(model: Any, text: str) -> str:
    return str(model.invoke(text).content)


def _complete(llm: Any, text: str) -> str:
    return str(llm.complete(text).text)


@pytest.fixture
def worker_env(anyfast_server: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch) -> str:
    # Workers inherit the environment: that is where their key comes from.
    monkeypatch.setenv("ANYFAST_API_KEY", anyfast_server.api_key or "")
    return anyfast_server.base_url


def test_chat_anyfast_and_anyfast_answer_from_spawned_workers(
    worker_env: str, anyfast_server: AnyfastTestServer
) -> None:
    from langchain_anyfast import ChatAnyfast
    from llama_index_anyfast import Anyfast

    chat = ChatAnyfast(base_url=worker_env, api_key="parent-only-key", temperature=0.5)
    llm = Anyfast(api_base=worker_env, api_key="parent-only-key")
    anyfast_server.responder = echo
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        answers = pool.starmap(_invoke, [(chat, "one"), (chat, "two")])
        completed = pool.apply(_complete, (llm, "three"))
    assert answers == ["one", "two"]
    assert completed == "three"
    sent = [r for r in anyfast_server.requests if r.path.endswith("/chat/completions")]
    assert len(sent) == 3
    assert {r.headers["authorization"] for r in sent} == {"Bearer test-key"}
    from_chat = [r.json for r in sent if r.json["messages"][-1]["content"] in ("one", "two")]
    assert [body["temperature"] for body in from_chat] == [0.5, 0.5]  # settings travelled


def test_llama_index_ingestion_workers_embed_with_anyfast(
    worker_env: str, anyfast_server: AnyfastTestServer
) -> None:
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.schema import TextNode

    from llama_index_anyfast import AnyfastEmbedding

    # Nodes come ready-made: LlamaIndex's own SentenceSplitter loses private state when
    # pickled and hangs a spawned pool, whatever the embedding model.
    pipeline = IngestionPipeline(
        transformations=[AnyfastEmbedding(base_url=worker_env, embed_batch_size=4)]
    )
    nodes = pipeline.run(nodes=[TextNode(text=f"node {i}") for i in range(10)], num_workers=2)
    assert len(nodes) == 10
    assert all(n.embedding is not None and len(n.embedding) == 32 for n in nodes)
    embedded = [r for r in anyfast_server.requests if r.path.endswith("/embeddings")]
    assert sorted(text for r in embedded for text in r.json["input"]) == sorted(
        f"node {i}" for i in range(10)
    )
    assert len(embedded) >= 3 and all(len(r.json["input"]) <= 4 for r in embedded)
