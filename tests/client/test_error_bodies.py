"""An error status whose body does not match its Content-Encoding keeps its status.

Through a real socket, on each pool a client can send through: httpx's (sync),
aiohttp's (the async default) and httpcore's (an ``httpx.AsyncClient`` passed in). The
error is the status's own class, names the decoding problem, and is retried as the
status says; a success that cannot be decoded stays a connection error.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest

from anyfast_client import (
    AnyfastClient,
    APIConnectionError,
    APIStatusError,
    AsyncAnyfastClient,
    BadRequestError,
    ChatCompletion,
    ContentDecodingError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)

from .conftest import (
    DONE,
    KEY,
    RawServer,
    Script,
    chunk,
    completion_json,
    request,
    send_json,
    send_sse,
)

POOLS = ["httpx", "aiohttp", "httpcore"]
CALLS = ["chat", "stream"]


def undecodable(status: int, encoding: str = "gzip", *extra: str) -> Script:
    """A JSON error body sent as it is, while the headers say it is compressed."""
    body = b'{"error": {"message": "upstream down"}}'
    head = [
        f"HTTP/1.1 {status} X",
        "content-type: application/json",
        f"content-encoding: {encoding}",
        f"content-length: {len(body)}",
        *extra,
    ]

    def script(conn: socket.socket, _: bytes) -> None:
        conn.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + body)

    return script


def call(pool: str, how: str, server: RawServer, **settings: Any) -> ChatCompletion:
    """One chat (whole or streamed) through ``pool``; the completion it gave."""
    settings = {"api_key": KEY, "base_url": server.base_url, **settings}
    if pool == "httpx":
        with AnyfastClient(**settings) as client:
            if how == "chat":
                return client.chat(request())
            with client.chat_stream(request()) as stream:
                for _ in stream:
                    pass
                return stream.completion
    return asyncio.run(_acall(pool, how, settings))


async def _acall(pool: str, how: str, settings: dict[str, Any]) -> ChatCompletion:
    http = httpx.AsyncClient() if pool == "httpcore" else None
    client = AsyncAnyfastClient(http_client=http, **settings)
    try:
        if how == "chat":
            return await client.chat(request())
        async with client.chat_stream(request()) as stream:
            async for _ in stream:
                pass
            return stream.completion
    finally:
        await client.close()
        if http is not None:
            await http.aclose()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (500, InternalServerError),
        (503, InternalServerError),
        (429, RateLimitError),
        (400, BadRequestError),
        (404, NotFoundError),
    ],
)
@pytest.mark.parametrize("how", CALLS)
@pytest.mark.parametrize("pool", POOLS)
def test_the_status_error_names_the_decoding_problem(
    raw_server: RawServer, pool: str, how: str, status: int, cls: type[APIStatusError]
) -> None:
    raw_server.scripts.append(undecodable(status, "gzip", "x-request-id: req-7"))
    with pytest.raises(cls) as info:
        call(pool, how, raw_server, max_retries=0)
    error = info.value
    assert type(error) is cls and not isinstance(error, APIConnectionError)
    assert error.status_code == status
    assert error.request_id == "req-7"
    assert "not valid for its Content-Encoding 'gzip'" in error.message
    assert f"POST {raw_server.base_url}/chat/completions" in error.message
    assert isinstance(error.__cause__, httpx.DecodingError)


def test_a_404_keeps_the_hint_about_the_base_url(raw_server: RawServer) -> None:
    raw_server.scripts.append(undecodable(404))
    base = raw_server.base_url.removesuffix("/v1")
    with pytest.raises(NotFoundError) as info:
        call("httpx", "chat", raw_server, max_retries=0, base_url=base)
    assert f"did you mean {base}/v1?" in str(info.value)


@pytest.mark.parametrize("pool", POOLS)
def test_a_deflate_lie_is_named_too(raw_server: RawServer, pool: str) -> None:
    raw_server.scripts.append(undecodable(502, "deflate"))
    with pytest.raises(InternalServerError, match="Content-Encoding 'deflate'"):
        call(pool, "chat", raw_server, max_retries=0)


ANSWER = [chunk({"content": "hello"}, "stop"), DONE]


@pytest.mark.parametrize("status", [500, 429])
@pytest.mark.parametrize("how", CALLS)
@pytest.mark.parametrize("pool", POOLS)
def test_a_retried_status_is_retried(
    raw_server: RawServer, sleeps: list[float], pool: str, how: str, status: int
) -> None:
    good = send_json(completion_json()) if how == "chat" else send_sse(*ANSWER)
    raw_server.scripts += [undecodable(status), good]
    answer = call(pool, how, raw_server, max_retries=2)
    assert answer.choices[0].message.content == "hello"
    assert len(raw_server.requests) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("how", CALLS)
@pytest.mark.parametrize("pool", POOLS)
def test_a_status_never_retried_is_not_retried(
    raw_server: RawServer, sleeps: list[float], pool: str, how: str
) -> None:
    raw_server.scripts += [undecodable(400), send_json(completion_json())]
    with pytest.raises(BadRequestError):
        call(pool, how, raw_server, max_retries=2)
    assert len(raw_server.requests) == 1 and sleeps == []


@pytest.mark.parametrize("pool", POOLS)
def test_a_success_that_cannot_be_decoded_is_still_a_connection_error(
    raw_server: RawServer, pool: str
) -> None:
    raw_server.scripts.append(undecodable(200))
    with pytest.raises(ContentDecodingError, match="Content-Encoding 'gzip'"):
        call(pool, "chat", raw_server, max_retries=0)
