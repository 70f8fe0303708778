"""AnyfastEmbedding: Anyfast's embeddings endpoint as a LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field, PrivateAttr, SecretStr

from anyfast_client import AnyfastClient, AsyncAnyfastClient, EmbeddingRequest, LazyClients
from anyfast_client._batching import (
    DEFAULT_EMBED_BATCH_SIZE,
    DEFAULT_EMBEDDING_MODEL,
    batch_vectors,
    embedding_requests,
)
from anyfast_client._config import resolve_api_key

__all__ = ["AnyfastEmbedding"]


class AnyfastEmbedding(BaseEmbedding):
    """Anyfast embeddings (``doubao-embedding``) for LlamaIndex indexes and retrievers.

    Example::

        from llama_index.core import Settings, VectorStoreIndex
        from llama_index_anyfast import AnyfastEmbedding

        Settings.embed_model = AnyfastEmbedding()  # the key comes from ANYFAST_API_KEY
        index = VectorStoreIndex.from_documents(documents)

    Texts go out ``embed_batch_size`` at a time; vectors come back in input order. An empty
    string is embedded as a single space. Errors are ``anyfast_client`` errors. The key is
    left out of ``to_dict``/``to_json`` and pickles: a restored instance reads
    ``ANYFAST_API_KEY``.
    """

    model_name: str = Field(default=DEFAULT_EMBEDDING_MODEL, min_length=1)
    embed_batch_size: int = Field(default=DEFAULT_EMBED_BATCH_SIZE, gt=0, le=2048)
    api_key: SecretStr | None = Field(default_factory=lambda: resolve_api_key(None), exclude=True)
    base_url: str | None = Field(
        default=None, description="Chat base URL; embeddings go to /api/v3 on its origin."
    )
    embeddings_base_url: str | None = Field(
        default=None, description="Overrides the derived embeddings URL."
    )
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int = Field(default=2, ge=0)
    default_headers: dict[str, str] | None = None
    dimensions: int | None = Field(
        default=None, gt=0, description="Shorter vectors; sent only when set."
    )

    _clients: LazyClients = PrivateAttr(default_factory=LazyClients)

    @classmethod
    def class_name(cls) -> str:
        return "AnyfastEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return (await self._aget_text_embeddings([query]))[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        requests, client = self._requests(texts), self._client()
        return batch_vectors(requests, [client.embeddings(r) for r in requests])

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        requests, client = self._requests(texts), self._aclient()
        return batch_vectors(requests, [await client.embeddings(r) for r in requests])

    def _requests(self, texts: list[str]) -> list[EmbeddingRequest]:
        return embedding_requests(
            texts,
            batch_size=self.embed_batch_size,
            model=self.model_name,
            dimensions=self.dimensions,
        )

    def _client_settings(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "embeddings_base_url": self.embeddings_base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
        }

    def _client(self) -> AnyfastClient:
        return self._clients.sync(self._client_settings)

    def _aclient(self) -> AsyncAnyfastClient:
        return self._clients.async_(self._client_settings)

    def close(self) -> None:
        """Closes the sync methods' connection pool; a later call opens a new one."""
        self._clients.close()

    async def aclose(self) -> None:
        """Closes both connection pools; a later call opens new ones."""
        await self._clients.aclose()

    def __getstate__(self) -> dict[str, Any]:
        # No key travels: BaseComponent rebuilds through __init__, so the restored
        # instance reads ANYFAST_API_KEY. The clients pickle empty.
        state = super().__getstate__()
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k != "api_key"}
        return state
