"""AnyfastEmbeddings: Anyfast's embeddings endpoint as a LangChain ``Embeddings``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

from langchain_core.embeddings import Embeddings
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from anyfast_client import DEFAULT_MAX_RETRIES, EmbeddingRequest
from anyfast_client._adapter import (
    CONNECTION_ALIASES,
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

from ._errors import langchain_errors

__all__ = ["AnyfastEmbeddings"]


class AnyfastEmbeddings(ClientOwner, BaseModel, Embeddings):
    """Anyfast embeddings (``doubao-embedding``) for LangChain vector stores and retrievers.

    Example::

        from langchain_anyfast import AnyfastEmbeddings

        embeddings = AnyfastEmbeddings()  # the key comes from ANYFAST_API_KEY
        vectors = embeddings.embed_documents(["Paris is in France.", "Rome is in Italy."])
        query = embeddings.embed_query("Where is Paris?")

    Texts go out ``chunk_size`` at a time; vectors come back in input order. An empty list
    sends nothing; an empty string is embedded as a single space. Errors are
    ``anyfast_client`` errors that langchain-core's ``except`` clauses catch too
    (``RateLimitError`` is also a ``ModelRateLimitError``). A pickled instance carries no
    key: the receiving process reads ``ANYFAST_API_KEY``.
    """

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = Field(default=DEFAULT_EMBEDDING_MODEL, min_length=1)
    api_key: SecretStr | None = Field(default_factory=lambda: resolve_api_key(None), exclude=True)
    base_url: str | None = None
    """Chat base URL (``ANYFAST_BASE_URL``); embeddings go to ``/api/v3`` on its origin."""
    embeddings_base_url: str | None = None
    """Overrides the derived embeddings URL (``ANYFAST_EMBEDDINGS_BASE_URL``)."""
    timeout: float | None = Field(default=None, gt=0)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    default_headers: dict[str, str] | None = None
    chunk_size: int = Field(default=DEFAULT_EMBED_BATCH_SIZE, ge=1)
    """The most texts sent in one request."""
    dimensions: int | None = Field(default=None, gt=0)
    """Asks for shorter vectors; only sent when set, and only some models honour it."""
    show_progress_bar: bool = False
    """Draws a tqdm progress bar over the batches (on stderr), as OpenAIEmbeddings does."""
    http_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` for sync calls; never serialized or pickled."""
    http_async_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` for async calls; never serialized or pickled."""

    _clients: LazyClients = PrivateAttr(default_factory=LazyClients)
    _CLIENT_FIELDS: ClassVar[Mapping[str, str]] = {
        **ClientOwner._CLIENT_FIELDS,
        "embeddings_base_url": "embeddings_base_url",
    }

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, values: Any) -> Any:
        """``model_name``, ``api_base`` and ``openai_api_base`` as the siblings spell them;
        any other unknown name is refused with the closest setting, as the chat classes do."""
        if not isinstance(values, dict):
            return values
        values = rename_aliases(values, CONNECTION_ALIASES, "AnyfastEmbeddings")
        values = drop_sibling_names(values, cls.model_fields, "AnyfastEmbeddings", None)
        # Suggestions name the fields themselves: openai_api_key is closer to the alias
        # openai_api_base than to api_key, which is what its user means.
        refuse_unknown(values, cls.model_fields, "AnyfastEmbeddings")
        return values

    @field_validator("base_url", "embeddings_base_url")
    @classmethod
    def _absolute_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_base_url(value, field=info.field_name or "")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        requests, client = self._requests(texts), self._sync_client()
        with langchain_errors(), self._progress(len(requests)) as step:
            return batch_vectors(requests, [step(client.embeddings(r)) for r in requests])

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        requests, client = self._requests(texts), self._async_client()
        with langchain_errors(), self._progress(len(requests)) as step:
            answers = await client.embeddings_many(requests, on_answer=lambda: step(None))
            return batch_vectors(requests, answers)

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]

    def _requests(self, texts: list[str]) -> list[EmbeddingRequest]:
        return embedding_requests(
            texts, batch_size=self.chunk_size, model=self.model, dimensions=self.dimensions
        )

    @contextmanager
    def _progress(self, batches: int) -> Iterator[Callable[[_T], _T]]:
        """``step(x)`` returns ``x`` and, with ``show_progress_bar``, moves the bar one batch."""
        if not self.show_progress_bar:
            yield _unchanged
            return
        with _tqdm()(total=batches) as bar:

            def step(answer: _T) -> _T:
                bar.update(1)
                return answer

            yield step


_T = TypeVar("_T")


def _unchanged(answer: _T) -> _T:
    return answer


def _tqdm() -> Any:
    # Imported on first use: most calls draw no bar, and tqdm.auto picks a notebook widget
    # in Jupyter and a text bar elsewhere, as OpenAIEmbeddings' bar does.
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError as exc:  # the langchain extra installs it
        raise ImportError("show_progress_bar=True needs tqdm: pip install tqdm") from exc
    return tqdm
