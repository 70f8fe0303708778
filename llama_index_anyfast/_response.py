"""Pure converters from Anyfast wire responses to LlamaIndex objects.

:class:`ChatCompletion` -> :func:`completion_to_chat_response` -> ``ChatResponse``;
streamed chunks go through ``_stream``. What the response means (which choice
answers, the usage counts, tool arguments) comes from ``anyfast_client._response``.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ContentBlock,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from anyfast_client import ChatCompletion, Choice, ResponseMessage, ToolCall, Usage
from anyfast_client._adapter import (
    USAGE_KEYS,
    parse_tool_arguments,
    primary_choice,
    reasoning_tokens,
    usage_counts,
)

__all__ = [
    "USAGE_KEYS",
    "completion_to_chat_response",
    "reasoning_tokens",
    "tool_call_block",
    "tool_call_dicts",
    "tool_kwargs",
    "usage_to_kwargs",
    "wire_message_to_chat_message",
]


def tool_kwargs(arguments: str) -> dict[str, Any] | str:
    """Arguments as a dict when they are a JSON object, else the text as it came."""
    args = parse_tool_arguments(arguments).args
    return arguments if args is None else args


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
    return usage_counts(usage)


def completion_to_chat_response(completion: ChatCompletion) -> ChatResponse:
    """The answering choice (index 0) as a ``ChatResponse``; the whole completion is ``raw``."""
    choice = primary_choice(completion)
    message = wire_message_to_chat_message(choice.message, reasoning_tokens(completion.usage))
    extra: dict[str, Any] = usage_to_kwargs(completion.usage)
    extra["finish_reason"] = choice.finish_reason
    return ChatResponse(
        message=message, raw=completion, additional_kwargs=extra, logprobs=token_logprobs(choice)
    )


def token_logprobs(choice: Choice) -> list[list[LogProb]] | None:
    """Each token's top candidates, when asked for (``logprobs``, ``top_logprobs``) and sent
    in OpenAI's shape, as LlamaIndex's OpenAI classes give them; else None."""
    sent = (choice.model_extra or {}).get("logprobs")
    tokens = sent.get("content") if isinstance(sent, dict) else None
    if not isinstance(tokens, list):
        return None
    try:
        read = [[_logprob(top) for top in token["top_logprobs"] or ()] for token in tokens]
    except (KeyError, TypeError, ValueError):  # a shape of some other server's own
        return None
    return [candidates for candidates in read if candidates]


def _logprob(top: dict[str, Any]) -> LogProb:
    return LogProb(token=top["token"], logprob=top["logprob"], bytes=top.get("bytes") or [])
