"""Anyfast (``qwen3.6-flash``: thinking, images, video, tools) as a LangChain chat model."""

from anyfast_client import AnyfastWarning, __version__

from ._chat_model import ChatAnyfast
from ._errors import (
    AnyfastAPIStatusError,
    AnyfastAuthenticationError,
    AnyfastBadRequestError,
    AnyfastConnectionError,
    AnyfastInternalServerError,
    AnyfastMissingAPIKeyError,
    AnyfastModelError,
    AnyfastNotFoundError,
    AnyfastPermissionDeniedError,
    AnyfastRateLimitError,
    AnyfastRequestTooLargeError,
    AnyfastStreamInterruptedError,
    AnyfastTimeoutError,
)
from .embeddings import AnyfastEmbeddings

__all__ = [
    "AnyfastAPIStatusError",
    "AnyfastAuthenticationError",
    "AnyfastBadRequestError",
    "AnyfastConnectionError",
    "AnyfastEmbeddings",
    "AnyfastInternalServerError",
    "AnyfastMissingAPIKeyError",
    "AnyfastModelError",
    "AnyfastNotFoundError",
    "AnyfastPermissionDeniedError",
    "AnyfastRateLimitError",
    "AnyfastRequestTooLargeError",
    "AnyfastStreamInterruptedError",
    "AnyfastTimeoutError",
    "AnyfastWarning",
    "ChatAnyfast",
    "__version__",
]
