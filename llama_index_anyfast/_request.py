"""Building one :class:`ChatRequest` from the LLM's settings and a call's options.

Precedence: the LLM's fields, then its ``additional_kwargs``, then the call's keyword
arguments. Nothing here changes the LLM: every call gets its own merged dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage

from anyfast_client import ChatRequest, settle_request

from ._caller import user_stacklevel
from ._convert import messages_to_wire

__all__ = ["build_request", "resolve_tool_choice"]

# LlamaIndex says max_tokens; the wire says max_completion_tokens.
_ALIASES = {"max_tokens": "max_completion_tokens"}
_FIELDS = frozenset(ChatRequest.model_fields) - {"messages", "extra_body"}
_UNFORCED = ("auto", "none")


def resolve_tool_choice(tool_choice: str | dict[str, Any] | None, tool_required: bool) -> Any:
    """LlamaIndex's tool_choice forms as the wire's; a bare tool name forces that tool."""
    if tool_choice is None:
        return "required" if tool_required else None
    if isinstance(tool_choice, str) and tool_choice not in (*_UNFORCED, "required"):
        return {"type": "function", "function": {"name": tool_choice}}
    return tool_choice


def _split(options: Mapping[str, Any], *, strict: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Request fields and extra body entries; unknown names are an error when ``strict``."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in options.items():
        key = _ALIASES.get(name, name)
        if key in _FIELDS:
            fields[key] = value
        elif key == "extra_body":
            extra.update(value or {})
        elif strict:
            raise TypeError(
                f"Anyfast got an unknown option {name!r}; "
                "pass fields the API may accept in extra_body={...}"
            )
        else:
            extra[key] = value
    return fields, extra


def build_request(
    messages: Sequence[ChatMessage],
    settings: Mapping[str, Any],
    additional_kwargs: Mapping[str, Any],
    call_kwargs: Mapping[str, Any],
) -> ChatRequest:
    """``settings`` are the LLM's own fields (None means unset)."""
    fields, extra = _split({k: v for k, v in settings.items() if v is not None}, strict=True)
    more_fields, more_extra = _split(additional_kwargs, strict=False)
    call_fields, call_extra = _split(call_kwargs, strict=True)
    fields |= more_fields | call_fields
    fields = {name: value for name, value in fields.items() if value is not None}
    wire = messages_to_wire(messages, preserve_thinking=bool(fields.get("preserve_thinking")))
    request = ChatRequest(messages=wire, extra_body=extra | more_extra | call_extra, **fields)
    # What the API rejects while thinking (a forced tool, JSON output) gets an answer
    # with a warning, not a bare 400.
    return settle_request(request, stacklevel=user_stacklevel())
