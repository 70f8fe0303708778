"""Client settings: argument, else environment variable, else default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from ._errors import MissingAPIKeyError

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "EMBEDDINGS_BASE_URL_ENV",
    "as_secret",
    "check_default_headers",
    "resolve_api_key",
    "resolve_base_url",
    "resolve_embeddings_base_url",
    "resolve_timeout",
]

API_KEY_ENV = "ANYFAST_API_KEY"
BASE_URL_ENV = "ANYFAST_BASE_URL"
EMBEDDINGS_BASE_URL_ENV = "ANYFAST_EMBEDDINGS_BASE_URL"
DEFAULT_BASE_URL = "https://www.anyfast.ai/v1"
DEFAULT_MODEL = "qwen3.6-flash"
DEFAULT_MAX_RETRIES = 2
# A thinking model may go quiet for minutes before its first token; a dead host
# should still fail within seconds.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)

TimeoutTypes = float | httpx.Timeout | None


def resolve_api_key(api_key: str | SecretStr | None) -> SecretStr | None:
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
    return as_secret(api_key)


def as_secret(api_key: object) -> SecretStr | None:
    """A key as given (``None``, ``str`` or ``SecretStr``), kept as a ``SecretStr``."""
    if api_key is None or isinstance(api_key, SecretStr):
        return api_key
    if isinstance(api_key, str):
        return SecretStr(api_key)
    raise TypeError(f"api_key must be a str or a pydantic SecretStr, not {type(api_key).__name__}")


def check_default_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """The extra headers, refusing Authorization: the key is only ever set by ``api_key``.

    Letting a header override it would send a second, differently-cased
    Authorization header or a key that no repr, pickle or error knows about.
    """
    checked = dict(headers or {})
    if any(name.lower() == "authorization" for name in checked):
        raise ValueError(
            "default_headers cannot set Authorization: pass the key as api_key "
            f"(or set {API_KEY_ENV}); it is sent as 'Authorization: Bearer <key>'."
        )
    return checked


def require_api_key(api_key: SecretStr | None) -> str:
    """The key in plain text, for the Authorization header and nothing else."""
    value = api_key.get_secret_value() if api_key is not None else ""
    if not value:
        raise MissingAPIKeyError
    return value


def resolve_base_url(base_url: str | None) -> str:
    return (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def resolve_embeddings_base_url(embeddings_base_url: str | None, base_url: str) -> str:
    """Embeddings live under ``/api/v3`` of the same origin as chat's ``/v1``.

    An explicit setting wins; otherwise a chat base URL ending in ``/v1`` has
    that part replaced, and any other one keeps its origin only.
    """
    explicit = embeddings_base_url or os.environ.get(EMBEDDINGS_BASE_URL_ENV)
    if explicit:
        return explicit.rstrip("/")
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    prefix = path[: -len("/v1")] if path.endswith("/v1") else ""
    return urlunsplit((parts.scheme, parts.netloc, f"{prefix}/api/v3", "", ""))


def resolve_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """``None`` means the default; no limit at all is ``httpx.Timeout(None)``."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return DEFAULT_TIMEOUT
    return httpx.Timeout(float(timeout), connect=min(float(timeout), 10.0))
