"""Sans-I/O stream decoding: the bytes of a response body to checked chunks.

:class:`ChunkDecoder` turns the bytes of a response body into
:class:`ChatCompletionChunk` objects, raises error events as errors, and at the
end tells a complete stream from a cut one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import cast

from pydantic import ValidationError

from ._errors import AnyfastError, StreamInterruptedError, event_error
from ._fast import FAST_PATHS_VARIABLE, fast_paths_enabled, stand_down
from ._models import ChatCompletion, ChatCompletionChunk
from ._sse import SSEDecoder
from ._stream import StreamAccumulator
from ._template import EventTemplate, TextDelta
from ._think_tags import StrayCloseCheck, ThinkTags, ThinkTagsMode

__all__ = ["ChunkDecoder", "is_event_stream", "not_a_stream_error"]

_DONE = "[DONE]"
_BOM = b"\xef\xbb\xbf"
# How much of a body without events is kept to report it: the error documents
# gateways send are small, and the error message quotes at most 2000 characters.
_HEAD_LIMIT = 64 * 1024
# Events in a row that taught no template, or taught one that no event fitted: after
# these, a stream whose events all differ (a per-event nonce) or that has none (values
# a copy cannot share) is parsed in full without trying again.
_UNFIT_LIMIT = 8


class ChunkDecoder:
    """Bytes of a streamed body in, chunks out; :meth:`close` checks completeness.

    ``content_type`` is the response's header: a body labelled JSON or HTML is
    still read as events if it holds some, and is reported as what it says if
    it holds none. An event that fits the template learnt from an earlier one (see
    ``_template``) is read without parsing and handed out as its :class:`TextDelta`,
    which builds its chunk on demand; every other event as its chunk. Each is in
    :attr:`accumulator` by the time it is handed out. With ``think_tags`` (the default),
    ``<think>…</think>`` at the start of a choice's content is handed out and accumulated
    as reasoning (with ``"open"``, all before ``</think>``; see ``_think_tags``);
    ``stray_close`` checks a complete stream's answer once, at its end.
    """

    __slots__ = (
        "_fitted",
        "_head",
        "_learns",
        "_sse",
        "_tags",
        "_template",
        "_unfit",
        "accumulator",
        "content_type",
        "done",
        "handed_out",
        "stray_close",
        "think_tags",
    )

    def __init__(
        self,
        content_type: str | None = None,
        *,
        think_tags: ThinkTagsMode = True,
        stray_close: StrayCloseCheck | None = None,
    ) -> None:
        self.accumulator = StreamAccumulator()
        self.content_type = content_type
        self.think_tags = think_tags
        self.stray_close = stray_close
        self.restart()

    def restart(self) -> None:
        """Read a new body from its start (a retried request), into the same accumulator."""
        self._sse = SSEDecoder()
        self.accumulator.clear()
        self.done = False
        self.handed_out = False  # a chunk left :meth:`iter_feed`
        # The start of the body until the first event: a body that holds none
        # (an error document sent in place of the stream) is reported from it.
        self._head: bytearray | None = bytearray()
        # The bytes the text events share (see ``_template``), once learnt.
        self._template: EventTemplate | None = None
        self._learns = fast_paths_enabled()  # see _fast: one switch turns templates off
        if not self._learns:
            stand_down("event templates", f"{FAST_PATHS_VARIABLE} is set")
        self._fitted = False  # an event fitted the template
        self._unfit = 0  # events in a row that taught nothing that fitted
        self._tags = ThinkTags(opened=self.think_tags == "open") if self.think_tags else None

    def feed(self, data: bytes) -> list[ChatCompletionChunk | TextDelta]:
        return list(self.iter_feed(data))

    def close(self) -> list[ChatCompletionChunk]:
        """End of body: the last chunks, or :class:`StreamInterruptedError` if it was cut."""
        return list(self.iter_close())

    def iter_feed(self, data: bytes) -> Iterator[ChatCompletionChunk | TextDelta]:
        """Like :meth:`feed`, one at a time: an error event raises only after the
        chunks before it in the same read were handed out."""
        head = self._head
        if head is not None and len(head) < _HEAD_LIMIT:
            head += data[: _HEAD_LIMIT - len(head)]
        events = self._sse.feed_raw(data)
        if events:
            self._head = None
        # What each choice adds, with tagged thinking moved to reasoning: the accumulator
        # and the reader both see the same. Text deltas skip the splitters once every
        # choice passes its text on unchanged; chunks, which may bring a new choice, do not.
        tags = self._tags
        add = self.accumulator.add
        for event in events:
            if self.done:
                return
            template = self._template
            item: ChatCompletionChunk | TextDelta | None = (
                template.read(event) if template is not None else None
            )
            if item is not None:
                self._fitted = True  # the same chunk as the template's, another text
                if tags is not None and not tags.passing:
                    item = tags.apply(item)
            elif (item := self._parsed(event)) is None:
                if self.done:
                    return
                continue
            elif tags is not None:
                item = tags.apply(item)
            add(item)
            self.handed_out = True
            yield item

    def _parsed(self, event: bytes) -> ChatCompletionChunk | None:
        """The chunk an event holds, parsed in full; None for an empty event or [DONE]
        (then ``done``). An error event raises; a text event may teach a template."""
        chunk = self._parse(event)
        if chunk is not None:
            if chunk.error is not None:
                raise event_error(chunk.error)
            if self._learns:
                self._learn(event, chunk)
        return chunk

    def _parse(self, event: bytes) -> ChatCompletionChunk | None:
        try:
            # Nearly every event: one JSON object in valid UTF-8, read as it is.
            return cast(ChatCompletionChunk, _validate_json(event))
        except ValidationError:
            # Lenient: "[DONE] " is [DONE], an empty event is nothing, and text
            # that is not UTF-8 reads as U+FFFD (WHATWG) before it is parsed.
            text = event.decode("utf-8", "replace").strip()
            if not text:
                return None
            if text == _DONE:
                self.done = True
                return None
            return _parse(text)

    def _learn(self, event: bytes, chunk: ChatCompletionChunk) -> None:
        """Take the template of a parsed event, unless learning keeps bearing nothing."""
        if self._fitted:
            self._unfit = 0
        elif self._unfit >= _UNFIT_LIMIT:
            return
        template = EventTemplate.learn(event, chunk)
        # Nothing learnt, or a template given up before any event fitted it.
        if template is None or (self._template is not None and not self._fitted):
            self._unfit += 1
        if template is not None:
            self._template = template
            self._fitted = False
        if self._unfit >= _UNFIT_LIMIT and not self._fitted:
            self._template = None  # given up: no event is tried against it any more

    def iter_close(self) -> Iterator[ChatCompletionChunk]:
        # Nothing is dispatched at the end: an event without its blank line is
        # unfinished (WHATWG), so only the checks remain.
        pending = self._sse.flush()
        if not self.done and pending is not None and pending.strip() == _DONE:
            self.done = True  # "data: [DONE]" and the connection closed at once
        if self._head is not None and self._holds_a_document():
            raise not_a_stream_error(bytes(self._head), self.content_type)
        if not self.done:
            where = "in the middle of an event" if pending is not None else "before [DONE]"
            raise self.interrupted(f"the connection closed {where}")
        if not self.accumulator.finished:
            raise self.interrupted("the stream ended without a finish_reason")
        if self.stray_close is not None:
            self.stray_close.check_stream(self.accumulator)
        yield from ()

    def interrupted(self, why: str) -> StreamInterruptedError:
        return StreamInterruptedError(
            f"The stream was cut: {why}. What arrived is in .partial.",
            partial=self._with_held_text(self.accumulator.result()),
        )

    def _with_held_text(self, partial: ChatCompletion) -> ChatCompletion:
        """``partial`` with the text the think-tag splitters still held (a tag's start,
        whitespace): what arrived is all in ``.partial``, none of it lost."""
        held = self._tags.close_all() if self._tags is not None else {}
        for choice in partial.choices:
            answer, reasoning = held.get(choice.index, ("", ""))
            message = choice.message
            if answer:
                message.content = (message.content or "") + answer
            if reasoning:
                message.reasoning_content = (message.reasoning_content or "") + reasoning
        return partial

    def _holds_a_document(self) -> bool:
        """Whether a body without events is a document (JSON, HTML), not a cut stream."""
        if not is_event_stream(self.content_type):
            return True
        start = bytes(self._head or b"").removeprefix(_BOM).lstrip()
        return start[:1] in (b"{", b"[", b"<")


# The model's validator itself: model_validate_json only passes its arguments on.
_validate_json = ChatCompletionChunk.__pydantic_validator__.validate_json


def _parse(data: str) -> ChatCompletionChunk:
    try:
        return ChatCompletionChunk.model_validate_json(data)
    except ValidationError as exc:
        raise AnyfastError(f"Malformed stream event: {data[:200]!r}") from exc


def is_event_stream(content_type: str | None) -> bool:
    """Whether a 200 answer to a stream request is labelled as events.

    Lenient: a missing or unusual type counts as events. Only JSON and HTML,
    what a gateway or a proxy answers with instead of a stream, do not (their
    body is still read as events if it holds some).
    """
    media = (content_type or "").partition(";")[0].strip().lower()
    return not (media.endswith("json") or media == "text/html")


def not_a_stream_error(body: bytes, content_type: str | None) -> AnyfastError:
    """The error a JSON or HTML body stands for, when a stream was asked for."""
    text = body.decode("utf-8-sig", "replace")
    try:
        payload: object = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: hostile nesting
        payload = None
    error = payload.get("error") if isinstance(payload, Mapping) else None
    if error:
        return event_error(error if isinstance(error, Mapping) else {"message": str(error)})
    return AnyfastError(
        f"Asked for an event stream, the server answered 200 with {content_type}: "
        f"{' '.join(text.split())[:200]!r}"
    )
