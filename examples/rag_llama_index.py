"""RAG with LlamaIndex on Anyfast alone: AnyfastEmbedding indexes, Anyfast answers.

Needs the [llama-index] extra.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's local test
server, whose vectors are bags of content words: the passage sharing the question's words
comes first, and the simulated model answers by quoting it:

    python examples/rag_llama_index.py
"""

from __future__ import annotations

from llama_index.core import Document, VectorStoreIndex

from anyfast_client.testing import live_or_local
from llama_index_anyfast import Anyfast, AnyfastEmbedding

FACTS = [
    "Anyfast serves qwen3.6-flash for chat and doubao-embedding for embeddings.",
    "Embeddings are served under /api/v3, chat completions under /v1.",
    "The Eiffel Tower is in Paris.",
]


def main() -> None:
    with live_or_local() as settings:
        embed_model = AnyfastEmbedding(**settings)
        llm = Anyfast(api_key=settings.get("api_key"), api_base=settings.get("base_url"))
        index = VectorStoreIndex.from_documents(
            [Document(text=fact) for fact in FACTS], embed_model=embed_model
        )
        engine = index.as_query_engine(llm=llm, similarity_top_k=2)
        response = engine.query("Under which path are embeddings served?")
        print("Retrieved:", [node.node.get_content() for node in response.source_nodes])
        print("Answer:", response)


if __name__ == "__main__":
    main()
