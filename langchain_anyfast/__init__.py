"""Anyfast (``qwen3.6-flash``: thinking, images, video, tools) as a LangChain chat model."""

from anyfast_client import AnyfastWarning, __version__

try:
    from ._chat_model import ChatAnyfast
except ModuleNotFoundError as error:  # the extra is optional in this distribution
    if not (error.name or "").startswith("langchain_core"):
        raise
    message = (
        "langchain_anyfast needs the langchain extra: pip install 'anyfast-integrations[langchain]'"
    )
    raise ModuleNotFoundError(message, name=error.name) from error
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
