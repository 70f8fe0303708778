"""Embedding batches, sans I/O: texts in, requests out; responses in, vectors out in input order.

Both adapters (LangChain and LlamaIndex) stand on these two functions, so that their sync and
async methods differ only by ``await``::

    requests = embedding_requests(texts, batch_size=64)
    vectors = batch_vectors(requests, [client.embeddings(r) for r in requests])
    vectors = batch_vectors(requests, await async_client.embeddings_many(requests))
"""

from __future__ import annotations

from collections.abc import Sequence

from ._errors import AnyfastError
from ._models import EmbeddingRequest, EmbeddingResponse

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_EMBED_BATCH_SIZE",
    "DEFAULT_EMBED_CONCURRENCY",
    "EMPTY_TEXT_STAND_IN",
    "batch_vectors",
    "embedding_requests",
]

DEFAULT_EMBEDDING_MODEL = "doubao-embedding"
# Anyfast does not document a batch limit; 64 texts stay well under the common caps.
DEFAULT_EMBED_BATCH_SIZE = 64
# Batches of one call in flight at once: enough to hide the round trips, few enough that
# one ingestion does not take over the account's rate limit.
DEFAULT_EMBED_CONCURRENCY = 8
# Whether the gateway accepts "" is undocumented, and one rejected empty text would fail the
# whole batch around it: an empty text is sent as one space, whose vector is as "empty" as any.
EMPTY_TEXT_STAND_IN = " "


def embedding_requests(
    texts: Sequence[str],
    *,
    batch_size: int,
    model: str = DEFAULT_EMBEDDING_MODEL,
    dimensions: int | None = None,
) -> list[EmbeddingRequest]:
    """One request per ``batch_size`` texts, in order; no texts, no requests."""
    if batch_size < 1:
        raise ValueError("batch_size must be 1 or more")
    inputs = [text or EMPTY_TEXT_STAND_IN for text in texts]
    return [
        EmbeddingRequest(
            model=model, input=inputs[start : start + batch_size], dimensions=dimensions
        )
        for start in range(0, len(inputs), batch_size)
    ]


def batch_vectors(
    requests: Sequence[EmbeddingRequest], responses: Sequence[EmbeddingResponse]
) -> list[list[float]]:
    """The vectors of all batches, one per input text, in input order."""
    vectors: list[list[float]] = []
    for request, response in zip(requests, responses, strict=True):
        vectors.extend(_vectors_of(request, response))
    return vectors


def _vectors_of(request: EmbeddingRequest, response: EmbeddingResponse) -> list[list[float]]:
    expected = len(request.input) if isinstance(request.input, list) else 1
    indices = sorted(item.index for item in response.data)
    if indices != list(range(expected)):
        # A short or duplicated answer would silently pair texts with the wrong vectors.
        raise AnyfastError(
            f"Asked for {expected} embeddings, got {len(indices)} with indices "
            f"{indices[:10]}{'...' if len(indices) > 10 else ''}"
        )
    return response.vectors()
