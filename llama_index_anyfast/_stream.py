"""Sans-I/O stream conversion: wire chunks in, LlamaIndex ``ChatResponse`` objects out.

One ``ChatResponse`` per wire chunk that carries something (answer text, reasoning, a
tool-call piece, the finish reason or usage); chunks that carry nothing yield nothing.
Each response holds the cumulative blocks, as LlamaIndex streams expect, but a block is
rebuilt only when its part of the answer changed, and blocks are built without
re-validation: the per-chunk cost is one string append and a handful of small objects.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from anyfast_client import (
    ChatCompletionChunk,
    Delta,
    FunctionCall,
    ToolCall,
    ToolCallDelta,
    Usage,
    merge_tool_call_delta,
    warn_if_budget_spent,
)

from ._caller import user_stacklevel
from ._response import reasoning_tokens, tool_call_dicts, tool_kwargs, usage_to_kwargs

__all__ = ["ChatStreamConverter"]

_EMPTY = Delta()


class ChatStreamConverter:
    """Turns the chunks of one streamed completion into ``ChatResponse`` objects."""

    __slots__ = (
        "_call_dicts",
        "_calls",
        "_reasoning",
        "_text",
        "_text_block",
        "_thinking_block",
        "_tool_blocks",
        "finish_reason",
        "usage",
    )

    def __init__(self) -> None:
        self._text = ""
        self._reasoning = ""
        self._calls: dict[int, ToolCall] = {}
        self._text_block = TextBlock.model_construct(text="")
        self._thinking_block: ThinkingBlock | None = None
        self._tool_blocks: list[ToolCallBlock] = []
        self._call_dicts: list[dict[str, Any]] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None

    @property
    def text(self) -> str:
        return self._text

    @property
    def reasoning(self) -> str:
        return self._reasoning

    def feed(self, chunk: ChatCompletionChunk) -> ChatResponse | None:
        """The response for this chunk, or None when the chunk carries nothing."""
        choice = chunk.choices[0] if chunk.choices else None
        delta = choice.delta if choice is not None else _EMPTY
        extra: dict[str, Any] = {}
        changed = self._add_text(delta.content)
        if self._add_reasoning(delta.reasoning_content):
            extra["thinking_delta"] = delta.reasoning_content
        changed |= self._add_tool_calls(delta.tool_calls)
        if choice is not None and choice.finish_reason is not None:
            extra["finish_reason"] = self._finish(choice.finish_reason)
        if chunk.usage is not None:
            extra |= self._add_usage(chunk.usage)
        if not (changed or extra):
            return None
        return self._response(chunk, delta.content or "", extra)

    def _add_text(self, piece: str | None) -> bool:
        if not piece:
            return False
        self._text += piece
        self._text_block = TextBlock.model_construct(text=self._text)
        return True

    def _add_reasoning(self, piece: str | None) -> bool:
        if not piece:
            return False
        self._reasoning += piece
        self._thinking_block = None
        return True

    def _add_tool_calls(self, deltas: list[ToolCallDelta] | None) -> bool:
        if not deltas:
            return False
        for delta in deltas:
            call = self._calls.get(delta.index)
            if call is None:
                call = self._calls[delta.index] = ToolCall(function=FunctionCall())
            merge_tool_call_delta(call, delta)
        self._tool_blocks = self._build_tool_blocks(final=False)
        self._call_dicts = tool_call_dicts([self._calls[i] for i in sorted(self._calls)])
        return True

    def _finish(self, finish_reason: str) -> str:
        self.finish_reason = finish_reason
        if self._calls:
            self._tool_blocks = self._build_tool_blocks(final=True)
        warn_if_budget_spent(
            finish_reason,
            thinking=bool(self._reasoning),
            answered=bool(self._text or self._calls),
            stacklevel=user_stacklevel(),
        )
        return finish_reason

    def _add_usage(self, usage: Usage) -> dict[str, int]:
        self.usage = usage
        self._thinking_block = None  # num_tokens is known now
        return usage_to_kwargs(usage)

    def _build_tool_blocks(self, *, final: bool) -> list[ToolCallBlock]:
        # While streaming the arguments are partial JSON, left as text; once the call
        # is complete they are parsed, as in a non-streamed answer.
        return [
            ToolCallBlock.model_construct(
                tool_call_id=call.id or None,
                tool_name=call.function.name,
                tool_kwargs=tool_kwargs(call.function.arguments)
                if final
                else call.function.arguments,
            )
            for _, call in sorted(self._calls.items())
        ]

    def _blocks(self) -> list[ContentBlock]:
        blocks: list[ContentBlock] = []
        if self._reasoning:
            if self._thinking_block is None:
                self._thinking_block = ThinkingBlock.model_construct(
                    content=self._reasoning, num_tokens=reasoning_tokens(self.usage)
                )
            blocks.append(self._thinking_block)
        blocks.append(self._text_block)
        blocks.extend(self._tool_blocks)
        return blocks

    def _response(
        self, chunk: ChatCompletionChunk, delta: str, extra: dict[str, Any]
    ) -> ChatResponse:
        extra_message = {"tool_calls": self._call_dicts} if self._call_dicts else {}
        message = ChatMessage.model_construct(
            role=MessageRole.ASSISTANT, blocks=self._blocks(), additional_kwargs=extra_message
        )
        return ChatResponse.model_construct(
            message=message, delta=delta, raw=chunk, additional_kwargs=extra
        )
