"""Wire-level helpers for the client-core tests.

``api`` runs one test body against the sync client or the async one (via
``asyncio.run``), both talking to an ``httpx.MockTransport``. ``raw_server``
is a tiny HTTP/1.1 server on 127.0.0.1 for what a mock cannot fake: a socket
reset mid-stream, a connection the client must close, two event loops.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from anyfast_client import (
    AnyfastClient,
    AsyncAnyfastClient,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    EmbeddingRequest,
    EmbeddingResponse,
    UserMessage,
    _client,
)
from anyfast_client._sse import SSEDecoder
from anyfast_client._stream import StreamAccumulator

FIXTURES = Path(__file__).parent.parent / "fixtures"
KEY = "sk-test-SECRET-123"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def request(**fields: Any) -> ChatRequest:
    return ChatRequest(messages=[UserMessage(content="hi")], **fields)


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    """One SSE event holding a chat.completion.chunk."""
    payload = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "qwen3.6-flash",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
        **extra,
    }
    return event(payload)


def event_texts(decoder: SSEDecoder, data: bytes) -> list[str]:
    """The data of the events a read of ``data`` ends, as text (invalid UTF-8 as U+FFFD,
    as WHATWG decodes it): what the client reads through ``SSEDecoder.feed_raw``."""
    return [event.decode("utf-8", "replace") for event in decoder.feed_raw(data)]


def event(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


DONE = b"data: [DONE]\n\n"


def completion_json(content: str = "hello") -> dict[str, Any]:
    return {
        "id": "r1",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen3.6-flash",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


# --------------------------------------------------------------------------- mock transport


class BodyStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body served piece by piece; an exception in ``parts`` is raised there.

    It records whether the client closed it, which is how the tests see that a
    connection went back (or away) when a stream was left early.
    """

    def __init__(self, parts: Iterable[bytes | Exception]) -> None:
        self.parts = list(parts)
        self.sent = 0
        self.closed = False

    def _pieces(self) -> Iterator[bytes]:
        for part in self.parts:
            if isinstance(part, Exception):
                raise part
            self.sent += 1
            yield part

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces()

    async def __aiter__(self) -> Any:
        for piece in self._pieces():
            yield piece

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Wire:
    """A scripted MockTransport: replies are served in order, requests are recorded."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, req: httpx.Request) -> httpx.Response:
        req.read()
        self.requests.append(req)
        if not self.replies:
            raise AssertionError(f"unexpected request #{len(self.requests)}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply(req) if callable(reply) else reply

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def add(self, *replies: Reply) -> None:
        self.replies.extend(replies)


def sse_response(*parts: bytes | Exception, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, headers={"content-type": "text/event-stream"}, stream=BodyStream(parts)
    )


class Api:
    """One face for both clients, so a test body runs against each."""

    def __init__(self, mode: str, wire: Wire | None = None, **settings: Any) -> None:
        self.mode = mode
        self.held: StreamAccumulator | None = None
        settings.setdefault("api_key", KEY)
        if wire is not None:
            transport = httpx.MockTransport(wire)
            settings["http_client"] = (
                httpx.Client(transport=transport)
                if mode == "sync"
                else httpx.AsyncClient(transport=transport)
            )
        cls = AnyfastClient if mode == "sync" else AsyncAnyfastClient
        self.client: Any = cls(**settings)

    def _run(self, sync: Callable[[], Any], coro: Callable[[], Any]) -> Any:
        return sync() if self.mode == "sync" else asyncio.run(coro())

    def chat(self, req: ChatRequest) -> ChatCompletion:
        return self._run(lambda: self.client.chat(req), lambda: self.client.chat(req))  # type: ignore[no-any-return]

    def embeddings(self, req: EmbeddingRequest) -> EmbeddingResponse:
        return self._run(lambda: self.client.embeddings(req), lambda: self.client.embeddings(req))  # type: ignore[no-any-return]

    def stream(self, req: ChatRequest, into: list[ChatCompletionChunk] | None = None) -> Any:
        """Read a whole stream; chunks land in ``into`` as they arrive; returns the stream."""
        got = [] if into is None else into

        def sync() -> Any:
            with self.client.chat_stream(req) as stream:
                self.held = stream.accumulator  # what an adapter holds from the start
                got.extend(stream)
            return stream

        async def coro() -> Any:
            async with self.client.chat_stream(req) as stream:
                self.held = stream.accumulator
                async for item in stream:
                    got.append(item)
            return stream

        return self._run(sync, coro)

    def first_chunk_then_break(
        self, req: ChatRequest, *, use_with: bool, closed: Callable[[], bool]
    ) -> tuple[ChatCompletionChunk, bool]:
        """Take one chunk and leave; then whether ``closed()`` came true, still in the loop."""

        def sync() -> Any:
            first = self._sync_first(req, use_with=use_with)
            return first, _poll(closed)

        async def coro() -> Any:
            first = await self._async_first(req, use_with=use_with)
            # A dropped async generator is closed by a task the loop schedules:
            # poll without blocking the loop.
            for _ in range(200):
                if closed():
                    return first, True
                await asyncio.sleep(0.01)
            return first, False

        return self._run(sync, coro)  # type: ignore[no-any-return]

    def _sync_first(self, req: ChatRequest, *, use_with: bool) -> Any:
        if use_with:
            with self.client.chat_stream(req) as stream:
                for item in stream:
                    return item
        for item in self.client.chat_stream(req):
            return item
        raise AssertionError("empty stream")

    async def _async_first(self, req: ChatRequest, *, use_with: bool) -> Any:
        if use_with:
            async with self.client.chat_stream(req) as stream:
                async for item in stream:
                    return item
        async for item in self.client.chat_stream(req):
            return item
        raise AssertionError("empty stream")

    def close(self) -> None:
        self._run(self.client.close, self.client.close)


def _poll(condition: Callable[[], bool]) -> bool:
    for _ in range(200):
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def make_api(mode: str) -> Callable[..., Api]:
    """``make_api(*replies, **settings)``: an Api over a fresh Wire, which is ``api.wire``."""

    def make(*replies: Reply, **settings: Any) -> Api:
        wire = Wire(*replies)
        api = Api(mode, wire, **settings)
        api.wire = wire  # type: ignore[attr-defined]
        return api

    return make


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry waits, recorded instead of slept."""
    waited: list[float] = []

    async def asleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(_client, "_sleep", waited.append)
    monkeypatch.setattr(_client, "_asleep", asleep)
    return waited


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANYFAST_API_KEY", "ANYFAST_BASE_URL", "ANYFAST_EMBEDDINGS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- raw socket server

