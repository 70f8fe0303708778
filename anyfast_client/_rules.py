"""Combinations the API rejects, settled before the request goes out.

Upstream refuses a forced tool choice and JSON output while thinking, and JSON
mode without the word "json" in the prompt. A user who asks for one of these
gets an answer, with a warning saying what changed, rather than a bare 400.
"""

from __future__ import annotations

import warnings

from ._models import ChatRequest, Message, SystemMessage, TextPart

__all__ = [
    "AnyfastWarning",
    "settle_request",
    "thinking_conflict",
    "warn_if_budget_spent",
]

_UNFORCED_TOOL_CHOICES = (None, "auto", "none")
_JSON_NOTE = "Respond in JSON."
BUDGET_SPENT = (
    "The answer is empty because the token budget (max_tokens) went to thinking: "
    "raise max_tokens, set a thinking_budget, or turn enable_thinking off."
)


class AnyfastWarning(UserWarning):
    """Something about a call the user should know, such as thinking turned off for it."""


def thinking_conflict(request: ChatRequest) -> str | None:
    """Why thinking must be off for this request, if upstream would reject it."""
    if not request.enable_thinking:
        return None
    if request.tool_choice not in _UNFORCED_TOOL_CHOICES:
        return f"tool_choice={request.tool_choice!r}"
    response_format = request.response_format or {}
    if response_format.get("type", "text") != "text":
        return f"response_format {response_format.get('type')!r}"
    return None


def settle_request(request: ChatRequest, *, stacklevel: int = 2) -> ChatRequest:
    """The request the API will accept for what the user asked; the input stays as it was."""
    conflict = thinking_conflict(request)
    if conflict is not None:
        warnings.warn(
            f"Thinking is turned off for this call: Anyfast does not allow {conflict} "
            "while thinking.",
            AnyfastWarning,
            stacklevel=stacklevel + 1,
        )
        request = request.model_copy(update={"enable_thinking": False})
    if _json_object(request) and not any(_mentions_json(m) for m in request.messages):
        request = request.model_copy(update={"messages": _with_json_note(request.messages)})
    return request


def warn_if_budget_spent(
    finish_reason: str | None, *, thinking: bool, answered: bool, stacklevel: int = 2
) -> None:
    """``length`` with no answer while thinking: the budget went on reasoning."""
    if thinking and finish_reason == "length" and not answered:
        warnings.warn(BUDGET_SPENT, AnyfastWarning, stacklevel=stacklevel + 1)


def _json_object(request: ChatRequest) -> bool:
    return (request.response_format or {}).get("type") == "json_object"


def _mentions_json(message: Message) -> bool:
    content = message.content
    if isinstance(content, str):
        return "json" in content.lower()
    return any(isinstance(p, TextPart) and "json" in p.text.lower() for p in content or ())


def _with_json_note(messages: list[Message]) -> list[Message]:
    """JSON mode needs the word "json" in the prompt: a system line says it."""
    first = messages[0]
    if isinstance(first, SystemMessage) and isinstance(first.content, str):
        return [SystemMessage(content=f"{first.content}\n\n{_JSON_NOTE}"), *messages[1:]]
    return [SystemMessage(content=_JSON_NOTE), *messages]
