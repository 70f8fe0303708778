"""The HTTP server: routes, auth, the request queue and the connections."""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

from anyfast_client.testing.checks import (
    CHAT_MODELS,
    EMBEDDING_MODELS,
    check_thinking_rules,
    validate_chat_request,
    validate_embeddings_request,
)
from anyfast_client.testing.rendering import (
    ChunkedWriter,
    completion_body,
    dumps,
    error_payload,
    merged_headers,
    stream_payloads,
    write_events,
)
from anyfast_client.testing.replies import ErrorReply, JSONDict, Reply, Responder, gateway_error
from anyfast_client.testing.simulation import embeddings_body, simulate


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; header names are lower-case.

    ``json`` is the parsed body, or None when the body is empty or not JSON.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any


# --- the server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Json:
    status: int
    body: JSONDict


@dataclass(frozen=True)
class _Chat:
    reply: Reply
    request: JSONDict


_Outcome = _Json | _Chat | ErrorReply
_Route = Callable[["AnyfastTestServer", RecordedRequest], _Outcome]


def _auth_failure(message: str) -> ErrorReply:
    # "No token provided" is Anyfast's own answer [C]; guess: "Invalid token", the type and
    # the null code follow the new-api gateway; a key check has no request id there.
    return ErrorReply(401, {"error": {"message": message, "type": "new_api_error", "code": None}})


def _bearer_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _models_body() -> JSONDict:
    def model(name: str, owner: str, kinds: list[str]) -> JSONDict:
        return {
            "id": name,
            "object": "model",
            "created": 1_700_000_000,
            "owned_by": owner,
            "supported_endpoint_types": kinds,
        }

    data = [model(name, "qwen", ["openai"]) for name in CHAT_MODELS]
    data += [model(name, "volcengine", ["embeddings"]) for name in EMBEDDING_MODELS]
    return {"object": "list", "data": data, "success": True}


def _json_object(recorded: RecordedRequest) -> JSONDict | None:
    return recorded.json if isinstance(recorded.json, dict) else None


def _not_json() -> ErrorReply:
    # guess: new-api's wording for a body it cannot decode.
    return gateway_error(400, "invalid request body: not a JSON object", code="invalid_request")


