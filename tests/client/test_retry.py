"""The retry policy as a table, then the same rules seen through the wire."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

import httpx
import pytest

from anyfast_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncAnyfastClient,
    InternalServerError,
    RateLimitError,
    StreamInterruptedError,
)
from anyfast_client._retry import (
    INITIAL_DELAY,
    MAX_DELAY,
    MAX_RETRY_AFTER,
    RateLimitGate,
    parse_retry_after,
    retry_delay,
    should_retry,
)

from .conftest import DONE, KEY, chunk, completion_json, request, sse_response

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, False),
        (401, False),
        (402, False),
        (403, False),
        (404, False),
        (408, True),
        (409, True),
        (413, False),
        (422, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_should_retry(status: int, expected: bool) -> None:
    assert should_retry(status) is expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"retry-after": email.utils.formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "-5"}, 0.0),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after-ms": "bad", "retry-after": "9"}, 9.0),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def test_parse_retry_after_reads_httpx_headers_case_insensitively() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "2"})) == 2.0


@pytest.mark.parametrize("attempt", range(8))
def test_retry_delay_backoff_is_capped_with_bounded_jitter(attempt: int) -> None:
    ceiling = min(INITIAL_DELAY * 2**attempt, MAX_DELAY)
    delays = [retry_delay(attempt) for _ in range(200)]
    assert all(0.75 * ceiling <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1


@pytest.mark.parametrize(
    ("retry_after", "expected"), [(0.0, 0.0), (2.5, 2.5), (3600.0, MAX_RETRY_AFTER)]
)
def test_retry_delay_honours_retry_after_capped(retry_after: float, expected: float) -> None:
    assert retry_delay(5, retry_after) == expected


@pytest.mark.parametrize(
    ("holds", "now", "expected"),
    [
        ([], 100.0, 0.0),
        ([(2.0, 100.0)], 100.0, 2.0),
        ([(2.0, 100.0)], 101.5, 0.5),
        ([(2.0, 100.0)], 103.0, 0.0),
        ([(5.0, 100.0), (1.0, 101.0)], 101.0, 4.0),  # a shorter later hold never shortens
        ([(1.0, 100.0), (5.0, 101.0)], 101.0, 5.0),
        ([(3600.0, 100.0)], 100.0, MAX_RETRY_AFTER),
        ([(-3.0, 100.0)], 100.0, 0.0),
    ],
)
def test_rate_limit_gate(holds: list[tuple[float, float]], now: float, expected: float) -> None:
    gate = RateLimitGate()
    for seconds, at in holds:
        gate.hold(seconds, now=at)
    assert gate.wait(now=now) == pytest.approx(expected)


# --------------------------------------------------------------------------- through the wire


def error(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"message": f"status {status}"}})


def test_429_with_retry_after_then_success(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(error(429, **{"Retry-After": "2"}), httpx.Response(200, json=completion_json()))
    assert api.chat(request()).choices[0].message.content == "hello"
    assert sleeps == [2.0]
    assert len(api.wire.requests) == 2


def test_429_retries_exhausted_raise_rate_limit(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(error(429), error(429), error(429))
    with pytest.raises(RateLimitError):
        api.chat(request())
    assert len(api.wire.requests) == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_retried_max_retries_times(
    make_api: Any, sleeps: list[float], status: int
) -> None:
    api = make_api(*(error(status) for _ in range(4)), max_retries=3)
    with pytest.raises(InternalServerError) as info:
        api.chat(request())
    assert info.value.status_code == status
    assert len(api.wire.requests) == 4
    assert len(sleeps) == 3
    assert [0.75 * 0.5, 0.75 * 1.0, 0.75 * 2.0] <= sleeps <= [0.5, 1.0, 2.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_client_errors_never_retried(make_api: Any, sleeps: list[float], status: int) -> None:
    api = make_api(error(status), httpx.Response(200, json=completion_json()))
    with pytest.raises(Exception, match=f"status {status}"):
        api.chat(request())
    assert len(api.wire.requests) == 1
    assert sleeps == []


def test_connect_error_retried(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(httpx.ConnectError("refused"), httpx.Response(200, json=completion_json()))
    assert api.chat(request()).choices[0].message.content == "hello"
    assert len(api.wire.requests) == 2 and len(sleeps) == 1


def test_connect_errors_exhausted_raise_connection_error(
    make_api: Any, sleeps: list[float]
) -> None:
    api = make_api(*(httpx.ConnectError("refused") for _ in range(3)))
    with pytest.raises(APIConnectionError, match="refused"):
        api.chat(request())
    assert len(api.wire.requests) == 3


def test_read_timeout_not_retried(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(httpx.ReadTimeout("slow"), httpx.Response(200, json=completion_json()))
    with pytest.raises(APITimeoutError):
        api.chat(request())
    assert len(api.wire.requests) == 1 and sleeps == []


def test_max_retries_zero(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(error(503), httpx.Response(200, json=completion_json()), max_retries=0)
    with pytest.raises(InternalServerError):
        api.chat(request())
    assert len(api.wire.requests) == 1 and sleeps == []


def good_stream() -> httpx.Response:
    return sse_response(chunk({"content": "ok"}, "stop"), DONE)


def test_stream_status_error_retried(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(error(503), good_stream())
    assert api.stream(request()).completion.choices[0].message.content == "ok"
    assert len(api.wire.requests) == 2


def test_stream_cut_before_any_byte_of_the_body_is_retried(
    make_api: Any, sleeps: list[float]
) -> None:
    api = make_api(sse_response(httpx.ReadError("reset")), good_stream())
    assert api.stream(request()).completion.choices[0].message.content == "ok"
    assert len(api.wire.requests) == 2 and len(sleeps) == 1


def test_a_retried_stream_fills_the_accumulator_held_from_the_start(
    make_api: Any, sleeps: list[float]
) -> None:
    # Adapters read the stream's accumulator instead of merging the chunks again: a
    # stream that starts over must keep filling the object they hold.
    api = make_api(sse_response(httpx.ReadError("reset")), good_stream())
    stream = api.stream(request())
    assert stream.accumulator is api.held
    assert api.held.result().choices[0].message.content == "ok"
    assert len(api.wire.requests) == 2


def test_stream_cut_after_a_ping_is_not_retried(make_api: Any, sleeps: list[float]) -> None:
    # The server had begun answering: the request may be running, and billed.
    api = make_api(sse_response(b": PING\n\n", httpx.ReadError("reset")), good_stream())
    with pytest.raises(StreamInterruptedError):
        api.stream(request())
    assert len(api.wire.requests) == 1 and sleeps == []


def test_stream_cut_after_a_chunk_is_not_retried(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(sse_response(chunk({"content": "o"}), httpx.ReadError("reset")), good_stream())
    got: list[Any] = []
    with pytest.raises(StreamInterruptedError):
        api.stream(request(), got)
    assert len(got) == 1
    assert len(api.wire.requests) == 1 and sleeps == []


def test_stream_read_timeout_before_first_chunk_not_retried(
    make_api: Any, sleeps: list[float]
) -> None:
    api = make_api(sse_response(httpx.ReadTimeout("slow")), good_stream())
    with pytest.raises(APITimeoutError):
        api.stream(request())
    assert len(api.wire.requests) == 1 and sleeps == []


def test_stream_error_event_before_first_chunk_retried_by_status(
    make_api: Any, sleeps: list[float]
) -> None:
    overloaded = sse_response(b'data: {"error": {"message": "busy", "code": 503}}\n\n')
    api = make_api(overloaded, good_stream())
    assert api.stream(request()).completion.choices[0].message.content == "ok"
    assert len(api.wire.requests) == 2


def test_stream_max_retries_zero(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(sse_response(httpx.ReadError("reset")), good_stream(), max_retries=0)
    with pytest.raises(StreamInterruptedError):
        api.stream(request())
    assert len(api.wire.requests) == 1


@pytest.mark.parametrize("status", [408, 409, 503])
def test_retry_after_is_honoured_beyond_429(
    make_api: Any, sleeps: list[float], status: int
) -> None:
    api = make_api(
        error(status, **{"Retry-After": "1.5"}), httpx.Response(200, json=completion_json())
    )
    assert api.chat(request()).choices[0].message.content == "hello"
    assert sleeps == [1.5]
    assert len(api.wire.requests) == 2


@pytest.mark.parametrize("status", [408, 409])
def test_timeout_and_conflict_statuses_retried_then_raised(
    make_api: Any, sleeps: list[float], status: int
) -> None:
    api = make_api(error(status), error(status), error(status))
    with pytest.raises(Exception, match=f"status {status}") as info:
        api.chat(request())
    assert info.value.status_code == status
    assert len(api.wire.requests) == 3


def test_write_timeout_is_retried(make_api: Any, sleeps: list[float]) -> None:
    # A body that never finished going out cannot have been run (or billed).
    api = make_api(httpx.WriteTimeout("slow upload"), httpx.Response(200, json=completion_json()))
    assert api.chat(request()).choices[0].message.content == "hello"
    assert len(api.wire.requests) == 2


def test_stream_retries_share_one_max_retries_budget(make_api: Any, sleeps: list[float]) -> None:
    cut_early = sse_response(httpx.ReadError("reset"))
    api = make_api(error(503), cut_early, error(503), good_stream(), max_retries=2)
    with pytest.raises(InternalServerError):
        api.stream(request())
    # One first try and two retries in all, whichever way each attempt failed.
    assert len(api.wire.requests) == 3
    assert len(sleeps) == 2


def test_stream_cut_then_status_error_counts_on(make_api: Any, sleeps: list[float]) -> None:
    cut = [sse_response(httpx.ReadError("reset")) for _ in range(2)]
    api = make_api(*cut, error(503), good_stream(), max_retries=2)
    with pytest.raises(InternalServerError):
        api.stream(request())
    assert len(api.wire.requests) == 3


def test_a_429_holds_back_the_next_call_on_the_same_client(
    make_api: Any, sleeps: list[float]
) -> None:
    api = make_api(
        error(429, **{"Retry-After": "3"}),
        httpx.Response(200, json=completion_json("first")),
        httpx.Response(200, json=completion_json("second")),
    )
    assert api.chat(request()).choices[0].message.content == "first"
    # No time passed (sleeps are recorded, not slept): the second call waits at the gate.
    assert api.chat(request()).choices[0].message.content == "second"
    assert sleeps[0] == 3.0 and sleeps[1] == pytest.approx(3.0, abs=0.5)
    assert len(api.wire.requests) == 3


def test_a_429_without_retry_after_holds_back_no_one(make_api: Any, sleeps: list[float]) -> None:
    api = make_api(
        error(429),
        httpx.Response(200, json=completion_json("first")),
        httpx.Response(200, json=completion_json("second")),
    )
    api.chat(request())
    api.chat(request())
    assert len(sleeps) == 1  # only the refused call's own backoff


def test_calls_in_flight_back_off_together_after_a_429() -> None:
    # The first call is refused for 0.3 s; the ten started after it must not reach the
    # server before then, each learning of the limit on its own.
    arrivals: list[float] = []

    def reply(req: httpx.Request) -> httpx.Response:
        arrivals.append(time.monotonic())
        if len(arrivals) == 1:
            return error(429, **{"Retry-After": "0.3"})
        return httpx.Response(200, json=completion_json())

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(reply))
        client = AsyncAnyfastClient(api_key=KEY, http_client=http)
        first = asyncio.create_task(client.chat(request()))
        while not arrivals:
            await asyncio.sleep(0.01)
        await asyncio.gather(first, *(client.chat(request()) for _ in range(10)))
        await http.aclose()

    asyncio.run(main())
    assert len(arrivals) == 12
    assert min(arrivals[1:]) - arrivals[0] >= 0.29
