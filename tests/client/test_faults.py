"""Faults on real sockets: cancellation, slow drips, and a server that goes quiet mid-stream."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import zlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from anyfast_client import (
    AnyfastClient,
    APIConnectionError,
    APITimeoutError,
    AsyncAnyfastClient,
    ChatRequest,
    StreamInterruptedError,
    UserMessage,
)
from anyfast_client.testing import AnyfastTestServer

from .conftest import (
    DONE,
    KEY,
    RawServer,
    Script,
    chunk,
    completion_json,
    request,
    reset,
    send_json,
    send_sse,
)

T = TypeVar("T")

SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"


def stall_after(first: bytes, hung_up: threading.Event, *, seconds: float = 5.0) -> Script:
    """Send ``first`` (maybe nothing), then wait; ``hung_up`` is set if the client closes."""

    def script(conn: socket.socket, _: bytes) -> None:
        if first:
            conn.sendall(first)
        conn.settimeout(seconds)
        try:
            if conn.recv(1) == b"":
                hung_up.set()
        except (TimeoutError, OSError):
            pass

    return script


def drip(pieces: list[bytes], pause: float) -> Script:
    def script(conn: socket.socket, _: bytes) -> None:
        conn.sendall(SSE_HEAD)
        for piece in pieces:
            time.sleep(pause)
            conn.sendall(piece)
        conn.shutdown(socket.SHUT_WR)

    return script


def words(*texts: str) -> list[bytes]:
    return [chunk({"content": t}) for t in texts] + [chunk({}, finish="stop"), DONE]


def test_cancelled_stream_closes_its_connection_and_the_client_goes_on(
    raw_server: RawServer,
) -> None:
    hung_up = threading.Event()
    raw_server.scripts += [
        stall_after(SSE_HEAD + chunk({"content": "first"}), hung_up),
        send_json(completion_json("still fine")),
    ]

    async def main() -> None:
        client = AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url)
        seen: list[str] = []

        async def consume() -> None:
            async with client.chat_stream(request()) as stream:
                async for piece in stream:
                    seen.append(piece.choices[0].delta.content or "")

        task = asyncio.create_task(consume())
        while not seen:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert seen == ["first"]
        assert await asyncio.to_thread(hung_up.wait, 2)
        answer = await client.chat(request())
        assert answer.choices[0].message.content == "still fine"
        await client.close()

    asyncio.run(main())


def test_cancelled_call_waiting_for_an_answer_hangs_up(raw_server: RawServer) -> None:
    hung_up = threading.Event()
    raw_server.scripts += [stall_after(b"", hung_up), send_json(completion_json("next"))]

    async def main() -> None:
        client = AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url)
        task = asyncio.create_task(client.chat(request()))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(hung_up.wait, 2)
        assert (await client.chat(request())).choices[0].message.content == "next"
        await client.close()

    asyncio.run(main())


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_slow_drip_within_the_read_timeout_completes(raw_server: RawServer, api: str) -> None:
    # Five pauses of 0.1 s: longer in total than the read timeout, each one shorter.
    raw_server.scripts.append(drip(words("a", "b", "c"), pause=0.1))
    settings = {"api_key": KEY, "base_url": raw_server.base_url, "timeout": 0.35}
    if api == "sync":
        with AnyfastClient(**settings) as client, client.chat_stream(request()) as stream:
            list(stream)
            completion = stream.completion
    else:

        async def main() -> object:
            client = AsyncAnyfastClient(**settings)
            async with client, client.chat_stream(request()) as stream:
                async for _ in stream:
                    pass
                return stream.completion

        completion = asyncio.run(main())
    assert completion.choices[0].message.content == "abc"  # type: ignore[attr-defined]


def _stream_all(api: str, settings: dict[str, Any]) -> None:
    if api == "sync":
        with AnyfastClient(**settings) as client:
            list(client.chat_stream(request()))
        return

    async def main() -> None:
        async with AsyncAnyfastClient(**settings) as client:
            async for _ in client.chat_stream(request()):
                pass

    asyncio.run(main())


@pytest.mark.parametrize("api", ["sync", "async"])
@pytest.mark.parametrize(
    ("first", "error", "says"),
    [
        (b"", APITimeoutError, "timed out waiting for the stream (ReadTimeout)"),
        (chunk({"content": "partial"}), StreamInterruptedError, "The stream was cut: ReadTimeout"),
    ],
)
def test_stream_timeouts_name_the_method_and_url_never_credentials(
    raw_server: RawServer, api: str, first: bytes, error: type[Exception], says: str
) -> None:
    raw_server.scripts.append(stall_after(SSE_HEAD + first, threading.Event()))
    base_url = raw_server.base_url
    timeout = httpx.Timeout(0.3, connect=2)
    with pytest.raises(error) as caught:
        _stream_all(api, {"api_key": KEY, "base_url": base_url, "timeout": timeout})
    text = str(caught.value)
    assert says in text
    assert f"POST http://127.0.0.1:{raw_server.port}/v1/chat/completions" in text
    assert KEY not in text


@pytest.mark.parametrize("api", ["sync", "async"])
def test_server_going_quiet_mid_stream_keeps_what_arrived(raw_server: RawServer, api: str) -> None:
    hung_up = threading.Event()
    raw_server.scripts.append(stall_after(SSE_HEAD + chunk({"content": "partial"}), hung_up))
    timeout = httpx.Timeout(0.3, connect=2)
    settings = {"api_key": KEY, "base_url": raw_server.base_url, "timeout": timeout}
    with pytest.raises(StreamInterruptedError, match="ReadTimeout") as caught:
        if api == "sync":
            with AnyfastClient(**settings) as client:
                list(client.chat_stream(request()))
        else:

            async def main() -> None:
                async with AsyncAnyfastClient(**settings) as client:
                    async for _ in client.chat_stream(request()):
                        pass

            asyncio.run(main())
    partial = caught.value.partial
    assert partial is not None and partial.choices[0].message.content == "partial"
    assert len(raw_server.requests) == 1  # what reached the caller is never asked for again


def run(api: str, sync: Callable[[], T], coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return sync() if api == "sync" else asyncio.run(coro())


def read_stream(api: str, client_settings: dict[str, Any]) -> tuple[list[str], Any]:
    """Read a whole stream with a fresh client: the content pieces and the completion."""

    def sync() -> tuple[list[str], Any]:
        with AnyfastClient(**client_settings) as client, client.chat_stream(request()) as s:
            return [c.choices[0].delta.content or "" for c in s if c.choices], s.completion

    async def coro() -> tuple[list[str], Any]:
        client = AsyncAnyfastClient(**client_settings)
        async with client, client.chat_stream(request()) as s:
            got = [c.choices[0].delta.content or "" async for c in s if c.choices]
            return got, s.completion

    return run(api, sync, coro)


def one_byte_at_a_time(events: list[bytes]) -> Script:
    def script(conn: socket.socket, _: bytes) -> None:
        conn.sendall(SSE_HEAD)
        for byte in b"".join(events):
            conn.sendall(bytes([byte]))
        conn.shutdown(socket.SHUT_WR)

    return script


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_stream_dripped_one_byte_at_a_time_decodes_whole(raw_server: RawServer, api: str) -> None:
    raw_server.scripts.append(one_byte_at_a_time([b": PING\r\n\r\n", *words("天空", "☀️", "\r\n")]))
    pieces, completion = read_stream(api, {"api_key": KEY, "base_url": raw_server.base_url})
    assert pieces == ["天空", "☀️", "\r\n", ""]
    assert completion.choices[0].message.content == "天空☀️\r\n"


def compressed_sse(encoding: str, events: list[bytes], first_seen: threading.Event) -> Script:
    """Events compressed as one body, each flushed on its own; the rest waits for the first."""

    def script(conn: socket.socket, _: bytes) -> None:
        wbits = 31 if encoding == "gzip" else 15
        packer = zlib.compressobj(wbits=wbits)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"content-encoding: " + encoding.encode() + b"\r\nconnection: close\r\n\r\n"
        )
        for number, data in enumerate(events):
            conn.sendall(packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH))
            if number == 0:
                first_seen.wait(5)
        conn.sendall(packer.flush())
        conn.shutdown(socket.SHUT_WR)

    return script


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("api", ["sync", "async"])
def test_compressed_stream_hands_each_chunk_over_as_it_arrives(
    raw_server: RawServer, api: str, encoding: str
) -> None:
    first_seen = threading.Event()
    raw_server.scripts.append(compressed_sse(encoding, words("zip", "ped"), first_seen))
    seen_before_the_rest: list[bool] = []

    def note(piece: str) -> None:
        if piece == "zip":
            # The server sends the rest only after this: a buffered body would deadlock.
            seen_before_the_rest.append(not first_seen.is_set())
            first_seen.set()

    def sync() -> Any:
        client = AnyfastClient(api_key=KEY, base_url=raw_server.base_url)
        with client, client.chat_stream(request()) as stream:
            for item in stream:
                note(item.choices[0].delta.content or "" if item.choices else "")
            return stream.completion

    async def coro() -> Any:
        client = AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url)
        async with client, client.chat_stream(request()) as stream:
            async for item in stream:
                note(item.choices[0].delta.content or "" if item.choices else "")
            return stream.completion

    completion = run(api, sync, coro)
    assert completion.choices[0].message.content == "zipped"
    assert seen_before_the_rest == [True]
    assert b"gzip" in raw_server.requests[0].lower()  # the client asked for it


@pytest.mark.parametrize("api", ["sync", "async"])
def test_reset_before_the_headers_is_not_retried_and_the_client_goes_on(
    raw_server: RawServer, api: str, sleeps: list[float]
) -> None:
    # The request went out: the server may have run it, so it is not sent again.
    raw_server.scripts += [lambda conn, _: reset(conn), send_json(completion_json("next"))]
    client_cls = AnyfastClient if api == "sync" else AsyncAnyfastClient
    client: Any = client_cls(api_key=KEY, base_url=raw_server.base_url)

    def sync() -> list[Any]:
        with client, pytest.raises(APIConnectionError) as info:
            client.chat(request())
        with client:
            return [info.value, client.chat(request())]

    async def coro() -> list[Any]:
        with pytest.raises(APIConnectionError) as info:
            await client.chat(request())
        result = [info.value, await client.chat(request())]
        await client.close()
        return result

    failure, answer = run(api, sync, coro)
    assert not isinstance(failure, APITimeoutError)
    assert answer.choices[0].message.content == "next"
    assert len(raw_server.requests) == 2 and sleeps == []


@pytest.mark.parametrize("api", ["sync", "async"])
def test_stream_reset_after_the_headers_before_any_event_is_retried(
    raw_server: RawServer, api: str, sleeps: list[float]
) -> None:
    raw_server.scripts += [
        send_sse(then=reset),
        send_sse(*words("again")),
    ]
    _, completion = read_stream(api, {"api_key": KEY, "base_url": raw_server.base_url})
    assert completion.choices[0].message.content == "again"
    assert len(raw_server.requests) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("api", ["sync", "async"])
def test_stream_reset_after_a_ping_is_not_retried(
    raw_server: RawServer, api: str, sleeps: list[float]
) -> None:
    # The server had begun answering: the request may be running, and billed.
    raw_server.scripts += [send_sse(b": PING\n\n", then=reset), send_sse(*words("again"))]
    with pytest.raises(StreamInterruptedError):
        read_stream(api, {"api_key": KEY, "base_url": raw_server.base_url})
    assert len(raw_server.requests) == 1 and sleeps == []


def test_pool_timeout_is_retried_then_raised_and_nothing_more_is_sent(
    raw_server: RawServer, sleeps: list[float]
) -> None:
    hung_up = threading.Event()
    raw_server.scripts.append(stall_after(SSE_HEAD + chunk({"content": "busy"}), hung_up))
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
    timeout = httpx.Timeout(5, pool=0.05)
    client = AsyncAnyfastClient(
        api_key=KEY, base_url=raw_server.base_url, http_client=http, timeout=timeout
    )

    async def main() -> None:
        async with client.chat_stream(request()) as holding:
            assert (await anext(holding)).choices[0].delta.content == "busy"
            with pytest.raises(APITimeoutError, match="PoolTimeout"):
                await client.chat(request())
        await http.aclose()

    asyncio.run(main())
    assert len(sleeps) == 2  # retried: a pool timeout sent nothing
    assert len(raw_server.requests) == 1


def test_write_timeout_on_a_server_that_never_reads_is_retried_then_raised(
    sleeps: list[float],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        timeout = httpx.Timeout(5, write=0.2)
        big = ChatRequest(messages=[UserMessage(content="x" * 30_000_000)])
        client = AnyfastClient(api_key=KEY, base_url=base_url, timeout=timeout, max_retries=1)
        with client, pytest.raises(APITimeoutError, match="WriteTimeout"):
            client.chat(big)
        for conn in accepted:
            conn.close()
    assert len(sleeps) == 1


def test_250_concurrent_calls_on_one_async_client(anyfast_server: AnyfastTestServer) -> None:
    async def main() -> list[str]:
        async with AsyncAnyfastClient(
            api_key=anyfast_server.api_key, base_url=anyfast_server.base_url
        ) as client:

            async def one(number: int) -> str:
                req = ChatRequest(messages=[UserMessage(content=f"say {number}")])
                if number % 2:
                    return (await client.chat(req)).choices[0].message.content or ""
                async with client.chat_stream(req) as stream:
                    async for _ in stream:
                        pass
                return stream.completion.choices[0].message.content or ""

            return await asyncio.gather(*(one(n) for n in range(250)))

    answers = asyncio.run(main())
    assert len(answers) == 250 and all(answers)
    assert len(anyfast_server.requests) == 250
