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
    "check_base_url",
    "check_default_headers",
    "require_api_key",
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
# Where embeddings are served, below the origin (or a proxy's path prefix).
_EMBEDDINGS_PATH = "/api/v3"


def resolve_api_key(api_key: str | SecretStr | None) -> SecretStr | None:
    """The key given, else ``ANYFAST_API_KEY``; a blank variable counts as unset."""
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV, "").strip() or None
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
    # A key pasted with a newline or spaces around it would be an illegal header value;
    # a key of nothing but whitespace is no key at all.
    value = api_key.get_secret_value().strip() if api_key is not None else ""
    if not value:
        raise MissingAPIKeyError
    _check_key_text(value)
    return value


def _check_key_text(value: str) -> None:
    """Refuse, without showing the key, what would go out wrong or fail deep in httpx."""
    if value[:7].lower() == "bearer ":
        raise ValueError(
            "api_key starts with 'Bearer ': pass the key alone, the Authorization header "
            "adds the word itself"
        )
    if value.isascii() and value.isprintable() and " " not in value:
        return
    for position, character in enumerate(value):
        if not " " < character < "\x7f":
            raise ValueError(
                f"api_key holds a character an HTTP header cannot carry at position "
                f"{position} of {len(value)} (not printable ASCII): check that the key "
                f"was copied whole, with nothing else"
            )


def check_base_url(url: str, *, field: str = "base_url") -> str:
    """An absolute http(s) URL, refused with the name of the setting otherwise."""
    if not url.strip():
        raise ValueError(
            f"{field} is empty: leave it out for the default ({DEFAULT_BASE_URL}) "
            f"or set it to a URL such as http://127.0.0.1:8000/v1"
        )
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"{field}={url!r} is not an absolute http(s) URL: write it with its scheme, "
            f"such as https://{url.strip().lstrip('/')}"
        )
    if parts.username is not None or parts.password is not None:
        # The key travels as a Bearer token; a user name or password in the URL would be
        # sent as Basic auth by one transport, refused by another, and echoed in messages.
        raise ValueError(
            f"{field} holds a user name or password: leave them out of the URL and put the "
            "key in api_key (a proxy that needs credentials goes in your own http_client)"
        )
    return url.strip().rstrip("/")


def resolve_base_url(base_url: str | None) -> str:
    """The URL given, else ``ANYFAST_BASE_URL`` (a blank variable counts as unset), else
    the default; an empty or scheme-less URL is refused naming where it came from."""
    if base_url is not None:
        return check_base_url(base_url)
    from_env = os.environ.get(BASE_URL_ENV, "").strip()
    if from_env:
        return check_base_url(from_env, field=BASE_URL_ENV)
    return DEFAULT_BASE_URL


def resolve_embeddings_base_url(
    embeddings_base_url: str | None, base_url: str, *, base_url_given: bool = False
) -> str:
    """Embeddings live under ``/api/v3`` of the same origin as chat's ``/v1``.

    An explicit setting wins, then ``ANYFAST_EMBEDDINGS_BASE_URL`` unless a base URL was
    given as an argument (an argument beats the environment); otherwise a base URL already
    ending in ``/api/v3`` is used as it is (a path prefix before it kept), one ending in
    ``/v1`` has that part replaced, and any other one keeps its origin only.
    """
    if embeddings_base_url is not None:
        return check_base_url(embeddings_base_url, field="embeddings_base_url")
    from_env = os.environ.get(EMBEDDINGS_BASE_URL_ENV, "").strip()
    if from_env and not base_url_given:
        return check_base_url(from_env, field=EMBEDDINGS_BASE_URL_ENV)
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    if path.endswith(_EMBEDDINGS_PATH):
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    prefix = path[: -len("/v1")] if path.endswith("/v1") else ""
    return urlunsplit((parts.scheme, parts.netloc, f"{prefix}{_EMBEDDINGS_PATH}", "", ""))


def resolve_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """``None`` means the default; no limit at all is ``httpx.Timeout(None)``."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is None:
        return DEFAULT_TIMEOUT
    return httpx.Timeout(float(timeout), connect=min(float(timeout), 10.0))
