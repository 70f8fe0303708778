"""HTTPS, through the default clients of both modes (httpx's pool, aiohttp's pool).

A local certificate authority (trustme) signs the server's certificate: unknown to the
clients until ``SSL_CERT_FILE`` names it, as it would be for a company proxy's CA.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from anyfast_client import APIConnectionError
from anyfast_client._aiohttp import supported

from .conftest import (
    DONE,
    Api,
    RawServer,
    Script,
    chunk,
    completion_json,
    hold_open,
    request,
    send_json,
    send_sse,
)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[RawServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = RawServer(tls=context)
    yield server
    server.stop()


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The local CA trusted through SSL_CERT_FILE, as a user behind such a CA sets it."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


def test_a_certificate_from_an_unknown_authority_is_refused(
    mode: str, tls_server: RawServer
) -> None:
    tls_server.scripts.append(send_json(completion_json("never")))
    api = Api(mode, base_url=tls_server.base_url, max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        api.chat(request())
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert tls_server.requests == []  # nothing was sent over the untrusted connection


@pytest.mark.usefixtures("trusted")
def test_ssl_cert_file_names_the_authority_to_trust(mode: str, tls_server: RawServer) -> None:
    tls_server.scripts.append(send_json(completion_json("over TLS")))
    api = Api(mode, base_url=tls_server.base_url, max_retries=0)
    try:
        assert api.chat(request()).choices[0].message.content == "over TLS"
    finally:
        api.close()
    assert len(tls_server.requests) == 1


@pytest.mark.usefixtures("trusted")
@pytest.mark.timeout(20)
def test_a_stream_over_tls_ends_at_done_while_the_server_says_nothing(
    mode: str, tls_server: RawServer
) -> None:
    # The sync client's watchdog shuts the TLS socket's descriptor under the reading thread.
    events = [chunk({"content": "a"}), chunk({"content": "b"}), chunk({}, "stop"), DONE]
    tls_server.scripts.append(send_sse(*events, then=hold_open))
    api = Api(mode, base_url=tls_server.base_url, timeout=30)
    started = time.monotonic()
    try:
        assert api.stream(request()).completion.choices[0].message.content == "ab"
    finally:
        api.close()
    assert time.monotonic() - started < 5  # not the 30 s read timeout
    assert tls_server.closed_by_client.wait(5)


@pytest.mark.usefixtures("trusted")
@pytest.mark.timeout(20)
def test_hanging_up_on_a_tls_stream_leaves_no_socket_open(tls_server: RawServer) -> None:
    # Closing TLS politely waits for the server's goodbye, which a server holding the
    # stream open never sends: the socket would stay open past its event loop's end.
    events = [chunk({"content": "a"}), chunk({}, "stop"), DONE]
    tls_server.scripts.append(send_sse(*events, then=hold_open))
    api = Api("async", base_url=tls_server.base_url, timeout=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()  # what earlier tests left behind is not this test's
    try:
        assert api.stream(request()).completion.choices[0].message.content == "a"
    finally:
        api.close()
    assert tls_server.closed_by_client.wait(5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def _leaked_sockets() -> list[str]:
    """What the collector reports unclosed now, earlier tests' leftovers cleared first."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def _answer_then_wait(looked: threading.Event) -> Script:
    """A whole answer on a kept-alive connection, then silence (no goodbye) until ``looked``."""
    answer = send_json(completion_json("kept"))

    def script(conn: socket.socket, head: bytes) -> None:
        answer(conn, head)
        looked.wait(10)

    return script


@pytest.mark.usefixtures("trusted")
@pytest.mark.timeout(20)
def test_a_pool_closed_with_its_loop_leaves_no_tls_socket_open(tls_server: RawServer) -> None:
    # asyncio.run() closes the loop's pool on its way out; closing TLS politely waits for
    # the server's goodbye, which a busy or silent server does not send before the loop
    # is gone: the kept-alive socket would outlive its loop and leak.
    looked = threading.Event()
    tls_server.scripts.append(_answer_then_wait(looked))
    api = Api("async", base_url=tls_server.base_url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()  # what earlier tests left behind is not this test's
    started = time.monotonic()
    try:
        assert api.chat(request()).choices[0].message.content == "kept"
        took = time.monotonic() - started
        leaked = _leaked_sockets()
    finally:
        looked.set()
        api.close()
    assert leaked == []
    assert took < 5  # the loop did not wait out the server's silence either


@pytest.mark.parametrize(
    ("version", "expected"),
    [("3.10.0", False), ("3.12.4", False), ("3.12.6", True), ("3.13.0a1", True), ("4.0.0", True)],
)
def test_the_aiohttp_pool_is_used_only_from_the_release_that_closes_tls_with_its_loop(
    version: str, expected: bool
) -> None:
    assert supported(version) is expected


def test_without_a_usable_aiohttp_async_calls_use_httpx_pool_and_say_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    import httpx

    from anyfast_client import _pools

    monkeypatch.setitem(sys.modules, "anyfast_client._aiohttp", None)  # import fails
    caplog.set_level(logging.DEBUG, logger="anyfast_client")
    pool = _pools._async_pool(httpx.Timeout(5.0))
    try:
        assert type(pool._transport) is httpx.AsyncHTTPTransport
    finally:
        asyncio.run(pool.aclose())
    assert "async calls use httpx's own pool" in caplog.text
