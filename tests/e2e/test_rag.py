"""Retrieval-augmented generation on Anyfast alone: Anyfast embeddings find the context, an
Anyfast chat model answers from it. Both pipelines run against the local server.

The server's vectors are hashed bags of words in a small dimension, so unrelated texts can
still score close; an exact match is always nearest: each query is the text of one stored
chunk, which must be retrieved and reach the chat prompt while the others stay out.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from anyfast_client.testing import AnyfastTestServer, RecordedRequest, Reply

FACTS = [
    "The Eiffel Tower is in Paris.",
    "Mount Fuji is the highest mountain in Japan.",
    "The Danube flows into the Black Sea.",
    "Canberra is the capital of Australia.",
    "Kilimanjaro stands in Tanzania.",
]
ANSWER = "From the context: Mount Fuji, in Japan."
QUESTION = FACTS[1]


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    """Models to close (sync and async pools) when the test ends."""
    models: list[Any] = []
    yield models
    for model in models:
        model.close()
        await model.aclose()


def _on(server: AnyfastTestServer, path: str) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path == path]


def _check_wire(server: AnyfastTestServer, batch_size: int) -> None:
    """Documents embedded in batches, then the question; one chat call with only its context."""
    embedded = [r.json["input"] for r in _on(server, "/api/v3/embeddings")]
    batches = [FACTS[i : i + batch_size] for i in range(0, len(FACTS), batch_size)]
    assert sorted(embedded[:-1]) == sorted(batches)
    assert embedded[-1] == [QUESTION]
    (chat,) = _on(server, "/v1/chat/completions")
    prompt = json.dumps(chat.json["messages"], ensure_ascii=False)
    assert prompt.count(QUESTION) == 2, "once as the retrieved context, once as the question"
    assert not [fact for fact in FACTS if fact != QUESTION and fact in prompt]


async def test_llama_index_vector_store_index_with_anyfast_embedding_and_llm(
    anyfast_server: AnyfastTestServer, closing: list[Any], mode: str
) -> None:
    from llama_index.core import Document, VectorStoreIndex

    from llama_index_anyfast import Anyfast, AnyfastEmbedding

    settings = {"api_key": anyfast_server.api_key, "max_retries": 0}
    embed_model = AnyfastEmbedding(base_url=anyfast_server.base_url, embed_batch_size=2, **settings)
    llm = Anyfast(api_base=anyfast_server.base_url, **settings)
    closing += [embed_model, llm]
    anyfast_server.responder = lambda request: Reply(content=ANSWER)

    documents = [Document(text=fact) for fact in FACTS]
    # Built synchronously in both modes: use_async=True runs its own event loop in a thread.
    index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
    engine = index.as_query_engine(llm=llm, similarity_top_k=1)
    response = engine.query(QUESTION) if mode == "sync" else await engine.aquery(QUESTION)

    assert str(response).strip() == ANSWER
    assert [node.node.get_content() for node in response.source_nodes] == [QUESTION]
    assert response.source_nodes[0].score == pytest.approx(1.0)
    _check_wire(anyfast_server, batch_size=2)


async def test_langchain_in_memory_retriever_feeding_chat_anyfast(
    anyfast_server: AnyfastTestServer, closing: list[Any], mode: str
) -> None:
    from langchain_core.documents import Document
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast

    settings = {"base_url": anyfast_server.base_url, "api_key": anyfast_server.api_key}
    embeddings = AnyfastEmbeddings(chunk_size=2, max_retries=0, **settings)
    llm = ChatAnyfast(max_retries=0, **settings)
    closing += [embeddings, llm]
    anyfast_server.responder = lambda request: Reply(content=ANSWER)

    store = InMemoryVectorStore(embeddings)
    if mode == "sync":
        store.add_texts(FACTS)
    else:
        await store.aadd_texts(FACTS)
    retriever = store.as_retriever(search_kwargs={"k": 1})

    def context(docs: list[Document]) -> str:
        return "\n\n".join(doc.page_content for doc in docs)

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer only from this context:\n{context}"), ("human", "{question}")]
    )
    chain = (
        {"context": retriever | context, "question": RunnablePassthrough()}
        | prompt
        | llm
        | StrOutputParser()
    )
    answer = chain.invoke(QUESTION) if mode == "sync" else await chain.ainvoke(QUESTION)

    assert answer == ANSWER
    _check_wire(anyfast_server, batch_size=2)
    system = anyfast_server.last_request.json["messages"][0]
    assert system == {"role": "system", "content": f"Answer only from this context:\n{QUESTION}"}
