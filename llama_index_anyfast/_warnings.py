"""The warnings this package gives, all catchable as :class:`AnyfastThinkingWarning`."""

from __future__ import annotations

import warnings

__all__ = ["AnyfastThinkingWarning", "warn_if_budget_spent_thinking", "warn_thinking_off"]


class AnyfastThinkingWarning(UserWarning):
    """Thinking changed the outcome of a call: it was turned off, or it used up the budget."""


def warn_thinking_off(tool_choice: object) -> None:
    warnings.warn(
        f"Anyfast does not accept tool_choice={tool_choice!r} while thinking: "
        "enable_thinking is off for this call only.",
        AnyfastThinkingWarning,
        stacklevel=4,
    )


def warn_if_budget_spent_thinking(finish_reason: str | None, text: str, reasoning: str) -> None:
    """``length`` with reasoning but no answer: the token budget went on thinking."""
    if finish_reason == "length" and reasoning and not text:
        warnings.warn(
            "The answer is empty: the model used the whole token budget thinking. "
            "Raise max_tokens or set thinking_budget.",
            AnyfastThinkingWarning,
            stacklevel=2,
        )
