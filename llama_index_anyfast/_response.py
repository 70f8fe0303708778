"""Pure converters from Anyfast wire responses to LlamaIndex objects.

:class:`ChatCompletion` -> :func:`completion_to_chat_response` -> ``ChatResponse``;
streamed chunks go through ``_stream``. No I/O here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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

from anyfast_client import AnyfastError, ChatCompletion, ResponseMessage, ToolCall, Usage

__all__ = [
    "USAGE_KEYS",
    "completion_to_chat_response",
    "usage_to_kwargs",
    "wire_message_to_chat_message",
]

#: The keys of ``ChatResponse.additional_kwargs`` that carry token usage. The three totals
#: always come with a usage report; the others only when the server sends them.
#: ``cached_tokens`` overlaps the text/image/video counts: do not add them up.
USAGE_KEYS = (
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cached_tokens",
    "text_tokens",
    "image_tokens",
    "video_tokens",
    "reasoning_tokens",
)


# --------------------------------------------------------------------------- incoming


def tool_kwargs(arguments: str) -> dict[str, Any] | str:
    """Arguments as a dict when they are a JSON object; Qwen sends "" for no arguments."""
    if not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return arguments
    return parsed if isinstance(parsed, dict) else arguments


def tool_call_block(call: ToolCall, kwargs: dict[str, Any] | str) -> ToolCallBlock:
    return ToolCallBlock(
        tool_call_id=call.id or None, tool_name=call.function.name, tool_kwargs=kwargs
    )


def tool_call_dicts(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    """Tool calls the pre-block way, which LlamaIndex's streaming structured output still reads."""
    return [call.model_dump(include={"id", "type", "function"}) for call in calls]


def wire_message_to_chat_message(
    message: ResponseMessage, reasoning_tokens: int | None = None
) -> ChatMessage:
    """Blocks in the order the model made them: thinking, text, then tool calls."""
    blocks: list[ContentBlock] = []
    if message.reasoning_content:
        blocks.append(ThinkingBlock(content=message.reasoning_content, num_tokens=reasoning_tokens))
    blocks.append(TextBlock(text=message.content or ""))
    calls = message.tool_calls or []
    blocks.extend(tool_call_block(call, tool_kwargs(call.function.arguments)) for call in calls)
    extra = {"tool_calls": tool_call_dicts(calls)} if calls else {}
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def usage_to_kwargs(usage: Usage | None) -> dict[str, int]:
    """The usage report under :data:`USAGE_KEYS`; empty when the server sent none."""
    if usage is None:
        return {}
    counts = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    details: dict[str, int | None] = {}
    if usage.prompt_tokens_details is not None:
        prompt = usage.prompt_tokens_details
        details |= {
            "cached_tokens": prompt.cached_tokens,
            "text_tokens": prompt.text_tokens,
            "image_tokens": prompt.image_tokens,
            "video_tokens": prompt.video_tokens,
        }
    if usage.completion_tokens_details is not None:
        details["reasoning_tokens"] = usage.completion_tokens_details.reasoning_tokens
    counts.update({key: value for key, value in details.items() if value is not None})
    return counts


def reasoning_tokens(usage: Usage | None) -> int | None:
    details = usage.completion_tokens_details if usage is not None else None
    return details.reasoning_tokens if details is not None else None


def completion_to_chat_response(completion: ChatCompletion) -> ChatResponse:
    if not completion.choices:
        raise AnyfastError(f"The server answered with no choices (id {completion.id!r})")
    choice = completion.choices[0]
    message = wire_message_to_chat_message(choice.message, reasoning_tokens(completion.usage))
    extra: dict[str, Any] = usage_to_kwargs(completion.usage)
    extra["finish_reason"] = choice.finish_reason
    return ChatResponse(message=message, raw=completion, additional_kwargs=extra)
