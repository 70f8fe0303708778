"""LlamaIndex ingestion recipe (docs/scale.md): an LLM extractor on Anyfast in worker processes."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from llama_index.core.extractors import QuestionsAnsweredExtractor
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.schema import TextNode

from anyfast_client.testing import AnyfastTestServer
from llama_index_anyfast import Anyfast

from .conftest import ScriptedAnswers, sent_to

pytestmark = [pytest.mark.scale, pytest.mark.timeout(300)]


def test_ingestion_workers_extract_with_anyfast_once_per_node(
    anyfast_server: AnyfastTestServer,
    answers: ScriptedAnswers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Spawned workers inherit the environment: that is where their key comes from.
    monkeypatch.setenv("ANYFAST_API_KEY", anyfast_server.api_key or "")
    llm = Anyfast(api_base=anyfast_server.base_url, max_retries=8)
    extractor = QuestionsAnsweredExtractor(llm=llm, questions=1, num_workers=4)
    pipeline = IngestionPipeline(transformations=[extractor])
    # Ready nodes, not a SentenceSplitter: it loses private state when pickled and hangs a
    # spawned pool.
    nodes = [TextNode(text=f"Invoice inv-{i:03d} was paid on day {i}.") for i in range(40)]
    answers.rate_limit_every = 5
    out = pipeline.run(nodes=nodes, num_workers=2)

    assert sorted(n.text for n in out) == sorted(n.text for n in nodes)
    for node in out:
        own = re.search(r"inv-\d{3}", node.text)
        questions = node.metadata["questions_this_excerpt_can_answer"]
        assert own is not None
        assert re.findall(r"inv-\d{3}", questions) == [own.group()]
    asked = Counter(
        m for prompt in answers.answered.elements() for m in re.findall(r"inv-\d{3}", prompt)
    )
    assert asked == Counter(f"inv-{i:03d}" for i in range(40))
    assert answers.rate_limited >= 5
    assert len(sent_to(anyfast_server, "/chat/completions")) == 40 + answers.rate_limited
