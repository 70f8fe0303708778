"""An httpx transport over aiohttp's connection pool, for many async calls in flight.

httpcore's async pool scans every connection for every request, so its cost grows with the
square of the calls in flight; aiohttp's pool hands a connection out in constant time. The
async client sends through this transport when aiohttp is installed; everything above it
(``httpx.Response``, decoding, timeouts as ``httpx.Timeout``) stays httpx.

aiohttp's errors become httpx's, keeping apart what cannot have reached the server (no
connection, or a body that never finished going out) from what may have run: the retry rule
depends on it. aiohttp has no write timeout; a timeout or reset while the body is still going
out is reported as ``httpx.WriteTimeout`` / ``httpx.WriteError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx
from yarl import URL

__all__ = ["AiohttpTransport"]

from ._body import PIECE  # bodies go out piece by piece, so their progress is known

# Before 3.12.6 a pool closed with its event loop (asyncio.run() does it on the way out)
# left each TLS connection waiting for the server's goodbye, past the loop's end or for
# as long as the server kept silent: the async client then uses httpx's own pool.
OLDEST = (3, 12, 6)


def supported(version: str) -> bool:
    """Whether this aiohttp release closes its pool's TLS connections with their loop."""
    return tuple(int(number) for number in re.findall(r"\d+", version)[:3]) >= OLDEST


if not supported(aiohttp.__version__):
    raise ImportError(f"aiohttp {aiohttp.__version__} is older than 3.12.6")

# aiohttp's writer waits for the peer only past 64 KiB buffered (its LIMIT): a body of
# at most half that, headers and all, never waits.
SMALL = 1 << 15


class _Body:
    """The request body, and whether all of it went out.

    A small body goes whole. A large one goes in pieces, and since aiohttp has no write
    timeout it keeps its own: each piece re-arms the ``watchdog`` (an ``asyncio.timeout``
    around the request) for ``write`` seconds.
    """

    def __init__(self, request: httpx.Request, write: float | None = None) -> None:
        self._request = request
        self._write = write
        self.watchdog: asyncio.Timeout | None = None
        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed body: its length is unknown
            content = None
        # A body under aiohttp's write buffer limit is written without waiting on the
        # peer, so it cannot stall: it goes as it is, with no watchdog to keep.
        self.small = content if content is not None and len(content) <= SMALL else None
        self.sent = self.small is not None

    def _arm(self, seconds: float | None) -> None:
        if self.watchdog is not None:
            when = None if seconds is None else asyncio.get_running_loop().time() + seconds
            self.watchdog.reschedule(when)

    async def pieces(self) -> AsyncIterator[bytes | memoryview]:
        stream = self._request.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        async for data in stream:
            view = memoryview(data)
            for start in range(0, len(view), PIECE):
                self._arm(self._write)
                yield view[start : start + PIECE]
        self.sent = True
        self._arm(None)


def _map(exc: Exception, body: _Body) -> httpx.TransportError | None:
    """The httpx error for an aiohttp one, most specific first; None if it is not aiohttp's."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(str(exc) or "Timed out connecting")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(exc))
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        message = str(exc) or "Timed out"
        return httpx.ReadTimeout(message) if body.sent else httpx.WriteTimeout(message)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(str(exc) or "Server disconnected")
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(str(exc))
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return httpx.ReadError(str(exc)) if body.sent else httpx.WriteError(str(exc))
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(str(exc))
    return None


@contextlib.contextmanager
def _mapped(body: _Body) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = _map(exc, body)
        if mapped is None:
            raise
        raise mapped from exc


class _ResponseStream(httpx.AsyncByteStream):
    """The body as it arrives; closing it before the end hangs up."""

    def __init__(self, response: aiohttp.ClientResponse, body: _Body) -> None:
        self._response = response
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._body):
            async for data in self._response.content.iter_any():
                yield data

    async def aclose(self) -> None:
        # Gives a fully read connection back to the pool and closes any other. Closing
        # TLS politely waits for the server's close_notify, which a server still holding
        # the stream open never sends: hang up on it at once, as a closed socket does.
        response = self._response
        connection = response.connection
        transport = connection.transport if connection is not None else None
        if (
            transport is not None
            and not response.content.at_eof()
            and transport.get_extra_info("sslcontext") is not None
        ):
            transport.abort()
        response.release()


@functools.lru_cache(maxsize=64)
def _timeout(
    connect: float | None, pool: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """httpx's timeouts in aiohttp's terms: its ``connect`` covers the pool wait and connect."""
    waiting = None if connect is None or pool is None else connect + pool
    return aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect, sock_read=read)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` on one aiohttp session, made on first use.

    ``limits.max_connections`` caps the connections and ``keepalive_expiry`` closes idle
    ones; decompression is left to httpx, proxies and redirects to the ``httpx.AsyncClient``.
    """

    def __init__(self, *, limits: httpx.Limits, verify: bool = True) -> None:
        self._limits = limits
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None

    def _ssl_for(self, url: httpx.URL) -> ssl.SSLContext | bool:
        """httpx's SSL context (certifi, SSL_CERT_FILE), made only once an https URL needs it."""
        if url.scheme != "https":
            return False
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context(verify=self._verify)
        return self._ssl

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # the httpx client routes proxied hosts elsewhere
            )
        return self._session

    async def _send(
        self,
        request: httpx.Request,
        data: bytes | AsyncIterator[bytes | memoryview],
        timeouts: dict[str, float | None],
    ) -> aiohttp.ClientResponse:
        headers = [(k, v) for k, v in request.headers.multi_items() if k != "transfer-encoding"]
        return await self._get_session().request(
            request.method,
            URL(str(request.url), encoded=True),
            headers=headers,
            data=data,
            allow_redirects=False,
            timeout=_timeout(timeouts.get("connect"), timeouts.get("pool"), timeouts.get("read")),
            server_hostname=request.extensions.get("sni_hostname"),
            ssl=self._ssl_for(request.url),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        body = _Body(request, timeouts.get("write"))
        with _mapped(body):
            if body.small is not None:
                response = await self._send(request, body.small, timeouts)
            else:
                async with asyncio.timeout(None) as body.watchdog:
                    response = await self._send(request, body.pieces(), timeouts)
                body.watchdog = None  # a body still going out after the answer has no deadline
        body.sent = True  # an answer came: whatever fails now fails while reading
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, body),
            request=request,
            extensions={"reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
