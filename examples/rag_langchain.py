"""RAG with LangChain on Anyfast alone: AnyfastEmbeddings retrieves, ChatAnyfast answers.

Needs the [langchain] extra.

With ANYFAST_API_KEY set it talks to the real API; without it, to the package's local test
server, whose vectors are bags of content words: the passage sharing the question's words
comes first, and the simulated model answers by quoting it:

    python examples/rag_langchain.py
"""

from __future__ import annotations

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from anyfast_client.testing import live_or_local
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast

FACTS = [
    "Anyfast serves qwen3.6-flash for chat and doubao-embedding for embeddings.",
    "Embeddings are served under /api/v3, chat completions under /v1.",
    "The Eiffel Tower is in Paris.",
]


def context(docs: list[Document]) -> str:
    return "\n".join(doc.page_content for doc in docs)


def main() -> None:
    with live_or_local() as settings:
        store = InMemoryVectorStore.from_texts(FACTS, AnyfastEmbeddings(**settings))
        retriever = store.as_retriever(search_kwargs={"k": 2})
        prompt = ChatPromptTemplate.from_messages(
            [("system", "Answer only from this context:\n{context}"), ("human", "{question}")]
        )
        chain = (
            {"context": retriever | context, "question": RunnablePassthrough()}
            | prompt
            | ChatAnyfast(**settings)
            | StrOutputParser()
        )
        question = "Under which path are embeddings served?"
        print("Retrieved:", [doc.page_content for doc in retriever.invoke(question)])
        print("Answer:", chain.invoke(question))


if __name__ == "__main__":
    main()
