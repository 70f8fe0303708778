"""The sync and async clients: thin I/O shells around the shared request logic.

Everything that is not I/O lives in :class:`_BaseClient` and the sans-I/O
modules; :class:`AnyfastClient` and :class:`AsyncAnyfastClient` differ only by
``await``. Each owns one pooled httpx client, made on first use (so an
instance is cheap to build and can be pickled into a worker process) and
reused across calls; the async one sends through aiohttp's pool when aiohttp is
installed (``_aiohttp``), which holds a thousand calls in flight where httpcore's
slows down. Calls sharing a client share one rate-limit gate (``RateLimitGate``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import httpx
from pydantic import SecretStr, ValidationError

from . import _config
from ._batching import DEFAULT_EMBED_CONCURRENCY
from ._body import PIECE, Body, encode
from ._decode import ChunkDecoder
from ._errors import (
    AnyfastError,
    APIStatusError,
    StreamInterruptedError,
    decoding_error,
    event_error,
    status_error,
    transport_detail,
    transport_error,
)
from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    EmbeddingRequest,
    EmbeddingResponse,
)
from ._response import require_choices
from ._retry import RateLimitGate, parse_retry_after, retry_delay, should_retry_error
from ._stream import StreamAccumulator
from ._template import TextDelta
from ._think_tags import split_completion
from ._version import __version__

__all__ = ["AnyfastClient", "AsyncAnyfastClient", "AsyncStream", "Stream"]

logger = logging.getLogger("anyfast_client")

_Model = TypeVar("_Model", ChatCompletion, EmbeddingResponse)
# Failures that leave the server without a whole request, so nothing can have run:
# no connection, no free connection in the pool, or a body that never finished going out.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout)
_USER_AGENT = f"anyfast-integrations/{__version__}"
# An event loop's connection pool and the generator that closes it with that loop.
_LoopPool = tuple[httpx.AsyncClient, AsyncGenerator[None, None]]
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
# How long a stream's body may go on after [DONE] before its connection is closed.
_DRAIN_SECONDS = 0.25


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
        think_tags: bool = True,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.api_key = _config.resolve_api_key(api_key)
        self.base_url = _config.resolve_base_url(base_url)
        self.embeddings_base_url = _config.resolve_embeddings_base_url(
            embeddings_base_url, self.base_url
        )
        self.timeout = _config.resolve_timeout(timeout)
        self.max_retries = max_retries
        self.default_headers = _config.check_default_headers(default_headers)
        # <think>…</think> at the start of the content read as reasoning (``_think_tags``).
        self.think_tags = think_tags
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
        return split_completion(completion) if self.think_tags else completion

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


async def _close_with_loop(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Closes ``http`` when its event loop shuts down its async generators.

    An async generator left open is closed by the loop's
    ``shutdown_asyncgens()``, which ``asyncio.run()`` calls before closing
    the loop: the pool's connections are closed while their loop still runs,
    instead of leaking when the next ``asyncio.run()`` needs a new pool.
    """
    try:
        yield
    finally:
        await http.aclose()


def _async_pool(timeout: httpx.Timeout) -> httpx.AsyncClient:
    """httpx on aiohttp's pool when aiohttp is installed (see ``_aiohttp``), else on httpcore's."""
    try:
        from ._aiohttp import AiohttpTransport
    except ImportError:
        return httpx.AsyncClient(limits=_LIMITS, timeout=timeout)
    return httpx.AsyncClient(transport=AiohttpTransport(limits=_LIMITS), timeout=timeout)


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
                    self._http = httpx.Client(limits=_LIMITS, timeout=self.timeout)
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
            lambda attempt: self._send(*args, attempt),
            self._retry_wait,
            think_tags=self.think_tags,
        )

    def embeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        response, _ = self._send(*self._embeddings_args(request))
        return _parse(EmbeddingResponse, _read(response))

    def _send(
        self, url: str, body: Body, stream: bool, attempt: int = 0
    ) -> tuple[httpx.Response, int]:
        """POST with retries; the response and the attempt that got it."""
        headers = self._headers(stream=stream)  # a missing key fails before a pool is made
        http = self._client()
        request = self._build(http, url, body, headers)
        delay = 0.0
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
        # One pool per event loop, with the guard that closes it when that loop shuts
        # down. A pool is never replaced while its loop lives: a nested loop (LlamaIndex
        # runs one in a thread from sync code) must not close the outer loop's streams.
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_pools"] = {}
        return state

    async def _client(self) -> httpx.AsyncClient:
        if self._http is not None:
            return self._http
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            self._forget_closed_loops()
            http = _async_pool(self.timeout)
            pool = self._pools[loop] = (http, _close_with_loop(http))
            await anext(pool[1])
        return pool[0]

    def _forget_closed_loops(self) -> None:
        # A loop closed without shutdown_asyncgens() (loop.close() alone) never let its
        # pool close; its sockets can no longer be closed cleanly, only dropped.
        for loop in [loop for loop in list(self._pools) if loop.is_closed()]:
            self._pools.pop(loop, None)

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        response, _ = await self._send(*self._chat_args(request, stream=False))
        return self._answer(_parse(ChatCompletion, await _aread(response)))

    def chat_stream(self, request: ChatRequest, *, include_usage: bool = True) -> AsyncStream:
        """A stream of chunks; the request goes out on the first ``anext``."""
        args = self._chat_args(request, stream=True, include_usage=include_usage)
        return AsyncStream(
            lambda attempt: self._send(*args, attempt),
            self._retry_wait,
            think_tags=self.think_tags,
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
        self, url: str, body: Body, stream: bool, attempt: int = 0
    ) -> tuple[httpx.Response, int]:
        """POST with retries; the response and the attempt that got it."""
        headers = self._headers(stream=stream)  # a missing key fails before a pool is made
        http = await self._client()
        request = self._build(http, url, body, headers)
        delay = 0.0
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
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool[1].aclose()  # closes the pool it guards
        # Dropping a guard makes its own loop close its pool (the loop's asyncgen finalizer).
        self._pools = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


