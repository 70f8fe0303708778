"""AnyfastEmbedding: Anyfast's embeddings endpoint as a LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field, PrivateAttr, SecretStr, ValidationInfo, field_validator

from anyfast_client import DEFAULT_MAX_RETRIES, EmbeddingRequest
from anyfast_client._adapter import (
    DEFAULT_EMBED_BATCH_SIZE,
    DEFAULT_EMBEDDING_MODEL,
    ClientOwner,
    LazyClients,
    batch_vectors,
    check_base_url,
    drop_sibling_names,
    embedding_requests,
    refuse_unknown,
    rename_aliases,
    resolve_api_key,
)

__all__ = ["AnyfastEmbedding"]

# Names users bring from the sibling classes, mapped to this class's fields.
_ALIASES = {
    "model": "model_name",
    "api_base": "base_url",
    "async_http_client": "http_async_client",  # OpenAIEmbedding's name
}


class AnyfastEmbedding(ClientOwner, BaseEmbedding):
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
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    default_headers: dict[str, str] | None = None
    dimensions: int | None = Field(
        default=None, gt=0, description="Shorter vectors; sent only when set."
    )
    http_client: Any | None = Field(
        default=None, exclude=True, repr=False, description="Your own httpx.Client."
    )
    http_async_client: Any | None = Field(
        default=None, exclude=True, repr=False, description="Your own httpx.AsyncClient."
    )

    _clients: LazyClients = PrivateAttr(default_factory=LazyClients)
    _CLIENT_FIELDS: ClassVar[Mapping[str, str]] = {
        **ClientOwner._CLIENT_FIELDS,
        "embeddings_base_url": "embeddings_base_url",
    }

    def __init__(self, **data: Any) -> None:
        if "show_progress_bar" in data:  # OpenAIEmbeddings' name, brought from LangChain
            raise TypeError(
                "AnyfastEmbedding got an unknown keyword 'show_progress_bar': LlamaIndex draws "
                "progress per call, get_text_embedding_batch(texts, show_progress=True) "
                "or VectorStoreIndex.from_documents(documents, show_progress=True)"
            )
        data = rename_aliases(data, _ALIASES, "AnyfastEmbedding")
        known = [*type(self).model_fields, *_ALIASES]
        data = drop_sibling_names(data, known, "AnyfastEmbedding", None)
        refuse_unknown(data, known, "AnyfastEmbedding")
        super().__init__(**data)

    @field_validator("base_url", "embeddings_base_url")
    @classmethod
    def _absolute_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_base_url(value, field=info.field_name or "")

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
        requests, client = self._requests(texts), self._sync_client()
        return batch_vectors(requests, [client.embeddings(r) for r in requests])

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        requests, client = self._requests(texts), self._async_client()
        return batch_vectors(requests, await client.embeddings_many(requests))

    def _requests(self, texts: list[str]) -> list[EmbeddingRequest]:
        return embedding_requests(
            texts,
            batch_size=self.embed_batch_size,
            model=self.model_name,
            dimensions=self.dimensions,
        )