class AnyfastTestServer:
    """An Anyfast double on 127.0.0.1; use it as a context manager.

    ``api_key=None`` accepts any bearer token (a request without one still gets 401).
    Queued replies answer POST requests in order, right after the auth check; once the
    queue is empty, requests are validated and handed to ``responder`` (default: :func:`simulate`).
    Upstream's rules while thinking hold for queued replies too: JSON output or a forced
    ``tool_choice`` with ``enable_thinking`` gets upstream's 400, and the reply stays queued.
    """

    def __init__(
        self,
        *,
        api_key: str | None = "test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        embedding_dim: int = 32,
    ) -> None:
        self.api_key = api_key
        self._initial_api_key = api_key
        self.host = host
        self.port = port
        self.embedding_dim = embedding_dim
        self.responder: Responder = simulate
        self._lock = threading.Lock()
        self._queue: collections.deque[Reply | ErrorReply] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> AnyfastTestServer:
        if self._httpd is not None:
            return self
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="anyfast-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        self._close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> AnyfastTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    # -- scripting and inspection

    def enqueue(self, *replies: Reply | ErrorReply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise LookupError("the server has not received any request yet")
            return self._requests[-1]

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()
        self.responder = simulate
        self.api_key = self._initial_api_key

    # -- used by the request handler

    def _record(self, recorded: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(recorded)

    def _peek_queued(self) -> Reply | ErrorReply | None:
        with self._lock:
            return self._queue[0] if self._queue else None

    def _next_queued(self) -> Reply | ErrorReply | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _track(self, connection: socket.socket, *, active: bool) -> None:
        with self._lock:
            if active:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # Wakes handler threads blocked on an idle keep-alive connection.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def _answer(self, recorded: RecordedRequest) -> _Outcome:
        path = urlsplit(recorded.path).path
        route = _ROUTES.get((recorded.method, path))
        if route is None:
            message = f"Invalid URL ({recorded.method} {path})"
            return gateway_error(404, message, code="invalid_url")
        token = _bearer_token(recorded.headers.get("authorization"))
        if token is None:
            return _auth_failure("No token provided")
        if self.api_key is not None and token != self.api_key:
            return _auth_failure("Invalid token")
        return route(self, recorded)

    def _chat(self, recorded: RecordedRequest) -> _Outcome:
        request = _json_object(recorded)
        refused = check_thinking_rules(request or {})
        queued = self._peek_queued()
        if isinstance(queued, Reply) and refused is not None:
            return refused  # as upstream: refused before any model answers; the reply waits
        queued = self._next_queued()
        if isinstance(queued, Reply):
            return _Chat(queued, request or {})
        if queued is not None:
            return queued
        if request is None:
            return _not_json()
        return validate_chat_request(request) or self._respond(request)

    def _respond(self, request: JSONDict) -> _Outcome:
        try:
            result = self.responder(request)
        except Exception as exc:  # a broken responder should fail the test visibly, not hang it
            message = f"test server responder failed: {exc!r}"
            return gateway_error(500, message, code="responder_error")
        return _Chat(result, request) if isinstance(result, Reply) else result

    def _models(self, recorded: RecordedRequest) -> _Outcome:
        return _Json(200, _models_body())

    def _embeddings(self, recorded: RecordedRequest) -> _Outcome:
        queued = self._next_queued()
        if isinstance(queued, Reply):
            message = "a Reply was queued but /api/v3/embeddings only takes an ErrorReply"
            return gateway_error(500, message, code="test_server_misuse")
        if queued is not None:
            return queued
        request = _json_object(recorded)
        if request is None:
            return _not_json()
        problem = validate_embeddings_request(request)
        return problem or _Json(200, embeddings_body(request, self.embedding_dim))


_ROUTES: Final[dict[tuple[str, str], _Route]] = {
    ("POST", "/v1/chat/completions"): AnyfastTestServer._chat,
    ("GET", "/v1/models"): AnyfastTestServer._models,
    ("POST", "/api/v3/embeddings"): AnyfastTestServer._embeddings,
}


# --- HTTP plumbing ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body
    # waits for the client's delayed ACK (~40 ms a request on Linux).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.app._track(self.connection, active=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.app._track(self.connection, active=False)

    def log_message(self, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        recorded = self._recorded(method)
        app = self.server.app
        app._record(recorded)
        try:
            self._send(app._answer(recorded))
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _recorded(self, method: str) -> RecordedRequest:
        body = self._read_body()
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        return RecordedRequest(method, self.path, headers, body, parsed)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass  # trailers
        return bytes(body)

    def _wait(self, seconds: float) -> bool:
        """Sleeps unless the server is stopping; False means give up on this connection."""
        if seconds > 0 and self.server.app._stopping.wait(seconds):
            self.close_connection = True
            return False
        return True

    def _send(self, outcome: _Outcome) -> None:
        if isinstance(outcome, ErrorReply):
            if self._wait(outcome.delay):
                body, content_type = error_payload(outcome)
                self._send_body(outcome.status, body, content_type, outcome.headers)
        elif isinstance(outcome, _Json):
            self._send_body(outcome.status, dumps(outcome.body).encode(), "application/json", {})
        elif self._wait(outcome.reply.delay):
            self._send_chat(outcome.reply, outcome.request)

    def _send_chat(self, reply: Reply, request: JSONDict) -> None:
        if request.get("stream") is True:
            self._send_stream(reply, request)
        else:
            body = dumps(completion_body(reply, request)).encode()
            self._send_body(200, body, "application/json", reply.headers)

    def _send_head(self, status: int, defaults: dict[str, str], extra: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in merged_headers(defaults, extra).items():
            self.send_header(name, value)
        self.end_headers()

    def _send_body(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str]
    ) -> None:
        defaults = {"Content-Type": content_type, "Content-Length": str(len(body))}
        self._send_head(
            status, defaults, {k: v for k, v in extra.items() if k.lower() != "content-length"}
        )
        self.wfile.write(body)

    def _send_stream(self, reply: Reply, request: JSONDict) -> None:
        defaults = {
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "Transfer-Encoding": "chunked",
        }
        self._send_head(200, defaults, reply.headers)
        writer = ChunkedWriter(self.wfile, reply.write_size)
        if write_events(writer, reply, stream_payloads(reply, request), self.server.app._stopping):
            writer.close()
        else:
            writer.flush()
            self._cut()

    def _cut(self) -> None:
        """Drops the connection mid-body, the way a dying proxy does."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: AnyfastTestServer) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up and stop() closing sockets are expected, not worth a traceback.
        if not isinstance(sys.exc_info()[1], OSError | ValueError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def live_or_local(*, url_field: str = "base_url") -> Iterator[dict[str, str]]:
    """Settings for the live API when ``ANYFAST_API_KEY`` is set, else for a local server.

    For examples and smoke scripts that must run anywhere: yields ``{}`` (the models then
    read the environment) or the ``api_key`` and the URL (under ``url_field``: LlamaIndex
    says ``api_base``) of a server that runs for the block.
    """
    if os.environ.get("ANYFAST_API_KEY"):
        yield {}
        return
    # A notice, not output: on stderr (through logging), so piped answers stay clean.
    logging.getLogger("anyfast_client.testing").warning(
        "ANYFAST_API_KEY is not set: using the local test server (simulated answers)."
    )
    with AnyfastTestServer() as server:
        yield {"api_key": server.api_key or "test-key", url_field: server.base_url}
