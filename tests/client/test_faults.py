"""Faults on real sockets: cancellation, slow drips, and a server that goes quiet mid-stream."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest

from anyfast_client import (
    AnyfastClient,
    AsyncAnyfastClient,
    StreamInterruptedError,
)

from .conftest import DONE, KEY, RawServer, Script, chunk, completion_json, request, send_json

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
