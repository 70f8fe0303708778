"""The async client's aiohttp transport: many calls in flight, errors in httpx's terms, fallback."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading

import aiohttp
import httpx
import pytest

from anyfast_client import (
    AnyfastClient,
    APITimeoutError,
    AsyncAnyfastClient,
    ChatRequest,
    UserMessage,
)
from anyfast_client._aiohttp import _Body, _map

from .conftest import KEY, RawServer, completion_json, request, send_json


def body(*, sent: bool) -> _Body:
    piece = _Body(httpx.Request("POST", "http://127.0.0.1/"))
    piece.sent = sent
    return piece


@pytest.mark.parametrize(
    ("error", "sent", "expected"),
    [
        (aiohttp.ConnectionTimeoutError(), False, httpx.ConnectTimeout),
        (aiohttp.ConnectionTimeoutError(), True, httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError(), True, httpx.ReadTimeout),
        (aiohttp.SocketTimeoutError(), False, httpx.WriteTimeout),
        (TimeoutError(), True, httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), True, httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("cut"), True, httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), True, httpx.ReadError),
        (aiohttp.ClientOSError(104, "reset"), False, httpx.WriteError),
        (ConnectionResetError(104, "reset"), True, httpx.ReadError),
    ],
)
def test_aiohttp_errors_map_to_httpx_by_what_may_have_run(
    error: Exception, sent: bool, expected: type[httpx.TransportError]
) -> None:
    mapped = _map(error, body(sent=sent))
    assert type(mapped) is expected


def test_errors_that_are_not_the_transports_are_left_alone() -> None:
    assert _map(ValueError("mine"), body(sent=True)) is None


def test_calls_in_flight_are_not_capped_below_the_pool_limit() -> None:
    # The server answers nobody until every call has arrived: a pool that served them
    # a few at a time would never finish.
    count = 300

    async def main() -> tuple[list[str | None], int]:
        arrived = asyncio.Event()
        seen = [0]

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            seen[0] += 1
            if seen[0] == count:
                arrived.set()
            await arrived.wait()
            data = json.dumps(completion_json("all here")).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
            writer.write(b"content-length: %d\r\n\r\n%s" % (len(data), data))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with AsyncAnyfastClient(
            api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", timeout=20
        ) as client:
            answers = await asyncio.gather(*(client.chat(request()) for _ in range(count)))
        server.close()
        return [a.choices[0].message.content for a in answers], seen[0]

    contents, seen = asyncio.run(main())
    assert contents == ["all here"] * count and seen == count


def test_async_write_timeout_on_a_server_that_never_reads_is_retried_then_raised(
    sleeps: list[float],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        accepted: list[socket.socket] = []

        def accept() -> None:
            for _ in range(2):
                accepted.append(listener.accept()[0])

        threading.Thread(target=accept, daemon=True).start()
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        big = ChatRequest(messages=[UserMessage(content="x" * 30_000_000)])
        timeout = httpx.Timeout(0.3, connect=2)

        async def main() -> None:
            client = AsyncAnyfastClient(
                api_key=KEY, base_url=base_url, timeout=timeout, max_retries=1
            )
            try:
                await client.chat(big)
            finally:
                # The unsent rest of the body keeps a socket closing until the peer goes.
                for conn in accepted:
                    conn.close()
                await asyncio.sleep(0.1)
                await client.close()

        with pytest.raises(APITimeoutError, match="WriteTimeout"):
            asyncio.run(main())
    assert len(sleeps) == 1  # a body that never finished going out ran nowhere: retried


def test_without_aiohttp_the_client_runs_on_httpx_pool(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "anyfast_client._aiohttp", None)  # import fails
    raw_server.scripts += [send_json(completion_json("plain httpx"))]

    async def main() -> str | None:
        async with AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url) as client:
            return (await client.chat(request())).choices[0].message.content

    assert asyncio.run(main()) == "plain httpx"


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_large_body_goes_out_whole_with_its_length_and_again_on_a_retry(
    raw_server: RawServer, api: str, sleeps: list[float]
) -> None:
    raw_server.scripts += [
        send_json({"error": {"message": "busy"}}, 503),
        send_json(completion_json()),
    ]
    text = "é" * 1_500_000  # 3 MB of UTF-8: several pieces
    big = ChatRequest(messages=[UserMessage(content=text)])
    settings = {"api_key": KEY, "base_url": raw_server.base_url}
    if api == "sync":
        with AnyfastClient(**settings) as client:
            client.chat(big)
    else:

        async def main() -> None:
            async with AsyncAnyfastClient(**settings) as client:
                await client.chat(big)

        asyncio.run(main())
    assert len(raw_server.requests) == 2 and raw_server.requests[0] == raw_server.requests[1]
    head, _, sent = raw_server.requests[0].partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()
    assert json.loads(sent)["messages"][0]["content"] == text
    assert len(sleeps) == 1
