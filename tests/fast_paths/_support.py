"""What the fast-path tests share: a stream that takes every per-chunk path, and a
check that a model built without validation is the validated one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel

from anyfast_client import ChatCompletionChunk
from anyfast_client._decode import ChunkDecoder
from anyfast_client._stream import StreamAccumulator

T = TypeVar("T")


def make_chunk(
    delta: dict[str, Any], finish: str | None = None, **fields: Any
) -> ChatCompletionChunk:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return ChatCompletionChunk.model_validate(
        {"id": "c1", "model": "qwen3.6-flash", "created": 7, "choices": [choice], **fields}
    )


def call(index: int, *, call_id: str | None = None, name: str | None = None, args: str = "") -> Any:
    return {"index": index, "id": call_id, "function": {"name": name, "arguments": args}}


# Text, reasoning, both, nothing, tool-call deltas among them, the finish and a usage chunk.
STREAM = [
    make_chunk({"role": "assistant", "content": "", "reasoning_content": ""}),
    make_chunk({"reasoning_content": "Think"}),
    make_chunk({"reasoning_content": "ing.", "content": "Hel"}),
    make_chunk({"content": "lo"}),
    make_chunk({"tool_calls": [call(0, call_id="call_1", name="get_weather", args='{"ci')]}),
    make_chunk({"tool_calls": [call(0, args='ty": "Paris"}')]}),
    make_chunk({"content": "!", "tool_calls": [call(1, call_id="call_2", name="now")]}),
    make_chunk({}),
    make_chunk({}, finish="tool_calls"),
    ChatCompletionChunk.model_validate(
        {"id": "c1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5}}
    ),
]


def same(built: BaseModel, reference: BaseModel) -> None:
    assert type(built) is type(reference)
    assert list(built.__dict__.items()) == list(reference.__dict__.items())
    assert built.model_fields_set == reference.model_fields_set
    assert built.__pydantic_extra__ == reference.__pydantic_extra__
    assert built.__pydantic_private__ == reference.__pydantic_private__
    assert built == reference


# The stream again, as bytes, with runs of text and reasoning events that share their
# template: decoded, most of them reach the converters as text deltas, not chunks.
BODY = b"".join(
    b"data: " + chunk.model_dump_json(exclude_unset=True).encode() + b"\n\n"
    for chunk in [
        STREAM[0],
        *[make_chunk({"reasoning_content": text}) for text in ("Thi", "nk", "ing.")],
        *[make_chunk({"content": text}) for text in ("He", "l", "lo")],
        *STREAM[4:],
    ]
)


def decoded(convert: Callable[[StreamAccumulator], Callable[[Any], T]]) -> list[tuple[Any, T]]:
    """Each item a stream hands out for BODY (text deltas among chunks), with what the
    converter ``convert(accumulator)`` makes of it, in step with the stream's accumulator."""
    decoder = ChunkDecoder()
    converted = convert(decoder.accumulator)
    return [(item, converted(item)) for item in decoder.iter_feed(BODY)]


def fed(accumulator: StreamAccumulator, items: Iterable[T]) -> Iterator[T]:
    """Each item, added to ``accumulator`` first: what a stream does before handing it out."""
    for item in items:
        accumulator.add(item)  # type: ignore[arg-type]
        yield item
