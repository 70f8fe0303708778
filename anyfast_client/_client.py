"""The sync and async clients: thin I/O shells around the shared request logic.

Everything that is not I/O lives in :class:`_BaseClient` and the sans-I/O
modules; :class:`AnyfastClient` and :class:`AsyncAnyfastClient` differ only by
``await``. Each owns one pooled httpx client, made on first use (so an
instance is cheap to build and can be pickled into a worker process) and
reused across calls; the async one keeps one per event loop (``_pools``). Calls
sharing a client share one rate-limit gate (``RateLimitGate``). Streams, which the
clients open and retry, are read in ``_streaming``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import (
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from . import _config
from ._batching import DEFAULT_EMBED_CONCURRENCY
from ._body import PIECE, Body, encode
from ._errors import (
    AnyfastError,
    APIStatusError,
    decoding_error,
    event_error,
    status_error,
    transport_error,
)
from ._models import (
    ChatCompletion,
    ChatRequest,
    EmbeddingRequest,
    EmbeddingResponse,
)
from ._pools import LIMITS, LoopPools
from ._response import require_choices
from ._retry import RateLimitGate, parse_retry_after, retry_delay, should_retry_error
from ._streaming import AsyncStream, Stream
from ._think_tags import StrayCloseCheck, ThinkTagsMode, check_think_tags, split_completion
from ._version import __version__

__all__ = ["AnyfastClient", "AsyncAnyfastClient", "AsyncStream", "Stream"]

logger = logging.getLogger("anyfast_client")

_Model = TypeVar("_Model", ChatCompletion, EmbeddingResponse)
# Failures that leave the server without a whole request, so nothing can have run:
# no connection, no free connection in the pool, or a body that never finished going out.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout)
_USER_AGENT = f"anyfast-integrations/{__version__}"


class _BaseClient:
    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        embeddings_base_url: str | None = None,
        timeout: _config.TimeoutTypes = None,
        max_retries: int = _config.DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        think_tags: ThinkTagsMode = True,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.api_key = _config.resolve_api_key(api_key)
        self.base_url = _config.resolve_base_url(base_url)
        self.embeddings_base_url = _config.resolve_embeddings_base_url(
            embeddings_base_url, self.base_url, base_url_given=base_url is not None
        )
        self.timeout = _config.resolve_timeout(timeout)
        self.max_retries = max_retries
        self.default_headers = _config.check_default_headers(default_headers)
        # <think>…</think> at the start of the content read as reasoning (``_think_tags``).
        self.think_tags = check_think_tags(think_tags)
        self._stray_close = StrayCloseCheck()  # warns once per client
        self._lock = threading.Lock()
        self._gate = RateLimitGate()

    @property
    def api_key(self) -> SecretStr | None:
        """The key, as a ``SecretStr``; assign a plain ``str`` or a ``SecretStr``."""
        return self._api_key

    @api_key.setter
    def api_key(self, value: str | SecretStr | None) -> None:
        self._api_key = _config.as_secret(value)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"max_retries={self.max_retries}, api_key={'set' if self.api_key else 'unset'})"
        )

    def __getstate__(self) -> dict[str, Any]:
        if not self._owns_http:
            raise TypeError(
                f"{type(self).__name__} built with your own http_client cannot be pickled: "
                "pass the settings instead and let each process make its own connection pool."
            )
        state = self.__dict__.copy()
        del state["_lock"]
        state["_http"] = None
        state["_gate"] = RateLimitGate()  # another process has another clock
        # The key never travels: SecretStr would pickle it in plain text.
        del state["_api_key"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.api_key = _config.resolve_api_key(None)
        self._lock = threading.Lock()

    _owns_http: bool

    def _key(self) -> str:
        if self.api_key is None:
            # Set after this client was made (or unpickled): read it now.
            self.api_key = _config.resolve_api_key(None)
        return _config.require_api_key(self.api_key)

    def _headers(self, *, stream: bool) -> dict[str, str]:
        # Names in lower case, so that a user's "User-Agent" replaces ours instead
        # of going out as a second header (a plain dict is 20x cheaper than httpx.Headers).
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
            "user-agent": _USER_AGENT,
        }
        for name, value in self.default_headers.items():
            headers[name.lower()] = value
        headers["authorization"] = f"Bearer {self._key()}"
        return headers

    def _chat_args(
        self, request: ChatRequest, *, stream: bool, include_usage: bool = True
    ) -> tuple[str, Body, bool]:
        # Encoded at once, so the dict copy of the request is not held beside the bytes.
        body = encode(request.to_body(stream=stream, include_usage=include_usage))
        return f"{self.base_url}/chat/completions", body, stream

    def _answer(self, completion: ChatCompletion) -> ChatCompletion:
        completion = require_choices(completion)
        if self.think_tags:
            split_completion(completion, opened=self.think_tags == "open")
        if (check := self._stray_close_check()) is not None:
            check.check(completion)
        return completion

    def _stray_close_check(self) -> StrayCloseCheck | None:
        """The check for a closing tag never opened: only the default mode warns of it."""
        return self._stray_close if self.think_tags is True else None

    def _embeddings_args(self, request: EmbeddingRequest) -> tuple[str, Body, bool]:
        return f"{self.embeddings_base_url}/embeddings", encode(request.to_body()), False

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        url: str,
        body: Body,
        headers: dict[str, str],
    ) -> httpx.Request:
        content: bytes | Body
        if isinstance(http, httpx.Client) and body.size > PIECE:
            content = body  # in pieces: see Body
            headers["content-length"] = str(body.size)
        else:
            content = body.joined()
        return http.build_request(
            "POST", url, content=content, headers=headers, timeout=self.timeout
        )

    def _retry_wait(
        self, error: AnyfastError, attempt: int, *, sent: bool, headers: Mapping[str, str]
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self.max_retries or not should_retry_error(error, sent=sent):
            return None
        delay = retry_delay(attempt, parse_retry_after(headers))
        logger.info("Retrying in %.2fs after: %s", delay, error)
        return delay

    def _on_transport_error(self, exc: httpx.TransportError, attempt: int) -> float:
        error = transport_error(exc)
        delay = self._retry_wait(error, attempt, sent=not isinstance(exc, _NOT_SENT), headers={})
        if delay is None:
            raise error from exc
        return delay

    def _pause(self, delay: float) -> float:
        """The wait before an attempt: its own delay, or longer while the gate is shut."""
        return max(delay, self._gate.wait(now=time.monotonic()))

    def _on_status_error(
        self, error: APIStatusError, response: httpx.Response, attempt: int
    ) -> float:
        logger.debug("HTTP %s from %s", response.status_code, response.url)
        retry_after = parse_retry_after(response.headers)
        if response.status_code == 429 and retry_after is not None:
            self._gate.hold(retry_after, now=time.monotonic())  # every call on this client waits
        delay = self._retry_wait(error, attempt, sent=True, headers=response.headers)
        if delay is None:
            raise error
        return delay


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _asleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def _all_or_none(jobs: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` together; the first failure cancels the others and is raised as it is."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _read(response: httpx.Response) -> httpx.Response:
    """Read the whole body and give the connection back to the pool."""
    try:
        response.read()
    except httpx.TransportError as exc:
        raise transport_error(exc) from exc
    except httpx.DecodingError as exc:
        raise decoding_error(exc, response) from exc
    finally:
        response.close()
    return response


async def _aread(response: httpx.Response) -> httpx.Response:
    try:
        await response.aread()
    except httpx.TransportError as exc:
        raise transport_error(exc) from exc
    except httpx.DecodingError as exc:
        raise decoding_error(exc, response) from exc
    finally:
        await response.aclose()
    return response


def _read_error(response: httpx.Response) -> APIStatusError:
    """The error an error response stands for, also when its body cannot be decoded."""
    try:
        _read(response)
    except APIStatusError as error:  # see decoding_error: the status is kept
        return error
    return status_error(response.status_code, response.content, response.headers, url=response.url)


async def _aread_error(response: httpx.Response) -> APIStatusError:
    try:
        await _aread(response)
    except APIStatusError as error:
        return error
    return status_error(response.status_code, response.content, response.headers, url=response.url)


def _parse(model: type[_Model], response: httpx.Response) -> _Model:
    try:
        result = model.model_validate_json(response.content)
    except ValidationError as exc:
        raise AnyfastError(
            f"The server answered {response.status_code} with a body that is not a "
            f"{model.__name__}: {response.text[:200]!r}"
        ) from exc
    # A gateway may answer 200 with an error envelope; it is no empty answer.
    error = (result.model_extra or {}).get("error")
    if error:
        raise event_error(error if isinstance(error, Mapping) else {"message": str(error)})
    return result


class AnyfastClient(_BaseClient):
    """Talks to the Anyfast chat-completions API.

    Example::

        from anyfast_client import AnyfastClient, ChatRequest, UserMessage

        with AnyfastClient() as client:  # the key comes from ANYFAST_API_KEY
            request = ChatRequest(messages=[UserMessage(content="Hi")], enable_thinking=True)
            for chunk in client.chat_stream(request):
                ...

    Retries connect errors, pool and write timeouts, 408, 409, 429 and 5xx up
    to ``max_retries`` times, honouring Retry-After. A read timeout, or a
    connection lost after the request went out, is not retried: the request
    may already be billed. A stream adds two cases, both before anything reached
    you: an error event first in the stream is retried like its status, and a
    connection lost after the ``200`` headers but before any byte of the body is
    retried; once a byte came (even a ``: PING``), a cut stream raises.
    ``default_headers`` may not set Authorization.

    Pickling (to hand a client to a worker process) keeps the settings, not
    the connection pool and never the key: the unpickled client reads
    ``ANYFAST_API_KEY``, so set it in the workers' environment. A client built
    with your own ``http_client`` refuses to pickle.
    """

    def __init__(self, *, http_client: httpx.Client | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self._http = http_client
        self._owns_http = http_client is None

    def _client(self) -> httpx.Client:
        http = self._http
        if http is None:
            with self._lock:
                if self._http is None:
                    self._http = httpx.Client(limits=LIMITS, timeout=self.timeout)
                http = self._http
        return http

    def chat(self, request: ChatRequest) -> ChatCompletion:
        response, _ = self._send(*self._chat_args(request, stream=False))
        return self._answer(_parse(ChatCompletion, _read(response)))

    def chat_stream(self, request: ChatRequest, *, include_usage: bool = True) -> Stream:
        """A stream of chunks; the request goes out on the first ``next``.

        ``include_usage`` asks for the final usage chunk (``stream_options``).
        """
        args = self._chat_args(request, stream=True, include_usage=include_usage)
        return Stream(
            lambda attempt, delay: self._send(*args, attempt, delay),
            self._retry_wait,
            think_tags=self.think_tags,
            stray_close=self._stray_close_check(),
        )

    def embeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        response, _ = self._send(*self._embeddings_args(request))
        return _parse(EmbeddingResponse, _read(response))

    def _send(
        self, url: str, body: Body, stream: bool, attempt: int = 0, delay: float = 0.0
    ) -> tuple[httpx.Response, int]:
        """POST with retries, after ``delay``; the response and the attempt that got it."""
        headers = self._headers(stream=stream)  # a missing key fails before a pool is made
        http = self._client()
        request = self._build(http, url, body, headers)
        while True:
            if pause := self._pause(delay):
                _sleep(pause)
            try:
                response = http.send(request, stream=True)
            except httpx.TransportError as exc:
                delay = self._on_transport_error(exc, attempt)
            else:
                if response.is_success:
                    return response, attempt
                delay = self._on_status_error(_read_error(response), response, attempt)
            attempt += 1

    def close(self) -> None:
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAnyfastClient(_BaseClient):
    """The async twin of :class:`AnyfastClient`; the same settings, behaviour and pickling.

    Each event loop that uses it gets its own connection pool, closed when that
    loop shuts down its async generators (as ``asyncio.run()`` does on its way
    out) or by ``close()`` on that loop. The pool is aiohttp's when aiohttp is
    installed (the ``aiohttp`` extra, part of ``langchain`` and ``llama-index``),
    else httpx's own; an ``http_client`` you pass is used as it is.
    """

    def __init__(self, *, http_client: httpx.AsyncClient | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self._http = http_client
        self._owns_http = http_client is None
        self._pools = LoopPools()  # one per event loop (see _pools)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_pools"] = LoopPools()
        return state

    async def _client(self) -> httpx.AsyncClient:
        if self._http is not None:
            return self._http
        return await self._pools.get(self.timeout)

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        response, _ = await self._send(*self._chat_args(request, stream=False))
        return self._answer(_parse(ChatCompletion, await _aread(response)))

    def chat_stream(self, request: ChatRequest, *, include_usage: bool = True) -> AsyncStream:
        """A stream of chunks; the request goes out on the first ``anext``."""
        args = self._chat_args(request, stream=True, include_usage=include_usage)
        return AsyncStream(
            lambda attempt, delay: self._send(*args, attempt, delay),
            self._retry_wait,
            think_tags=self.think_tags,
            stray_close=self._stray_close_check(),
        )

    async def embeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        response, _ = await self._send(*self._embeddings_args(request))
        return _parse(EmbeddingResponse, await _aread(response))

    async def embeddings_many(
        self,
        requests: Sequence[EmbeddingRequest],
        *,
        concurrency: int = DEFAULT_EMBED_CONCURRENCY,
        on_answer: Callable[[], object] | None = None,
    ) -> list[EmbeddingResponse]:
        """The answers to ``requests`` in their order, at most ``concurrency`` in flight;
        ``on_answer()`` runs as each one arrives (a progress bar's step).

        The first failure is raised and the calls still running are cancelled.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be 1 or more")
        pending = iter(enumerate(requests))
        answers: dict[int, EmbeddingResponse] = {}

        async def work() -> None:
            for number, request in pending:
                answers[number] = await self.embeddings(request)
                if on_answer is not None:
                    on_answer()

        await _all_or_none([work() for _ in range(min(concurrency, len(requests)))])
        return [answers[number] for number in range(len(requests))]

    async def _send(
        self, url: str, body: Body, stream: bool, attempt: int = 0, delay: float = 0.0
    ) -> tuple[httpx.Response, int]:
        """POST with retries, after ``delay``; the response and the attempt that got it."""
        headers = self._headers(stream=stream)  # a missing key fails before a pool is made
        http = await self._client()
        request = self._build(http, url, body, headers)
        while True:
            if pause := self._pause(delay):
                await _asleep(pause)
            try:
                response = await http.send(request, stream=True)
            except httpx.TransportError as exc:
                delay = self._on_transport_error(exc, attempt)
            else:
                if response.is_success:
                    return response, attempt
                delay = self._on_status_error(await _aread_error(response), response, attempt)
            attempt += 1

    async def close(self) -> None:
        """Close this event loop's pool; a pool of another loop closes on that loop."""
        await self._pools.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
