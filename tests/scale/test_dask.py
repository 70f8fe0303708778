"""Dask recipes, run from docs/scale.md itself: ``Anyfast.chat`` and ``AnyfastEmbedding``
mapped on a process cluster, every row answered exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
from dask.distributed import Client, LocalCluster

from anyfast_client.testing import AnyfastTestServer
from llama_index_anyfast import Anyfast, AnyfastEmbedding

from .conftest import ScriptedAnswers, docs_recipes, sent_to

pytestmark = [pytest.mark.scale, pytest.mark.timeout(300)]


RECIPES = docs_recipes()


@pytest.fixture(scope="module")
def dask_client(anyfast_server_session: AnyfastTestServer) -> Iterator[Client]:
    # Workers are separate processes: the key reaches them through their environment.
    key = anyfast_server_session.api_key or ""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=4,
            processes=True,
            dashboard_address=None,
            env={"ANYFAST_API_KEY": key},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_dask_maps_anyfast_chat_over_every_prompt_exactly_once(
    dask_client: Client, anyfast_server: AnyfastTestServer, answers: ScriptedAnswers
) -> None:
    # The model travels without its key; each worker reads ANYFAST_API_KEY.
    llm = Anyfast(api_base=anyfast_server.base_url, api_key="not-sent", max_retries=8)
    [shared] = dask_client.scatter([llm], broadcast=True)
    prompts = [f"Translate line {i}" for i in range(300)]
    answers.rate_limit_every = 4
    futures = dask_client.map(RECIPES.ask, [shared] * len(prompts), prompts)
    replies = dask_client.gather(futures)
    assert replies == [f"Answer to: {p}" for p in prompts]
    assert answers.answered == Counter(prompts)
    assert answers.rate_limited >= 50
    sent = sent_to(anyfast_server, "/chat/completions")
    assert len(sent) == 300 + answers.rate_limited
    assert {r.headers["authorization"] for r in sent} == {f"Bearer {anyfast_server.api_key}"}


def test_dask_maps_anyfast_embedding_over_every_text_exactly_once(
    dask_client: Client, anyfast_server: AnyfastTestServer
) -> None:
    model = AnyfastEmbedding(
        base_url=anyfast_server.base_url, api_key="not-sent", embed_batch_size=50
    )
    [shared] = dask_client.scatter([model], broadcast=True)
    texts = [f"record {i}: delivered on day {i % 31}" for i in range(2000)]
    batches = [texts[i : i + 250] for i in range(0, len(texts), 250)]
    vectors = [
        v
        for batch in dask_client.gather(dask_client.map(RECIPES.embed, [shared] * 8, batches))
        for v in batch
    ]
    sent = Counter(t for r in sent_to(anyfast_server, "/embeddings") for t in r.json["input"])
    assert sent == Counter(texts)
    assert len(vectors) == len(texts)
    sample = texts[::250]
    reference = AnyfastEmbedding(base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    try:
        expected = reference.get_text_embedding_batch(sample)
    finally:
        reference.close()
    assert np.allclose([vectors[texts.index(t)] for t in sample], expected)
