"""Standard content blocks for Anyfast messages (``content_blocks``, ``output_version="v1"``).

Registered with langchain-core for ``response_metadata["model_provider"] == "anyfast"``.
Streamed blocks carry their own ``index`` ("lc_rs", "lc_txt", "lc_tc_<n>"): langchain-core
numbers unindexed blocks 0, 1... by kind, and a tool call's wire index (0, 1...) would
otherwise merge it into the reasoning or text block that got the same number.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from ._response import PROVIDER

__all__ = ["translate_content", "translate_content_chunk"]


def _reasoning(message: AIMessage, index: str | None) -> list[types.ContentBlock]:
    reasoning = message.additional_kwargs.get("reasoning_content")
    if not isinstance(reasoning, str) or not reasoning:
        return []
    block = types.ReasoningContentBlock(type="reasoning", reasoning=reasoning)
    if index is not None:
        block["index"] = index
    return [block]


def _text(text: str, index: str | None) -> list[types.ContentBlock]:
    if not text:
        return []
    block = types.TextContentBlock(type="text", text=text)
    if index is not None:
        block["index"] = index
    return [block]


def _calls(message: AIMessage) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = [
        types.ToolCall(type="tool_call", id=call.get("id"), name=call["name"], args=call["args"])
        for call in message.tool_calls
    ]
    blocks += [
        types.InvalidToolCall(
            type="invalid_tool_call",
            id=call.get("id"),
            name=call.get("name"),
            args=call.get("args"),
            error=call.get("error"),
        )
        for call in message.invalid_tool_calls
    ]
    return blocks


def _call_chunks(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    return [
        types.ToolCallChunk(
            type="tool_call_chunk",
            id=call.get("id"),
            name=call.get("name"),
            args=call.get("args"),
            index=f"lc_tc_{call.get('index') or 0}",
        )
        for call in chunk.tool_call_chunks
    ]


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Reasoning first, then the text, then the tool calls."""
    if not isinstance(message.content, str):
        raise NotImplementedError  # langchain-core's best-effort parsing takes over
    return [*_reasoning(message, None), *_text(message.content, None), *_calls(message)]


def translate_content_chunk(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    """One streamed chunk's blocks; an aggregated stream reads like a whole message."""
    if chunk.chunk_position == "last":
        return translate_content(chunk)
    if not isinstance(chunk.content, str):
        raise NotImplementedError
    return [*_reasoning(chunk, "lc_rs"), *_text(chunk.content, "lc_txt"), *_call_chunks(chunk)]


register_translator(PROVIDER, translate_content, translate_content_chunk)
