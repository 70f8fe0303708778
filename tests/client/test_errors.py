"""Status errors through the wire: class, fields, odd bodies, pickling, readable text."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest

from anyfast_client import (
    AnyfastError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChatCompletion,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    StreamInterruptedError,
)

from .conftest import request


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, PermissionDeniedError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (413, RequestTooLargeError),
        (422, BadRequestError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (504, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_maps_to_class(make_api: Any, status: int, cls: type[APIStatusError]) -> None:
    body = {"error": {"message": "nope", "type": "some_type", "code": "some_code", "param": "p"}}
    api = make_api(httpx.Response(status, json=body), max_retries=0)
    with pytest.raises(cls) as info:
        api.chat(request())
    error = info.value
    assert type(error) is cls
    assert (error.status_code, error.message, error.type, error.code, error.param) == (
        status,
        "nope",
        "some_type",
        "some_code",
        "p",
    )


def test_html_502_from_a_proxy(make_api: Any) -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    api = make_api(
        httpx.Response(502, text=html, headers={"content-type": "text/html"}), max_retries=0
    )
    with pytest.raises(InternalServerError) as info:
        api.chat(request())
    error = info.value
    assert error.status_code == 502
    assert error.message.startswith("Bad Gateway: <html>")
    assert error.code is None and error.type is None
    assert error.body == html
    assert str(error) == f"Error code: 502 - {error.message}"


@pytest.mark.parametrize(
    ("code", "expected"), [(1301, 1301), ("invalid_parameter", "invalid_parameter"), (None, None)]
)
def test_code_int_str_or_missing(make_api: Any, code: object, expected: object) -> None:
    error_object: dict[str, Any] = {"message": "bad"}
    if code is not None:
        error_object["code"] = code
    api = make_api(httpx.Response(400, json={"error": error_object}))
    with pytest.raises(BadRequestError) as info:
        api.chat(request())
    assert info.value.code == expected
    assert str(info.value).startswith("Error code: 400")
    assert "bad" in str(info.value)


@pytest.mark.parametrize(
    "error_object",
    [
        {"message": "too long", "type": "invalid_request_error", "code": "context_length_exceeded"},
        {"message": "too long", "type": "exceed_context_size_error", "code": 400},  # llama.cpp
    ],
)
def test_context_overflow_400_is_request_too_large(
    make_api: Any, error_object: dict[str, Any]
) -> None:
    api = make_api(httpx.Response(400, json={"error": error_object}), max_retries=0)
    with pytest.raises(RequestTooLargeError) as info:
        api.chat(request())
    assert info.value.status_code == 400 and info.value.message == "too long"


def test_request_id_from_header(make_api: Any) -> None:
    response = httpx.Response(
        404, json={"error": {"message": "no model"}}, headers={"X-Request-Id": "req-hdr"}
    )
    api = make_api(response)
    with pytest.raises(NotFoundError) as info:
        api.chat(request())
    assert info.value.request_id == "req-hdr"


def test_request_id_from_message_suffix(make_api: Any) -> None:
    message = "model not found (request id: 20251125abc)"
    api = make_api(httpx.Response(404, json={"error": {"message": message}}))
    with pytest.raises(NotFoundError) as info:
        api.chat(request())
    assert info.value.request_id == "20251125abc"


def test_body_is_truncated(make_api: Any) -> None:
    api = make_api(httpx.Response(400, text="x" * 100_000))
    with pytest.raises(BadRequestError) as info:
        api.chat(request())
    assert 0 < len(info.value.body) <= 2000
    assert len(str(info.value)) < 400


def test_error_envelope_with_bare_message(make_api: Any) -> None:
    api = make_api(httpx.Response(401, json={"error": "No token provided"}))
    with pytest.raises(AuthenticationError, match="No token provided"):
        api.chat(request())


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b"[1, 2]"])
def test_200_with_a_non_completion_body(make_api: Any, body: bytes) -> None:
    api = make_api(httpx.Response(200, content=body))
    with pytest.raises(AnyfastError, match="200") as info:
        api.chat(request())
    assert not isinstance(info.value, APIStatusError) or info.value.status_code == 200


def test_200_with_error_envelope_raises_instead_of_an_empty_completion(make_api: Any) -> None:
    body = {"error": {"message": "quota exceeded", "code": "insufficient_quota"}}
    api = make_api(httpx.Response(200, json=body))
    with pytest.raises(AnyfastError, match="quota exceeded"):
        api.chat(request())


def all_errors() -> list[AnyfastError]:
    partial = ChatCompletion(id="x", model="m")
    return [
        AnyfastError("plain"),
        MissingAPIKeyError(),
        APIConnectionError("Connection error (ConnectError): refused"),
        APITimeoutError("Request timed out (ReadTimeout): slow"),
        StreamInterruptedError("cut", partial=partial),
        RateLimitError("slow down", status_code=429, code=1, request_id="r", body="{}"),
        InternalServerError("boom", status_code=500, type="server_error"),
    ]


@pytest.mark.parametrize("error", all_errors(), ids=lambda e: type(e).__name__)
def test_errors_pickle_round_trip(error: AnyfastError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_interrupted_error_keeps_partial_through_pickle() -> None:
    partial = ChatCompletion(id="abc")
    copy = pickle.loads(pickle.dumps(StreamInterruptedError("cut", partial=partial)))
    assert copy.partial == partial


def test_connection_error_is_readable(make_api: Any) -> None:
    api = make_api(*(httpx.ConnectError("Name or service not known") for _ in range(3)))
    api.client.max_retries = 0
    with pytest.raises(APIConnectionError) as info:
        api.chat(request())
    assert str(info.value) == (
        "Connection error on POST https://www.anyfast.ai/v1/chat/completions "
        "(ConnectError): Name or service not known"
    )
    assert isinstance(info.value.__cause__, httpx.ConnectError)
