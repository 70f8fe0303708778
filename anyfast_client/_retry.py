"""Retry policy as pure functions: which failures to retry, and how long to wait.

The gateway already retries upstream failures itself, so the client keeps its
own retries few (``max_retries=2`` by default). Timeouts while reading are
never retried: the request may already have been processed and billed.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping

from ._errors import (
    AnyfastError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    StreamInterruptedError,
)

__all__ = [
    "INITIAL_DELAY",
    "MAX_DELAY",
    "MAX_RETRY_AFTER",
    "RateLimitGate",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
    "should_retry_error",
]

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
# A server asking for a longer wait than this is waited for this long.
MAX_RETRY_AFTER = 60.0


def should_retry(status: int) -> bool:
    """Timeouts, conflicts, rate limits and server errors; never other 4xx."""
    return status in (408, 409, 429) or status >= 500


def should_retry_error(error: AnyfastError, *, sent: bool) -> bool:
    """Whether an error is worth another attempt.

    ``sent`` tells whether the request may have been processed: a connection
    that failed before that, or a stream cut before the caller saw anything,
    is safe to retry; a read timeout after it is not.
    """
    if isinstance(error, APIStatusError):
        return should_retry(error.status_code)
    if isinstance(error, APITimeoutError):
        return not sent
    return isinstance(error, APIConnectionError | StreamInterruptedError) and not sent


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return max(millis / 1000, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    return _seconds_until(value, now)


def _number(value: str | None) -> float | None:
    """A finite number, or None: "nan" would make the sleep itself fail."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _seconds_until(http_date: str, now: float | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """The wait before retry number ``attempt`` (0 for the first retry).

    A server's Retry-After is honoured, capped at :data:`MAX_RETRY_AFTER`; otherwise
    exponential backoff capped at :data:`MAX_DELAY`, with up to 25% jitter so
    that many clients do not retry in step.
    """
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    backoff = min(INITIAL_DELAY * 2.0**attempt, MAX_DELAY)
    return backoff * (1 - 0.25 * random.random())  # noqa: S311 - jitter, not crypto


class RateLimitGate:
    """When the calls sharing one client may next go out: a 429's Retry-After holds them all.

    Sans-I/O: the clients pass a monotonic clock and do the waiting, before every attempt.
    Without it, each of 200 callers would learn of the limit by being refused on its own.
    """

    def __init__(self) -> None:
        self._opens_at = 0.0

    def hold(self, seconds: float, *, now: float) -> None:
        """Keep the gate shut for ``seconds`` from ``now`` (capped); a later hold never shortens."""
        self._opens_at = max(self._opens_at, now + min(max(seconds, 0.0), MAX_RETRY_AFTER))

    def wait(self, *, now: float) -> float:
        """Seconds to wait at ``now`` before sending; 0 when the gate is open."""
        return max(self._opens_at - now, 0.0)