Script = Callable[[socket.socket, bytes], None]


class RawServer:
    """HTTP/1.1 with keep-alive on 127.0.0.1; each request is answered by the next script.

    A script gets the socket and the request bytes and writes whatever it likes,
    including half a response before resetting the connection.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls  # serve HTTPS with this server-side context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.scripts: list[Script] = []
        self.requests: list[bytes] = []
        self.closed_by_client = threading.Event()
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        if self.tls is not None:
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:  # the client refused the certificate
                conn.close()
                return
        with conn:
            buffer = b""
            while True:
                head, buffer = _read_request(conn, buffer)
                if head is None:
                    self.closed_by_client.set()
                    return
                self.requests.append(head)
                script = self.scripts.pop(0) if self.scripts else _not_found
                try:
                    script(conn, head)
                except OSError:
                    return

    def stop(self) -> None:
        self._stopping = True
        self.listener.close()
        for thread in self._threads:
            thread.join(timeout=2)


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        try:
            data = conn.recv(65536)
        except OSError:
            return None, b""
        if not data:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None, b""
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _not_found(conn: socket.socket, _: bytes) -> None:
    conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")


def send_json(body: object, status: int = 200) -> Script:
    def script(conn: socket.socket, _: bytes) -> None:
        data = json.dumps(body).encode()
        conn.sendall(
            f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
            f"content-length: {len(data)}\r\n\r\n".encode()
            + data
        )

    return script


def send_sse(*events: bytes, then: Callable[[socket.socket], None] | None = None) -> Script:
    """A chunked event stream; ``then`` runs instead of the final zero-length chunk."""

    def script(conn: socket.socket, _: bytes) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        for data in events:
            conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))
        if then is None:
            conn.sendall(b"0\r\n\r\n")
        else:
            then(conn)

    return script


def reset(conn: socket.socket) -> None:
    """Close with RST rather than FIN: what a dropped connection looks like.

    A RST can overtake data the client has not read yet, so it waits a little
    for the events sent before it to be read.
    """
    time.sleep(0.1)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


def hold_open(conn: socket.socket) -> None:
    """Send nothing more; wait until the client hangs up."""
    conn.settimeout(5)
    try:
        while conn.recv(1024):
            pass
    except OSError:
        pass


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.stop()
