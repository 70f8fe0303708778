"""The one boundary where foreign failures become this package's errors.

::

    AnyfastError
    ├── MissingAPIKeyError          no key in the argument or ANYFAST_API_KEY (also a ValueError)
    ├── APIConnectionError          the request did not get a readable response
    │   ├── APITimeoutError
    │   └── ContentDecodingError    a success whose body does not match its Content-Encoding
    ├── StreamInterruptedError      a stream ended before it was complete; .partial holds what came
    └── APIStatusError              the server answered with an error
        ├── BadRequestError         400, 422
        ├── AuthenticationError     401
        ├── PermissionDeniedError   402, 403 (permission or quota)
        ├── NotFoundError           404
        ├── RequestTooLargeError    413, or a 400 whose code or type says the context overflowed
        ├── RateLimitError          429
        └── InternalServerError     5xx

Every status error carries ``status_code``, ``message``, ``code``, ``type``,
``param``, ``request_id`` and ``body`` (truncated). An error status whose body does
not match its Content-Encoding keeps its class, with the decoding problem as its
message. None of them holds the API key: the key only ever travels in the
Authorization header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from ._models import ChatCompletion

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AnyfastError",
    "AuthenticationError",
    "BadRequestError",
    "ContentDecodingError",
    "InternalServerError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTooLargeError",
    "StreamInterruptedError",
]

_BODY_LIMIT = 2000
_API_KEY_ENV = "ANYFAST_API_KEY"  # _config imports this module: the name is repeated here
_REQUEST_ID_SUFFIX = re.compile(r"\(request id: ([^)]+)\)\s*$")
_REQUEST_ID_HEADERS = ("x-request-id", "x-oneapi-request-id", "request-id")


class AnyfastError(Exception):
    """Base of every error this package raises."""


class MissingAPIKeyError(AnyfastError, ValueError):
    # The message is an optional argument so that pickling, which calls the
    # class with the error's args, rebuilds it.
    def __init__(
        self,
        message: str = (
            "No Anyfast API key: pass api_key=... or set the ANYFAST_API_KEY environment "
            "variable (offline, `python -m anyfast_client.testing` serves a local simulation "
            "and prints what to export). A pickled client or model never carries its key: "
            "where it is unpickled, the key comes from ANYFAST_API_KEY."
        ),
    ) -> None:
        super().__init__(message)


class APIConnectionError(AnyfastError):
    """The request got no response: DNS, refused or reset connection, protocol error."""


class APITimeoutError(APIConnectionError):
    """Connecting, writing or reading took longer than the timeout allows."""


class ContentDecodingError(APIConnectionError):
    """The body could not be decoded as its Content-Encoding header says (gzip, br...)."""


class StreamInterruptedError(AnyfastError):
    """A stream ended before ``[DONE]`` or without a ``finish_reason``.

    ``partial`` is the completion assembled from every chunk received, so no
    data is lost; it is never passed off as a complete answer.
    """

    def __init__(self, message: str, partial: ChatCompletion | None = None) -> None:
        super().__init__(message)
        self.partial = partial


class APIStatusError(AnyfastError):
    """The server answered with an error status, or an error event in a stream."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | int | None = None,
        type: str | None = None,  # noqa: A002 - the wire's own name
        param: str | None = None,
        request_id: str | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.type = type
        self.param = param
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        extra = f", code={self.code!r}" if self.code is not None else ""
        return f"Error code: {self.status_code}{extra} - {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions.
        return (_rebuild_status_error, (type(self), self.message, self.__dict__))


def _rebuild_status_error(
    cls: type[APIStatusError], message: str, state: dict[str, Any]
) -> APIStatusError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    """401: the key was refused or missing."""

    def __str__(self) -> str:
        return (
            f"{super().__str__()} (check api_key, or the {_API_KEY_ENV} environment "
            "variable it defaults to)"
        )


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    """404; when the URL's base misses the API's version path, ``hint`` suggests it."""

    hint = ""

    def __str__(self) -> str:
        return f"{super().__str__()}{self.hint}"


