"""One call's request plan: LlamaIndex's layers of settings handed to the core.

Precedence: the LLM's fields, then its ``additional_kwargs``, then the call's keyword
arguments, then the call's ``extra_body``. Nothing here changes the LLM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage

from anyfast_client._adapter import (
    Layer,
    Plan,
    check_forced_tool_thinking,
    plan_chat_request,
)

from ._caller import user_stacklevel
from ._convert import messages_to_wire

__all__ = ["CONTROL_KEYWORDS", "build_plan"]

#: Keywords LlamaIndex's tool-calling helpers and agents pass through ``chat``: they
#: steer the call (and are read by ``_prepare_chat_with_tools``), never sent.
CONTROL_KEYWORDS = frozenset(
    {"tool_required", "allow_parallel_tool_calls", "verbose", "forced_tool_thinking"}
)


def build_plan(
    messages: Sequence[ChatMessage],
    settings: Mapping[str, Any],
    additional_kwargs: Mapping[str, Any],
    call_kwargs: Mapping[str, Any],
    mode: object,
) -> Plan:
    """The request(s) for one call (``_forced``); ``mode`` is ``forced_tool_thinking``."""
    return plan_chat_request(
        lambda preserve: messages_to_wire(messages, preserve_thinking=preserve),
        [
            Layer(settings, strict=True, where="Anyfast"),
            Layer(additional_kwargs),
            Layer(call_kwargs, strict=True, where="Anyfast call", ignore=CONTROL_KEYWORDS),
        ],
        check_forced_tool_thinking(call_kwargs.get("forced_tool_thinking", mode)),
        stacklevel=user_stacklevel(),
    )