# --------------------------------------------------------------------------- streams

_RetryWait = Callable[..., float | None]
#: What a stream's reader hands out: a chunk, or the text delta of a chunk that only
#: adds text (see ``_template``), built into its chunk for the public iterators.
StreamItem = ChatCompletionChunk | TextDelta
# Each opener takes the attempt number to start from and returns the one it used.
_Opener = Callable[[int], tuple[httpx.Response, int]]
_AsyncOpener = Callable[[int], Awaitable[tuple[httpx.Response, int]]]


class _ReaderBase:
    """What both readers share: the decoder, the retry rule and the result so far.

    A reader, not the stream, runs the generator: the generator's frame then
    holds no reference to the stream, so a caller who breaks out of a bare
    ``for`` loop drops the last reference and the connection closes at once
    instead of waiting for the cycle collector.
    """

    def __init__(self, retry_wait: _RetryWait, think_tags: bool) -> None:
        self._retry_wait = retry_wait
        self.decoder = ChunkDecoder(think_tags=think_tags)
        self._began = False  # a byte of the body arrived

    @property
    def _started(self) -> bool:
        """Whether a chunk reached the caller."""
        return self.decoder.handed_out

    def _on_failure(self, exc: Exception, attempt: int) -> float:
        """A failure while reading: the wait before starting over, or raise."""
        error = self._as_error(exc)
        lost = isinstance(error, StreamInterruptedError)
        # Only a stream that has shown the caller nothing may start over. A lost connection
        # starts over only if no byte of the body came (not even a ": PING"): after one, the
        # server was answering and may bill it. A timeout counts as sent for the same reason.
        delay = (
            None
            if self._started or (lost and self._began)
            else self._retry_wait(error, attempt, sent=not lost, headers={})
        )
        if delay is None:
            if error is exc:
                raise error
            raise error from exc
        self.decoder.restart()
        return delay

    def _as_error(self, exc: Exception) -> AnyfastError:
        if isinstance(exc, AnyfastError):
            return exc
        if isinstance(exc, httpx.TimeoutException) and not self._started:
            # Not retried: the request was sent and may be billed.
            return transport_error(exc, waiting="the stream")
        return self.decoder.interrupted(transport_detail(exc))


def _drained(decoder: ChunkDecoder, exc: httpx.TransportError) -> None:
    """A connection that fails after [DONE] lost nothing; any other failure counts."""
    if not decoder.done:
        raise exc


