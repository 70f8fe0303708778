"""Sans-I/O stream decoding: the bytes of a response body to checked chunks.

:class:`ChunkDecoder` turns the bytes of a response body into
:class:`ChatCompletionChunk` objects, raises error events as errors, and at the
end tells a complete stream from a cut one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from pydantic import ValidationError

from ._errors import AnyfastError, StreamInterruptedError, event_error
from ._models import ChatCompletionChunk
from ._sse import SSEDecoder
from ._stream import StreamAccumulator

__all__ = ["ChunkDecoder", "is_event_stream", "not_a_stream_error"]

_DONE = "[DONE]"


class ChunkDecoder:
    """Bytes of a streamed body in, chunks out; :meth:`close` checks completeness."""

    __slots__ = ("_sse", "accumulator", "done")

    def __init__(self) -> None:
        self._sse = SSEDecoder()
        self.accumulator = StreamAccumulator()
        self.done = False

    def feed(self, data: bytes) -> list[ChatCompletionChunk]:
        return list(self.iter_feed(data))

    def close(self) -> list[ChatCompletionChunk]:
        """End of body: the last chunks, or :class:`StreamInterruptedError` if it was cut."""
        return list(self.iter_close())

    def iter_feed(self, data: bytes) -> Iterator[ChatCompletionChunk]:
        """Like :meth:`feed`, one chunk at a time: an error event raises only after
        the chunks before it in the same read were handed out."""
        yield from self._decode(self._sse.feed(data))

    def iter_close(self) -> Iterator[ChatCompletionChunk]:
        yield from self._decode(self._sse.flush())
        if not self.done:
            raise self.interrupted("the connection closed before [DONE]")
        if not self.accumulator.finished:
            raise self.interrupted("the stream ended without a finish_reason")

    def interrupted(self, why: str) -> StreamInterruptedError:
        return StreamInterruptedError(
            f"The stream was cut: {why}. What arrived is in .partial.",
            partial=self.accumulator.result(),
        )

    def _decode(self, events: list[str]) -> Iterator[ChatCompletionChunk]:
        for data in events:
            if self.done:
                return
            if data == _DONE:
                self.done = True
                return
            chunk = _parse(data)
            if chunk.error is not None:
                raise event_error(chunk.error)
            self.accumulator.add(chunk)
            yield chunk


def _parse(data: str) -> ChatCompletionChunk:
    try:
        return ChatCompletionChunk.model_validate_json(data)
    except ValidationError as exc:
        raise AnyfastError(f"Malformed stream event: {data[:200]!r}") from exc


def is_event_stream(content_type: str | None) -> bool:
    """Whether a 200 answer to a stream request may hold events.

    Lenient: a missing or unusual type is read as events. Only JSON and HTML,
    what a gateway or a proxy answers with instead of a stream, are not.
    """
    media = (content_type or "").partition(";")[0].strip().lower()
    return not (media.endswith("json") or media == "text/html")


def not_a_stream_error(body: bytes, content_type: str | None) -> AnyfastError:
    """The error a JSON or HTML body stands for, when a stream was asked for."""
    text = body.decode("utf-8", "replace")
    try:
        payload: object = json.loads(text)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, Mapping) else None
    if error:
        return event_error(error if isinstance(error, Mapping) else {"message": str(error)})
    return AnyfastError(
        f"Asked for an event stream, the server answered 200 with {content_type}: "
        f"{' '.join(text.split())[:200]!r}"
    )