class RequestTooLargeError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    422: BadRequestError,
    401: AuthenticationError,
    402: PermissionDeniedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: RequestTooLargeError,
    429: RateLimitError,
}

# Codes seen in error events that arrive after HTTP 200, with the status they stand for.
_EVENT_CODE_STATUS: dict[str, int] = {
    "data_inspection_failed": 400,
    "invalid_request_error": 400,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 403,
}


def status_error_class(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status, APIStatusError)


def _error_object(payload: object) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        inner = payload.get("error", payload)
        if isinstance(inner, Mapping):
            return inner
        if isinstance(inner, str):
            return {"message": inner}
    return {}


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def _code(value: object) -> str | int | None:
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _status_number(code: str) -> int | None:
    # isdigit() alone admits "²" and other digits int() refuses, and int() refuses
    # strings over 4300 digits: only three ASCII digits can be a status.
    return int(code) if len(code) == 3 and code.isascii() and code.isdigit() else None


def status_error(
    status: int,
    body: bytes | str,
    headers: Mapping[str, str] | None = None,
    *,
    url: httpx.URL | str | None = None,
) -> APIStatusError:
    """Build the matching error from a status, a body of any shape, the headers and the
    URL asked (a 404 on a base URL without ``/v1`` suggests it)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        payload: object = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        payload = None
    error = _from_error_object(status, _error_object(payload), text, headers or {})
    if isinstance(error, NotFoundError) and url is not None:
        error.hint = _not_found_hint(httpx.URL(str(url)))
    return error


# Each endpoint, the setting that gives its base URL, and the path that base ends in.
_ENDPOINTS = (
    ("/chat/completions", "base_url", "/v1"),
    ("/embeddings", "embeddings_base_url", "/api/v3"),
)


def _version_path_hint(url: httpx.URL) -> str:
    """For a URL whose base lacks its version path (``http://host:8000/chat/completions``),
    the base it probably meant; "" when the base has it or the endpoint is not ours."""
    path = url.path.rstrip("/")
    for endpoint, setting, version in _ENDPOINTS:
        base = path.removesuffix(endpoint)
        if base != path and not base.endswith(version):
            given = _origin_and(url, base)
            # The endpoint's own path copied into the base goes; another version (/v2,
            # /api/v1) is replaced; a bare origin or prefix extended.
            meant = _origin_and(url, _VERSION_TAIL.sub("", base.removesuffix(endpoint)) + version)
            return f" (the {setting} {given} does not end in {version}: did you mean {meant}?)"
    return ""


_VERSION_TAIL = re.compile(r"(/api)?/v\d+$")


def _not_found_hint(url: httpx.URL) -> str:
    return _version_path_hint(url) or _embeddings_layout_hint(url)


def _embeddings_layout_hint(url: httpx.URL) -> str:
    """For a 404 at ``/api/v3/embeddings`` (Anyfast's path, derived from a chat base URL),
    the ``/v1`` that servers laid out as OpenAI's (llama.cpp, vLLM) serve embeddings under."""
    path = url.path.rstrip("/")
    base = path.removesuffix("/embeddings")
    if base == path or not base.endswith("/api/v3"):
        return ""
    meant = _origin_and(url, base.removesuffix("/api/v3") + "/v1")
    return (
        f" (embeddings went to {_origin_and(url, base)}, Anyfast's path; a server laid out as"
        f" OpenAI's serves them under /v1: set embeddings_base_url={meant!r})"
    )


def _origin_and(url: httpx.URL, path: str) -> str:
    # Credentials written into a URL (user:password@host) stay out of the message.
    shown = url.copy_with(username=None, password=None, path=path or "/", query=None, fragment=None)
    return str(shown).rstrip("/")


def event_error(error: Mapping[str, Any]) -> APIStatusError:
    """Build the matching error from an ``{"error": ...}`` event inside a stream."""
    status = _event_status(_code(error.get("code")), error.get("type"))
    return _from_error_object(status, error, json.dumps({"error": dict(error)}), {})


def _event_status(code: str | int | None, type_: object = None) -> int:
    """The status an error event stands for: its code, else its type (OpenAI's
    ``insufficient_quota`` comes as both), else 500."""
    if isinstance(code, str):
        code = _status_number(code) or code
    if isinstance(code, int):
        return code if 400 <= code < 600 else 500
    for name in (code, type_):
        if isinstance(name, str) and name in _EVENT_CODE_STATUS:
            return _EVENT_CODE_STATUS[name]
    return 500


# A 400 saying the prompt is longer than the context: OpenAI's code, llama.cpp's type. It is
# the same failure as a 413 (LangChain's ContextOverflowError), which callers act on.
_CONTEXT_OVERFLOW = frozenset({"context_length_exceeded", "exceed_context_size_error"})


def _error_class(status: int, error: Mapping[str, Any]) -> type[APIStatusError]:
    names = {_as_text(error.get("code")), _as_text(error.get("type"))}
    if status == 400 and not names.isdisjoint(_CONTEXT_OVERFLOW):
        return RequestTooLargeError
    return status_error_class(status)


def _from_error_object(
    status: int, error: Mapping[str, Any], raw: str, headers: Mapping[str, str]
) -> APIStatusError:
    message = _as_text(error.get("message")) or _fallback_message(status, raw)
    request_id = _request_id(message, headers)
    return _error_class(status, error)(
        message,
        status_code=status,
        code=_code(error.get("code")),
        type=_as_text(error.get("type")),
        param=_as_text(error.get("param")),
        request_id=request_id,
        body=raw[:_BODY_LIMIT],
    )


def _fallback_message(status: int, raw: str) -> str:
    snippet = " ".join(raw.split())[:200]
    reason = httpx.codes.get_reason_phrase(status) or "Error"
    return f"{reason}: {snippet}" if snippet else reason


def _request_id(message: str, headers: Mapping[str, str]) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    match = _REQUEST_ID_SUFFIX.search(message)
    return match.group(1) if match else None


def transport_error(exc: httpx.TransportError, *, waiting: str = "") -> APIConnectionError:
    """Map an httpx failure to ours, naming the method and URL; the caller raises it
    ``from exc``. The key travels in a header, so neither the URL nor the text holds it.
    ``waiting`` says what a timeout was waiting for, such as ``"the stream"``."""
    where = _where(exc)
    if isinstance(exc, httpx.TimeoutException):
        waited = f" waiting for {waiting}" if waiting else ""
        return APITimeoutError(f"{where} timed out{waited} ({type(exc).__name__}): {exc}")
    return APIConnectionError(f"Connection error on {where} ({type(exc).__name__}): {exc}")


def transport_detail(exc: Exception) -> str:
    """Why a read failed, naming the method and URL when httpx knows them."""
    if isinstance(exc, httpx.RequestError):
        return f"{type(exc).__name__} on {_where(exc)}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _where(exc: httpx.RequestError) -> str:
    try:
        request = exc.request
    except RuntimeError:  # raised outside a request: nothing to name
        return "the request"
    url = request.url
    # Credentials written into a URL (user:password@host) stay out of the message.
    shown = url.copy_with(username=None, password=None, query=None, fragment=None)
    return f"{request.method} {shown}"


def decoding_error(exc: httpx.DecodingError, response: httpx.Response) -> AnyfastError:
    """Map a body that does not match its Content-Encoding; the caller raises it ``from exc``.

    An error status keeps its own class, so a 500 is still an ``InternalServerError``
    (and retried as one), with the decoding problem as its message; a success whose body
    cannot be read is a :class:`ContentDecodingError`.
    """
    encoding = response.headers.get("content-encoding") or "none"
    problem = (
        f"The response body of {_where(exc)} is not valid for its Content-Encoding "
        f"{encoding!r} ({exc}): the server or a proxy sent bytes that do not match the header."
    )
    status = response.status_code
    if not response.is_error:
        return ContentDecodingError(problem)
    reason = httpx.codes.get_reason_phrase(status) or "Error"
    error = status_error_class(status)(
        f"{reason}: {problem}",
        status_code=status,
        request_id=_request_id("", response.headers),
    )
    if isinstance(error, NotFoundError):  # the same hint as a readable 404's
        error.hint = _not_found_hint(response.url)
    return error