def _drain(chunks: Iterator[bytes], response: httpx.Response) -> None:
    """After [DONE], read on for a moment: a body that ends at once gives its
    connection back to the pool. A server that keeps the connection open is hung up
    on at the deadline: a watchdog shuts the socket, which ends a blocked read; with
    no socket to reach (a custom transport), pings are cut at the next one after it."""
    deadline = time.monotonic() + _DRAIN_SECONDS
    watchdog = threading.Timer(_DRAIN_SECONDS, _hang_up, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    try:
        for _ in chunks:
            if time.monotonic() > deadline:
                return
    except httpx.HTTPError:
        return  # the answer is complete; the connection is closed, not reused
    finally:
        watchdog.cancel()


def _hang_up(response: httpx.Response) -> None:
    """Wake a read blocked on this HTTP/1.1 response's socket (it then reads the end)."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None or response.http_version != "HTTP/1.1":
        return  # an HTTP/2 socket carries other streams; a custom transport has none
    with contextlib.suppress(OSError):
        # The plain socket's shutdown, also under TLS: SSLSocket.shutdown would drop
        # its SSL object under the reading thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


async def _adrain(chunks: AsyncIterator[bytes]) -> None:
    """The async :func:`_drain`, with a hard deadline also when nothing arrives."""
    try:
        async with asyncio.timeout(_DRAIN_SECONDS):
            async for _ in chunks:
                pass
    except (TimeoutError, httpx.HTTPError):
        return


class _Reader(_ReaderBase):
    def __init__(self, open_response: _Opener, retry_wait: _RetryWait, think_tags: bool) -> None:
        super().__init__(retry_wait, think_tags)
        self._open = open_response

    def iterate(self) -> Generator[StreamItem, None, None]:
        attempt = 0
        while True:
            response, attempt = self._open(attempt)
            try:
                yield from self._read(response)
                return
            except (httpx.TransportError, AnyfastError) as exc:
                delay = self._on_failure(exc, attempt)
            finally:
                response.close()
            _sleep(delay)
            attempt += 1

    def _read(self, response: httpx.Response) -> Iterator[StreamItem]:
        self.decoder.content_type = response.headers.get("content-type")
        chunks = response.iter_bytes()
        try:
            for data in chunks:
                self._began = self._began or bool(data)
                yield from self.decoder.iter_feed(data)
                if self.decoder.done:
                    _drain(chunks, response)
                    break
        except httpx.TransportError as exc:
            _drained(self.decoder, exc)
        except httpx.DecodingError as exc:
            raise decoding_error(exc, response) from exc
        yield from self.decoder.iter_close()


class _AsyncReader(_ReaderBase):
    def __init__(
        self, open_response: _AsyncOpener, retry_wait: _RetryWait, think_tags: bool
    ) -> None:
        super().__init__(retry_wait, think_tags)
        self._open = open_response

    async def iterate(self) -> AsyncGenerator[StreamItem, None]:
        attempt = 0
        while True:
            response, attempt = await self._open(attempt)
            try:
                async for chunk in self._read(response):
                    yield chunk
                return
            except (httpx.TransportError, AnyfastError) as exc:
                delay = self._on_failure(exc, attempt)
            finally:
                await response.aclose()
            await _asleep(delay)
            attempt += 1

    async def _read(self, response: httpx.Response) -> AsyncIterator[StreamItem]:
        self.decoder.content_type = response.headers.get("content-type")
        chunks = response.aiter_bytes()
        try:
            async for data in chunks:
                self._began = self._began or bool(data)
                for chunk in self.decoder.iter_feed(data):
                    yield chunk
                if self.decoder.done:
                    await _adrain(chunks)
                    break
        except httpx.TransportError as exc:
            _drained(self.decoder, exc)
        except httpx.DecodingError as exc:
            raise decoding_error(exc, response) from exc
        for chunk in self.decoder.iter_close():
            yield chunk


class _StreamBase:
    _reader: _ReaderBase

    @property
    def completion(self) -> ChatCompletion:
        """Everything received so far, merged into one completion."""
        return self._reader.decoder.accumulator.result()

    @property
    def accumulator(self) -> StreamAccumulator:
        """The live merge of the chunks handed out so far: each chunk is in it by the
        time the loop sees it. Read it; feeding it chunks would count them twice."""
        return self._reader.decoder.accumulator


class Stream(_StreamBase):
    """An iterator of :class:`ChatCompletionChunk` that is also a context manager.

    Leaving the ``with`` block, or breaking out of the loop inside it, closes
    the connection. A stream that ends early raises
    :class:`StreamInterruptedError` with what arrived in ``.partial``.
    """

    def __init__(
        self, open_response: _Opener, retry_wait: _RetryWait, *, think_tags: bool = True
    ) -> None:
        self._reader = reader = _Reader(open_response, retry_wait, think_tags)
        self._items = reader.iterate()
        self._chunks = _chunks(self._items)

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        return self._chunks

    def __next__(self) -> ChatCompletionChunk:
        return next(self._chunks)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._chunks.close()
        self._items.close()


class AsyncStream(_StreamBase):
    """The async twin of :class:`Stream`: ``async for`` and ``async with``."""

    def __init__(
        self, open_response: _AsyncOpener, retry_wait: _RetryWait, *, think_tags: bool = True
    ) -> None:
        self._reader = reader = _AsyncReader(open_response, retry_wait, think_tags)
        self._items = reader.iterate()
        self._chunks = _achunks(self._items)

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._chunks

    async def __anext__(self) -> ChatCompletionChunk:
        return await anext(self._chunks)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._chunks.aclose()
        await self._items.aclose()


def _chunks(items: Iterator[StreamItem]) -> Generator[ChatCompletionChunk, None, None]:
    for item in items:
        yield item.chunk() if type(item) is TextDelta else cast(ChatCompletionChunk, item)


async def _achunks(items: AsyncIterator[StreamItem]) -> AsyncGenerator[ChatCompletionChunk, None]:
    async for item in items:
        yield item.chunk() if type(item) is TextDelta else cast(ChatCompletionChunk, item)


def stream_items(stream: Stream) -> Iterator[StreamItem]:
    """The stream as its reader hands it out: each chunk that only adds text as its
    :class:`TextDelta` (most of them), for a reader that needs only the text. Iterate
    either this or the stream, not both."""
    return stream._items


def astream_items(stream: AsyncStream) -> AsyncIterator[StreamItem]:
    """The async twin of :func:`stream_items`."""
    return stream._items
