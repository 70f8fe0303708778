"""Sans-I/O stream conversion: wire chunks in, LlamaIndex ``ChatResponse`` objects out.

The chunks are merged by the core's :class:`StreamAccumulator`; this module only
reads the answering choice (index 0) back out of it. One ``ChatResponse`` per wire
chunk that changes something (answer text, reasoning, a tool-call delta, the finish
reason or usage); chunks that change nothing yield nothing. Each response holds the
cumulative blocks, as LlamaIndex streams expect, and the finish reason and latest
usage once known. A block is rebuilt only when its part of the answer changed, and
blocks are built without re-validation.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from anyfast_client import ChatCompletionChunk, ToolCall, Usage
from anyfast_client._adapter import (
    ANSWER_INDEX,
    Constructor,
    StreamAccumulator,
    StreamItem,
    TextDelta,
    answer_delta,
    warn_if_budget_spent_in,
)

from ._caller import user_stacklevel
from ._response import (
    USAGE_KEYS,
    reasoning_tokens,
    tool_call_dicts,
    tool_kwargs,
    usage_to_kwargs,
)

__all__ = ["ChatStreamConverter"]

# TextBlock is built validated: skipping validation saves next to nothing on it (0.3 µs).
_thinking_block = Constructor(ThinkingBlock).taking("content", "num_tokens")
_tool_call_block = Constructor(ToolCallBlock).taking("tool_call_id", "tool_name", "tool_kwargs")
_chat_message = Constructor(ChatMessage).taking("role", "blocks", "additional_kwargs")
_ASSISTANT = MessageRole.ASSISTANT
_chat_response = Constructor(ChatResponse).taking("message", "delta", "raw", "additional_kwargs")


class _Progress(NamedTuple):
    """What the answer holds so far, in sizes: a change means a response is due."""

    text: int
    reasoning: int
    calls: tuple[tuple[str, str, int], ...]
    finish: str | None
    usage: Usage | None


class ChatStreamConverter:
    """Turns the chunks of one streamed completion into ``ChatResponse`` objects.

    It reads a core :class:`StreamAccumulator` that holds each chunk by the time the
    chunk is fed here: the stream's own (``stream.accumulator``), or, for chunks of
    your own, one you add each chunk to first.
    """

    __slots__ = (
        "_call_dicts",
        "_extra",
        "_index",
        "_last",
        "_text_block",
        "_thinking_block",
        "_tool_blocks",
        "accumulator",
        "enable_thinking",
    )

    def __init__(self, accumulator: StreamAccumulator, *, enable_thinking: bool = False) -> None:
        self.accumulator = accumulator
        self.enable_thinking = enable_thinking
        # The answer's sizes after the last chunk: text and reasoning lengths, then
        # the rest of the progress (calls, finish reason, usage).
        self._last: list[Any] = [0, 0, (), None, None]
        # The answering choice: 0 while streaming; see close().
        self._index = ANSWER_INDEX
        self._text_block = TextBlock(text="")
        self._thinking_block: ThinkingBlock | None = None
        self._tool_blocks: list[ToolCallBlock] = []
        self._call_dicts: list[dict[str, Any]] = []
        self._extra: dict[str, Any] = {}

    @property
    def text(self) -> str:
        state = self.accumulator.choice(self._index)
        return state.content.getvalue() if state is not None else ""

    @property
    def reasoning(self) -> str:
        state = self.accumulator.choice(self._index)
        return state.reasoning.getvalue() if state is not None else ""

    @property
    def finish_reason(self) -> str | None:
        state = self.accumulator.choice(self._index)
        return state.finish_reason if state is not None else None

    def feed(self, item: StreamItem) -> ChatResponse | None:
        """The response for one chunk (or its text delta), None when it changes nothing."""
        text, thinking, more = answer_delta(item)
        if more:  # tool calls, a finish reason or usage may have changed too
            if not self._advance():
                return None
        elif text or thinking:  # nearly every chunk: only the text grew
            self._take_text(text, thinking)
        else:
            return None  # nothing for the answer (another choice, an empty delta)
        extra = dict(self._extra) if self._extra else {}
        if thinking:
            extra["thinking_delta"] = thinking
        # A text delta's chunk is built now: the response hands it out as ``raw``.
        raw = item.chunk() if type(item) is TextDelta else cast(ChatCompletionChunk, item)
        return self._response(raw, text, extra)

    def close(self) -> ChatResponse | None:
        """After the last chunk: for a stream that had no choice 0, its answer whole.

        That is the choice with the lowest index, as in a whole completion; None when
        choice 0 came (its responses were handed out as it streamed).
        """
        index = self.accumulator.answer_index()
        if index == self._index:
            return None
        self._index = index
        if not self._advance():
            return None
        extra = dict(self._extra)
        if self._last[1]:
            extra["thinking_delta"] = self.reasoning
        return self._response(None, self.text, extra)

    def _advance(self) -> bool:
        """Take in what the answer gained since the last response; whether it gained anything."""
        before = _Progress(*self._last)
        after = self._progress()
        self._last[:] = after
        if after == before:
            return False
        self._update_blocks(before, after)
        return True

    def _take_text(self, text: str, thinking: str) -> None:
        """Take in a chunk that added only ``text`` and ``thinking`` to the answer."""
        state = self.accumulator.choice(ANSWER_INDEX)
        if state is None:
            raise ValueError("the accumulator must hold each chunk before it is fed here")
        if text:
            self._last[0] = state.content.tell()
            self._text_block = TextBlock(text=state.content.getvalue())
        if thinking:
            self._last[1] = state.reasoning.tell()
            self._thinking_block = None  # rebuilt with the new text when needed

    def _progress(self) -> _Progress:
        state = self.accumulator.choice(self._index)
        usage = self.accumulator.usage
        if state is None:
            return _Progress(0, 0, (), None, usage)
        calls = tuple((c.id, c.function.name, len(c.function.arguments)) for c in state.tool_calls)
        return _Progress(
            state.content.tell(), state.reasoning.tell(), calls, state.finish_reason, usage
        )

    def _update_blocks(self, before: _Progress, after: _Progress) -> None:
        if after.text != before.text:
            self._text_block = TextBlock(text=self.text)
        if after.reasoning != before.reasoning or after.usage is not before.usage:
            self._thinking_block = None  # rebuilt with the new text or token count
        if after.usage is not before.usage:
            # The latest report replaces the earlier one whole: never a mix of two.
            for key in USAGE_KEYS:
                self._extra.pop(key, None)
            self._extra.update(usage_to_kwargs(after.usage))
        if after.calls != before.calls or after.finish != before.finish:
            self._rebuild_calls(final=after.finish is not None)
        if after.finish != before.finish:  # the latest, as the core's accumulator keeps
            self._extra["finish_reason"] = after.finish
        if after.finish is not None and before.finish is None:
            warn_if_budget_spent_in(
                self.accumulator.result(),
                enable_thinking=self.enable_thinking,
                stacklevel=user_stacklevel(),
            )

    def _calls(self) -> list[ToolCall]:
        state = self.accumulator.choice(self._index)
        return state.tool_calls if state is not None else []

    def _rebuild_calls(self, *, final: bool) -> None:
        # While streaming the arguments are partial JSON, left as text; once the call
        # is complete they are parsed, as in a non-streamed answer.
        calls = self._calls()
        self._tool_blocks = [
            _tool_call_block(
                tool_call_id=call.id or None,
                tool_name=call.function.name,
                tool_kwargs=tool_kwargs(call.function.arguments)
                if final
                else call.function.arguments,
            )
            for call in calls
        ]
        self._call_dicts = tool_call_dicts(calls)

    def _blocks(self) -> list[ContentBlock]:
        if not self._last[1]:  # no reasoning
            return (
                [self._text_block, *self._tool_blocks] if self._tool_blocks else [self._text_block]
            )
        if self._thinking_block is None:
            self._thinking_block = _thinking_block(
                content=self.reasoning, num_tokens=reasoning_tokens(self.accumulator.usage)
            )
        return [self._thinking_block, self._text_block, *self._tool_blocks]

    def _response(
        self, chunk: ChatCompletionChunk | None, delta: str, extra: dict[str, Any]
    ) -> ChatResponse:
        extra_message = {"tool_calls": self._call_dicts} if self._call_dicts else {}
        message = _chat_message(
            role=_ASSISTANT, blocks=self._blocks(), additional_kwargs=extra_message
        )
        return _chat_response(message=message, delta=delta, raw=chunk, additional_kwargs=extra)
