"""Connection pools over real sockets: made lazily, reused, closed, per event loop, pickled."""

from __future__ import annotations

import asyncio
import pickle
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from anyfast_client import AnyfastClient, AsyncAnyfastClient, StreamInterruptedError

from .conftest import (
    DONE,
    KEY,
    Api,
    RawServer,
    chunk,
    completion_json,
    hold_open,
    request,
    reset,
    send_json,
    send_sse,
)


def answers(server: RawServer, count: int) -> None:
    server.scripts += [send_json(completion_json(f"answer {i}")) for i in range(count)]


def test_constructing_makes_no_http_client(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    for name in ("Client", "AsyncClient"):
        original = getattr(httpx, name)
        monkeypatch.setattr(httpx, name, lambda *a, _o=original, **k: made.append(1) or _o(*a, **k))
    AnyfastClient(api_key=KEY)
    AsyncAnyfastClient(api_key=KEY)
    assert made == []


def test_sync_pool_reused_then_closed_by_close(raw_server: RawServer) -> None:
    answers(raw_server, 2)
    client = AnyfastClient(api_key=KEY, base_url=raw_server.base_url)
    assert client.chat(request()).choices[0].message.content == "answer 0"
    assert client.chat(request()).choices[0].message.content == "answer 1"
    assert raw_server.connections == 1
    assert not raw_server.closed_by_client.is_set()
    client.close()
    assert raw_server.closed_by_client.wait(2)


def test_sync_context_manager_closes(raw_server: RawServer) -> None:
    answers(raw_server, 1)
    with AnyfastClient(api_key=KEY, base_url=raw_server.base_url) as client:
        client.chat(request())
    assert raw_server.closed_by_client.wait(2)


def test_async_pool_reused_then_closed_by_context_manager(raw_server: RawServer) -> None:
    answers(raw_server, 2)

    async def main() -> list[str | None]:
        async with AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url) as client:
            first = await client.chat(request())
            second = await client.chat(request())
            assert raw_server.connections == 1
        assert raw_server.closed_by_client.wait(2)
        return [first.choices[0].message.content, second.choices[0].message.content]

    assert asyncio.run(main()) == ["answer 0", "answer 1"]


def test_async_client_across_two_asyncio_runs(raw_server: RawServer) -> None:
    answers(raw_server, 2)
    client = AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url)
    assert asyncio.run(client.chat(request())).choices[0].message.content == "answer 0"
    # The first loop's connection was closed on its way out, not leaked.
    assert raw_server.closed_by_client.wait(2)
    raw_server.closed_by_client.clear()
    assert asyncio.run(client.chat(request())).choices[0].message.content == "answer 1"
    assert raw_server.connections == 2
    asyncio.run(client.close())


def test_async_close_from_the_loop_that_used_it(raw_server: RawServer) -> None:
    answers(raw_server, 1)
    client = AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url)

    async def main() -> None:
        await client.chat(request())
        await client.close()
        assert raw_server.closed_by_client.wait(2)

    asyncio.run(main())


