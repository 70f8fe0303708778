"""Ray Data recipes, run from docs/scale.md itself: one model per worker, each row once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import ray
import ray.data

from anyfast_client.testing import AnyfastTestServer
from langchain_anyfast import AnyfastEmbeddings

from .conftest import ScriptedAnswers, docs_recipes, rate_limit_burst, sent_to

pytestmark = [
    pytest.mark.scale,
    pytest.mark.timeout(600),
    # Ray Data's DataContext touches its own deprecated fields when it is created or copied.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context"),
]


RECIPES = docs_recipes()


@pytest.fixture(scope="module")
def ray_runtime(anyfast_server_session: AnyfastTestServer) -> Iterator[None]:
    key = anyfast_server_session.api_key or ""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"ANYFAST_API_KEY": key}},
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


def _answer_all(base_url: str, prompts: list[str]) -> list[dict[str, Any]]:
    dataset = ray.data.from_items([{"prompt": p} for p in prompts])
    answered = dataset.map_batches(
        RECIPES.Answer,
        fn_constructor_kwargs={"base_url": base_url},
        compute=ray.data.ActorPoolStrategy(size=2),
        batch_size=25,
    )
    return answered.take_all()


@pytest.mark.usefixtures("ray_runtime")
def test_ray_data_chat_answers_every_prompt_exactly_once(
    anyfast_server: AnyfastTestServer, answers: ScriptedAnswers
) -> None:
    prompts = [f"Summarise ticket {i}" for i in range(300)]
    rows = _answer_all(anyfast_server.base_url, prompts)
    assert sorted(row["prompt"] for row in rows) == sorted(prompts)
    assert all(row["answer"] == f"Answer to: {row['prompt']}" for row in rows)
    assert answers.answered == Counter(prompts)
    assert len(sent_to(anyfast_server, "/chat/completions")) == 300


@pytest.mark.usefixtures("ray_runtime")
def test_ray_data_chat_through_a_storm_of_429s_loses_and_repeats_nothing(
    anyfast_server: AnyfastTestServer, answers: ScriptedAnswers
) -> None:
    prompts = [f"Classify review {i}" for i in range(200)]
    rate_limit_burst(anyfast_server, 8)  # a burst at the start, then every third request
    answers.rate_limit_every = 3
    rows = _answer_all(anyfast_server.base_url, prompts)
    assert sorted(row["prompt"] for row in rows) == sorted(prompts)
    assert all(row["answer"] == f"Answer to: {row['prompt']}" for row in rows)
    assert answers.answered == Counter(prompts)
    assert answers.rate_limited >= 90
    sent = sent_to(anyfast_server, "/chat/completions")
    assert len(sent) == 200 + 8 + answers.rate_limited


@pytest.mark.usefixtures("ray_runtime")
def test_ray_data_embeds_every_text_exactly_once(anyfast_server: AnyfastTestServer) -> None:
    texts = [f"passage {i}: the quick brown fox {i % 7}" for i in range(3000)]
    dataset = ray.data.from_items([{"text": t} for t in texts])
    rows = dataset.map_batches(
        RECIPES.Embed,
        fn_constructor_kwargs={"base_url": anyfast_server.base_url},
        compute=ray.data.ActorPoolStrategy(size=2),
        batch_size=200,
    ).take_all()
    sent = Counter(text for r in sent_to(anyfast_server, "/embeddings") for text in r.json["input"])
    assert sent == Counter(texts)
    assert sorted(row["text"] for row in rows) == sorted(texts)
    by_text = {row["text"]: list(row["vector"]) for row in rows}
    sample = texts[::300]
    reference = AnyfastEmbeddings(base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    try:
        expected = reference.embed_documents(sample)
    finally:
        reference.close()
    assert np.allclose([by_text[t] for t in sample], expected)
