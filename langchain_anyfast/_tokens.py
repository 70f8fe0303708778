"""LangChain messages laid out as ``(role, text)`` turns for the core's offline token counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, convert_to_messages
from langchain_core.utils.function_calling import convert_to_openai_tool

from anyfast_client._adapter import count_chat_tokens

__all__ = ["count_message_tokens"]

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def count_message_tokens(
    messages: Sequence[BaseMessage], tools: Sequence[Any] | None, *, model: str
) -> int:
    """Prompt tokens of ``messages``, with ``tools``' schemas as a leading system turn.

    Messages may be written as ``invoke`` takes them (``("user", "hi")``, dicts)."""
    turns = [_turn(message) for message in convert_to_messages(messages)]
    if tools:
        schemas = [convert_to_openai_tool(tool) for tool in tools]
        turns.insert(0, ("system", json.dumps(schemas, ensure_ascii=False)))
    return count_chat_tokens(turns, model=model)


def _turn(message: BaseMessage) -> tuple[str, str]:
    text = str(message.text)
    if isinstance(message, AIMessage) and message.tool_calls:
        calls = [{"name": call["name"], "arguments": call["args"]} for call in message.tool_calls]
        text += json.dumps(calls, ensure_ascii=False)
    return _ROLES.get(message.type, message.type), text
