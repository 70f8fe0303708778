"""Streams: the reader that opens, reads, retries and drains a streamed answer, and the
:class:`Stream` / :class:`AsyncStream` a client hands out.

A stream's body goes through a :class:`ChunkDecoder` (sans-I/O, ``_decode``); the
readers are its thin I/O shells, sync and async alike. The clients open the response
(``_client``): a reader asks its opener again, with the wait, to start over.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Self, cast

import httpx

from ._decode import ChunkDecoder
from ._errors import (
    AnyfastError,
    StreamInterruptedError,
    decoding_error,
    transport_detail,
    transport_error,
)
from ._models import ChatCompletion, ChatCompletionChunk
from ._stream import StreamAccumulator
from ._template import TextDelta
from ._think_tags import StrayCloseCheck, ThinkTagsMode

__all__ = ["AsyncStream", "Stream", "StreamItem", "astream_items", "stream_items"]

# How long a stream's body may go on after [DONE] before its connection is closed.
_DRAIN_SECONDS = 0.25
_RetryWait = Callable[..., float | None]
#: What a stream's reader hands out: a chunk, or the text delta of a chunk that only
#: adds text (see ``_template``), built into its chunk for the public iterators.
StreamItem = ChatCompletionChunk | TextDelta
# Each opener takes the attempt number to start from and the wait before it, and returns
# the attempt it used.
_Opener = Callable[[int, float], tuple[httpx.Response, int]]
_AsyncOpener = Callable[[int, float], Awaitable[tuple[httpx.Response, int]]]


class _ReaderBase:
    """What both readers share: the decoder, the retry rule and the result so far.

    A reader, not the stream, runs the generator: the generator's frame then
    holds no reference to the stream, so a caller who breaks out of a bare
    ``for`` loop drops the last reference and the connection closes at once
    instead of waiting for the cycle collector.
    """

    def __init__(
        self, retry_wait: _RetryWait, think_tags: ThinkTagsMode, stray_close: StrayCloseCheck | None
    ) -> None:
        self._retry_wait = retry_wait
        self.decoder = ChunkDecoder(think_tags=think_tags, stray_close=stray_close)
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
    def __init__(
        self,
        open_response: _Opener,
        retry_wait: _RetryWait,
        think_tags: ThinkTagsMode,
        stray_close: StrayCloseCheck | None,
    ) -> None:
        super().__init__(retry_wait, think_tags, stray_close)
        self._open = open_response

    def iterate(self) -> Generator[StreamItem, None, None]:
        attempt, delay = 0, 0.0
        while True:
            response, attempt = self._open(attempt, delay)
            try:
                yield from self._read(response)
                return
            except (httpx.TransportError, AnyfastError) as exc:
                delay = self._on_failure(exc, attempt)
            finally:
                response.close()
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
        self,
        open_response: _AsyncOpener,
        retry_wait: _RetryWait,
        think_tags: ThinkTagsMode,
        stray_close: StrayCloseCheck | None,
    ) -> None:
        super().__init__(retry_wait, think_tags, stray_close)
        self._open = open_response

    async def iterate(self) -> AsyncGenerator[StreamItem, None]:
        attempt, delay = 0, 0.0
        while True:
            response, attempt = await self._open(attempt, delay)
            try:
                async for chunk in self._read(response):
                    yield chunk
                return
            except (httpx.TransportError, AnyfastError) as exc:
                delay = self._on_failure(exc, attempt)
            finally:
                await response.aclose()
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
        self,
        open_response: _Opener,
        retry_wait: _RetryWait,
        *,
        think_tags: ThinkTagsMode = True,
        stray_close: StrayCloseCheck | None = None,
    ) -> None:
        self._reader = reader = _Reader(open_response, retry_wait, think_tags, stray_close)
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
        self,
        open_response: _AsyncOpener,
        retry_wait: _RetryWait,
        *,
        think_tags: ThinkTagsMode = True,
        stray_close: StrayCloseCheck | None = None,
    ) -> None:
        self._reader = reader = _AsyncReader(open_response, retry_wait, think_tags, stray_close)
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
