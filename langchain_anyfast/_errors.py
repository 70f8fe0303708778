"""Errors that are both ``anyfast_client`` errors and langchain-core's model errors.

Each class below subclasses the client error it stands for and the matching
``langchain_core.exceptions`` type, so ``except anyfast_client.RateLimitError``
and ``except langchain_core.exceptions.ModelRateLimitError`` both catch it::

    anyfast_client error        langchain-core type           raised as
    AuthenticationError         ModelAuthenticationError      AnyfastAuthenticationError
    MissingAPIKeyError          ModelAuthenticationError      AnyfastMissingAPIKeyError
    PermissionDeniedError       ModelPermissionDeniedError    AnyfastPermissionDeniedError
    BadRequestError             ModelInvalidRequestError      AnyfastBadRequestError
    NotFoundError               ModelNotFoundError            AnyfastNotFoundError
    RequestTooLargeError        ContextOverflowError          AnyfastRequestTooLargeError
    RateLimitError              ModelRateLimitError           AnyfastRateLimitError
    InternalServerError         ModelAPIError                 AnyfastInternalServerError
    APIStatusError (others)     ModelAPIError                 AnyfastAPIStatusError
    APITimeoutError             ModelTimeoutError             AnyfastTimeoutError
    APIConnectionError          ModelConnectionError          AnyfastConnectionError
    StreamInterruptedError      ModelAPIError                 AnyfastStreamInterruptedError
    AnyfastError (others)       ModelError                    AnyfastModelError

The mapping dispatches on the client error's type, never on its message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

import anyfast_client as af

__all__ = [
    "AnyfastAPIStatusError",
    "AnyfastAuthenticationError",
    "AnyfastBadRequestError",
    "AnyfastConnectionError",
    "AnyfastInternalServerError",
    "AnyfastMissingAPIKeyError",
    "AnyfastModelError",
    "AnyfastNotFoundError",
    "AnyfastPermissionDeniedError",
    "AnyfastRateLimitError",
    "AnyfastRequestTooLargeError",
    "AnyfastStreamInterruptedError",
    "AnyfastTimeoutError",
    "langchain_errors",
    "to_langchain_error",
]


class AnyfastAuthenticationError(af.AuthenticationError, ModelAuthenticationError):
    pass


class AnyfastMissingAPIKeyError(af.MissingAPIKeyError, ModelAuthenticationError):
    pass


class AnyfastPermissionDeniedError(af.PermissionDeniedError, ModelPermissionDeniedError):
    pass


class AnyfastBadRequestError(af.BadRequestError, ModelInvalidRequestError):
    pass


class AnyfastNotFoundError(af.NotFoundError, ModelNotFoundError):
    pass


class AnyfastRequestTooLargeError(af.RequestTooLargeError, ContextOverflowError):
    """413: the prompt (text, images or video) is more than the endpoint takes."""


class AnyfastRateLimitError(af.RateLimitError, ModelRateLimitError):
    pass


class AnyfastInternalServerError(af.InternalServerError, ModelAPIError):
    pass


class AnyfastAPIStatusError(af.APIStatusError, ModelAPIError):
    pass


class AnyfastTimeoutError(af.APITimeoutError, ModelTimeoutError):
    pass


class AnyfastConnectionError(af.APIConnectionError, ModelConnectionError):
    pass


class AnyfastStreamInterruptedError(af.StreamInterruptedError, ModelAPIError):
    is_retryable = True


class AnyfastModelError(af.AnyfastError, ModelError):
    pass


# Most specific first: the first class in an error's MRO found here wins.
_PAIRS: dict[type[af.AnyfastError], type[af.AnyfastError]] = {
    af.AuthenticationError: AnyfastAuthenticationError,
    af.MissingAPIKeyError: AnyfastMissingAPIKeyError,
    af.PermissionDeniedError: AnyfastPermissionDeniedError,
    af.BadRequestError: AnyfastBadRequestError,
    af.NotFoundError: AnyfastNotFoundError,
    af.RequestTooLargeError: AnyfastRequestTooLargeError,
    af.RateLimitError: AnyfastRateLimitError,
    af.InternalServerError: AnyfastInternalServerError,
    af.APIStatusError: AnyfastAPIStatusError,
    af.APITimeoutError: AnyfastTimeoutError,
    af.APIConnectionError: AnyfastConnectionError,
    af.StreamInterruptedError: AnyfastStreamInterruptedError,
    af.AnyfastError: AnyfastModelError,
}


def to_langchain_error(error: af.AnyfastError) -> af.AnyfastError:
    """The same error, re-classed so langchain-core's ``except`` clauses catch it too."""
    if isinstance(error, ModelError):
        return error
    paired = next(_PAIRS[cls] for cls in type(error).__mro__ if cls in _PAIRS)
    twin = paired.__new__(paired)
    twin.args = error.args
    twin.__dict__.update(error.__dict__)
    return twin


@contextmanager
def langchain_errors() -> Iterator[None]:
    """Re-raise client errors as their paired classes (works in sync and async code)."""
    try:
        yield
    except af.AnyfastError as error:
        twin = to_langchain_error(error)
        if twin is error:
            raise
        raise twin from error