def test_sync_client_pickles_after_use_and_works(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", KEY)  # a pickle carries no key
    answers(raw_server, 2)
    with AnyfastClient(api_key=KEY, base_url=raw_server.base_url, max_retries=5) as client:
        client.chat(request())
        copy = pickle.loads(pickle.dumps(client))
    with copy:
        assert copy.chat(request()).choices[0].message.content == "answer 1"
    assert (copy.max_retries, copy.base_url) == (5, raw_server.base_url)


def test_async_client_pickles_and_works(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", KEY)  # a pickle carries no key
    answers(raw_server, 1)
    copy = pickle.loads(pickle.dumps(AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url)))
    assert asyncio.run(copy.chat(request())).choices[0].message.content == "answer 0"


@pytest.mark.parametrize(
    ("cls", "http"), [(AnyfastClient, httpx.Client), (AsyncAnyfastClient, httpx.AsyncClient)]
)
def test_client_with_own_http_client_refuses_to_pickle(cls: type[Any], http: type[Any]) -> None:
    client = cls(api_key=KEY, http_client=http())
    with pytest.raises(TypeError, match="own http_client cannot be pickled"):
        pickle.dumps(client)


def test_close_leaves_a_users_http_client_open(mode: str) -> None:
    from .conftest import Wire

    api = Api(mode, Wire(httpx.Response(200, json=completion_json())))
    api.close()
    assert not api.client._http.is_closed
    assert api.chat(request()).choices[0].message.content == "hello"


@pytest.mark.parametrize("use_with", [True, False], ids=["with", "bare-for"])
def test_early_break_closes_the_socket(mode: str, raw_server: RawServer, use_with: bool) -> None:
    raw_server.scripts.append(send_sse(chunk({"content": "first"}), then=hold_open))
    api = Api(mode, base_url=raw_server.base_url)
    first, closed = api.first_chunk_then_break(
        request(), use_with=use_with, closed=raw_server.closed_by_client.is_set
    )
    assert first.choices[0].delta.content == "first"
    assert closed
    api.close()


def test_reset_mid_stream_over_a_socket(mode: str, raw_server: RawServer) -> None:
    raw_server.scripts.append(
        send_sse(chunk({"content": "Hel"}), chunk({"content": "lo"}), then=reset)
    )
    api = Api(mode, base_url=raw_server.base_url)
    got: list[Any] = []
    with pytest.raises(StreamInterruptedError) as info:
        api.stream(request(), got)
    assert info.value.partial.choices[0].message.content == "Hello"
    assert len(got) == 2
    assert len(raw_server.requests) == 1
    api.close()


def test_full_stream_over_a_socket_returns_the_connection(mode: str, raw_server: RawServer) -> None:
    events = [chunk({"content": "a"}), chunk({"content": "b"}, "stop"), DONE]
    raw_server.scripts += [send_sse(*events), send_sse(*events)]
    api = Api(mode, base_url=raw_server.base_url)
    if mode == "sync":
        assert api.stream(request()).completion.choices[0].message.content == "ab"
        assert api.stream(request()).completion.choices[0].message.content == "ab"
        assert raw_server.connections == 1
    else:

        async def twice() -> None:
            for _ in range(2):
                async with api.client.chat_stream(request()) as stream:
                    assert [c async for c in stream]
            assert raw_server.connections == 1
            await api.client.close()

        asyncio.run(twice())
    api.close()


def test_unreachable_port_is_a_connection_error(mode: str, sleeps: list[float]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = Api(mode, base_url=f"http://127.0.0.1:{port}/v1")
    from anyfast_client import APIConnectionError

    with pytest.raises(APIConnectionError):
        api.chat(request())
    assert len(sleeps) == 2


def test_a_nested_loop_in_a_thread_leaves_the_outer_loops_stream_alone(
    raw_server: RawServer,
) -> None:
    # LlamaIndex's sync wrappers run a new event loop in a thread from inside a running
    # one; the client used there must not close the outer loop's pool mid-stream.
    outer_resumed = threading.Event()

    def rest_after_nested(conn: socket.socket) -> None:
        outer_resumed.wait(5)
        for data in (chunk({"content": " world"}, "stop"), DONE):
            conn.sendall(b"%x\r\n%s\r\n" % (len(data), data))
        conn.sendall(b"0\r\n\r\n")

    raw_server.scripts += [
        send_sse(chunk({"content": "hello"}), then=rest_after_nested),
        send_json(completion_json("nested")),
    ]
    client = AsyncAnyfastClient(api_key=KEY, base_url=raw_server.base_url)

    def nested_call() -> str | None:
        return asyncio.run(client.chat(request())).choices[0].message.content

    async def outer() -> tuple[str | None, str | None]:
        async with client.chat_stream(request()) as stream:
            nested: str | None = None
            async for _ in stream:
                if nested is None:
                    with ThreadPoolExecutor(1) as pool:  # blocks the loop, as LlamaIndex does
                        nested = pool.submit(nested_call).result()
                    await asyncio.sleep(0.1)  # whatever the nested call scheduled here runs
                    outer_resumed.set()
        await client.close()
        return nested, stream.completion.choices[0].message.content

    assert asyncio.run(outer()) == ("nested", "hello world")
