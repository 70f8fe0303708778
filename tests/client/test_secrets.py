"""The API key stays out of reprs, errors, log records and pickles."""

from __future__ import annotations

import logging
import pickle
import socket
from typing import Any

import httpx
import pytest

from anyfast_client import (
    AnyfastClient,
    AnyfastError,
    AsyncAnyfastClient,
    AuthenticationError,
    InternalServerError,
    MissingAPIKeyError,
)

from .conftest import (
    DONE,
    KEY,
    Api,
    RawServer,
    chunk,
    completion_json,
    request,
    reset,
    send_json,
    send_sse,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raised(call: Any) -> AnyfastError:
    with pytest.raises(AnyfastError) as info:
        call()
    return info.value


def texts_of(error: BaseException) -> list[str]:
    """str and repr of the error and of every error chained to it."""
    texts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return texts


def test_key_absent_from_errors_and_logs(
    mode: str, raw_server: RawServer, caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    caplog.set_level(logging.DEBUG)
    raw_server.scripts += [
        send_json({"error": {"message": "Invalid token"}}, status=401),
        *[send_json({"error": {"message": "boom"}}, status=500)] * 3,
        send_sse(chunk({"content": "partial"}), then=reset),
    ]
    api = Api(mode, base_url=raw_server.base_url, max_retries=2)
    errors = [
        raised(lambda: api.chat(request())),
        raised(lambda: api.chat(request())),
        raised(lambda: api.stream(request())),
    ]
    api.close()
    offline = Api(mode, base_url=f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    errors.append(raised(lambda: offline.chat(request())))

    assert [type(e).__name__ for e in errors] == [
        "AuthenticationError",
        "InternalServerError",
        "StreamInterruptedError",
        "APIConnectionError",
    ]
    assert all(b"Bearer " + KEY.encode() in r for r in raw_server.requests)
    for error in errors:
        for text in texts_of(error):
            assert KEY not in text
    assert caplog.records, "nothing was logged at DEBUG: the scan would prove nothing"
    assert any(r.name.startswith("httpx") or r.name.startswith("httpcore") for r in caplog.records)
    for record in caplog.records:
        assert KEY not in record.getMessage()
    assert KEY not in caplog.text


def test_key_absent_from_repr(mode: str) -> None:
    api = Api(mode)
    assert KEY not in repr(api.client)
    assert "api_key=set" in repr(api.client)
    assert KEY not in repr(api.client.api_key)
    assert KEY not in str(vars(api.client))


@pytest.mark.parametrize("cls", [AnyfastClient, AsyncAnyfastClient])
def test_pickle_never_holds_an_explicit_key(
    cls: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    data = pickle.dumps(cls(api_key=KEY))
    assert KEY.encode() not in data
    assert KEY[::-1].encode() not in data
    assert pickle.loads(data).api_key is None


def test_unpickled_client_without_the_env_var_says_where_the_key_must_come_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    client = pickle.loads(pickle.dumps(AnyfastClient(api_key=KEY)))
    with pytest.raises(MissingAPIKeyError, match="pickled client or model never carries its key"):
        client.chat(request())


def test_unpickled_client_sends_the_workers_env_key(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw_server.scripts.append(send_json(completion_json("from the worker")))
    data = pickle.dumps(AnyfastClient(api_key="parent-key", base_url=raw_server.base_url))
    monkeypatch.setenv("ANYFAST_API_KEY", KEY)
    with pickle.loads(data) as client:
        assert client.chat(request()).choices[0].message.content == "from the worker"
    assert f"Bearer {KEY}".encode() in raw_server.requests[0]


def test_env_key_is_not_pickled_but_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", KEY)
    data = pickle.dumps(AnyfastClient())
    assert KEY.encode() not in data
    monkeypatch.setenv("ANYFAST_API_KEY", "worker-key")
    assert pickle.loads(data).api_key.get_secret_value() == "worker-key"
    monkeypatch.delenv("ANYFAST_API_KEY")
    client = pickle.loads(data)
    with pytest.raises(MissingAPIKeyError):
        client.chat(request())


def test_key_not_in_stream_errors_from_mock(mode: str) -> None:
    from .conftest import Wire, sse_response

    wire = Wire(
        httpx.Response(401, json={"error": {"message": "bad key"}}),
        httpx.Response(500, text="oops"),
        sse_response(chunk({"content": "x"}), chunk({}, "stop"), DONE),
    )
    api = Api(mode, wire, max_retries=0)
    for cls in (AuthenticationError, InternalServerError):
        with pytest.raises(cls) as info:
            api.chat(request())
        assert all(KEY not in t for t in texts_of(info.value))
