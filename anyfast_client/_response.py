"""What a response means, decided once for both adapters.

Which choice answers (index 0), the usage counts by name and by modality, tool
arguments parsed without ever raising, and the warning for an answer whose
token budget went on thinking.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, cast

from ._errors import AnyfastError
from ._models import ChatCompletion, ChatCompletionChunk, Choice, Usage
from ._request import warn_if_budget_spent
from ._template import TextDelta

__all__ = [
    "ANSWER_INDEX",
    "USAGE_KEYS",
    "ToolArguments",
    "answer_delta",
    "cached_tokens",
    "modality_counts",
    "parse_tool_arguments",
    "primary_choice",
    "reasoning_tokens",
    "require_choices",
    "total_tokens",
    "usage_counts",
    "warn_if_budget_spent_in",
]

#: The names of the usage counts. The three totals always come with a usage report;
#: the others only when the server sends them. ``cached_tokens`` overlaps the
#: text/image/video counts: do not add them up.
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


#: The streamed choice whose deltas make the answer, as :func:`primary_choice` picks
#: in a whole completion.
ANSWER_INDEX = 0


def answer_delta(item: ChatCompletionChunk | TextDelta) -> tuple[str, str, bool]:
    """What one streamed chunk (or its :class:`TextDelta`) adds to choice 0: its text, its
    reasoning, and whether it may change more than those (tool calls, a finish, usage)."""
    if type(item) is TextDelta:  # nearly every item of a stream
        if item.choice_index != ANSWER_INDEX:
            return "", "", False
        return item.content or "", item.reasoning_content or "", False
    chunk = cast(ChatCompletionChunk, item)
    choices = chunk.choices
    more = chunk.usage is not None
    if len(choices) == 1:  # nearly every chunk: no lists to build
        choice = choices[0]
        delta = choice.delta
        more = more or choice.finish_reason is not None or bool(delta.tool_calls)
        if choice.index != ANSWER_INDEX:
            return "", "", more
        return delta.content or "", delta.reasoning_content or "", more
    more = more or any(c.finish_reason is not None or c.delta.tool_calls for c in choices)
    deltas = [choice.delta for choice in choices if choice.index == ANSWER_INDEX]
    text = "".join(delta.content or "" for delta in deltas)
    return text, "".join(delta.reasoning_content or "" for delta in deltas), more


def require_choices(completion: ChatCompletion) -> ChatCompletion:
    """The completion, or a clear error when a 200 carried no choice to answer with."""
    if completion.choices:
        return completion
    raise AnyfastError(
        "The server answered with no choices, so there is no answer to return: "
        f"{completion.model_dump_json(exclude_defaults=True)[:200]!r}"
    )


def primary_choice(completion: ChatCompletion) -> Choice:
    """The choice that answers: index 0, or the lowest index when the server sent no 0.

    Choices are matched by their ``index``, not by their place in the list.
    """
    choices = require_choices(completion).choices
    return next((c for c in choices if c.index == 0), None) or min(choices, key=_index)


def _index(choice: Choice) -> int:
    return choice.index


def total_tokens(usage: Usage) -> int:
    """The total the server reported, or prompt plus completion when it sent none."""
    return usage.total_tokens or usage.prompt_tokens + usage.completion_tokens


def cached_tokens(usage: Usage | None) -> int | None:
    details = usage.prompt_tokens_details if usage is not None else None
    return details.cached_tokens if details is not None else None


def reasoning_tokens(usage: Usage | None) -> int | None:
    details = usage.completion_tokens_details if usage is not None else None
    return details.reasoning_tokens if details is not None else None


def modality_counts(usage: Usage | None) -> dict[str, int]:
    """Prompt tokens by kind (``text``, ``image``, ``video``), those the server sent."""
    details = usage.prompt_tokens_details if usage is not None else None
    if details is None:
        return {}
    counts = {"text": details.text_tokens, "image": details.image_tokens}
    counts["video"] = details.video_tokens
    return {kind: count for kind, count in counts.items() if count is not None}


def usage_counts(usage: Usage | None) -> dict[str, int]:
    """The usage report under :data:`USAGE_KEYS`; empty when the server sent none."""
    if usage is None:
        return {}
    counts = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": total_tokens(usage),
    }
    details = {
        "cached_tokens": cached_tokens(usage),
        **{f"{kind}_tokens": n for kind, n in modality_counts(usage).items()},
        "reasoning_tokens": reasoning_tokens(usage),
    }
    counts.update({key: value for key, value in details.items() if value is not None})
    return counts


_JSON_KINDS = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}


class ToolArguments(NamedTuple):
    """Parsed tool arguments: ``args`` when they are a JSON object, else ``error``."""

    args: dict[str, Any] | None
    error: str | None


def parse_tool_arguments(arguments: str) -> ToolArguments:
    """Arguments as a dict; never raises. Qwen sends "" for a tool without arguments."""
    if not arguments.strip():
        return ToolArguments({}, None)
    try:
        parsed = json.loads(arguments)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad JSON and integers too long to convert.
        return ToolArguments(None, f"The arguments are not valid JSON: {exc}")
    if not isinstance(parsed, dict):
        kind = _JSON_KINDS.get(type(parsed), "a number")
        return ToolArguments(None, f"The arguments must be a JSON object, not {kind}")
    return ToolArguments(parsed, None)


def warn_if_budget_spent_in(
    completion: ChatCompletion, *, enable_thinking: bool = False, stacklevel: int = 2
) -> None:
    """Warn when the answering choice stopped at ``length`` with nothing but thinking."""
    if not completion.choices:
        return
    choice = primary_choice(completion)
    message = choice.message
    warn_if_budget_spent(
        choice.finish_reason,
        thinking=enable_thinking or bool(message.reasoning_content),
        answered=bool(message.content or message.tool_calls),
        stacklevel=stacklevel + 1,
    )
