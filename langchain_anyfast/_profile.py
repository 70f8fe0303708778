"""``ChatAnyfast().profile``: the core's model facts in LangChain's ``ModelProfile`` shape.

LangChain's middleware reads it: summarization takes ``max_input_tokens`` for fractional
limits, ``create_agent`` asks for structured output natively when ``structured_output``
is set. Keys the installed langchain-core does not declare are left out, so an older
one never warns about them; so are the ones nothing is known of (``status``,
``release_date``, ``last_updated``, ``open_weights``).
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast, get_type_hints

from langchain_core.language_models import ModelProfile

from anyfast_client._adapter import REASONING_EFFORTS, model_facts

__all__ = ["model_profile"]


def model_profile(model: str) -> ModelProfile | None:
    """The profile of ``model``; None for a model the core has no facts about."""
    facts = model_facts(model)
    if facts is None:
        return None
    values: dict[str, Any] = {
        "name": facts.name,
        "max_input_tokens": facts.max_input_tokens,
        "max_output_tokens": facts.max_output_tokens,
        "text_inputs": True,
        "image_inputs": facts.image_inputs,
        "image_url_inputs": facts.image_inputs,
        "video_inputs": facts.video_inputs,
        "audio_inputs": False,
        "pdf_inputs": False,
        "image_tool_message": False,
        "pdf_tool_message": False,
        "attachment": False,
        "text_outputs": True,
        "image_outputs": False,
        "audio_outputs": False,
        "video_outputs": False,
        "reasoning_output": facts.reasoning,
        "tool_calling": facts.tool_calling,
        "tool_choice": facts.tool_choice,
        "tool_call_streaming": facts.tool_calling,
        "structured_output": facts.structured_output,
        # A system message later in the conversation is sent where it sits (_convert); tools
        # go only in the request's tool list.
        "mid_conversation_system_messages": True,
        "mid_conversation_tools": False,
        "temperature": True,
    }
    if facts.reasoning:
        # What ``reasoning_effort`` takes here; thinking is off unless asked for.
        values["reasoning_effort_levels"] = list(REASONING_EFFORTS)
        values["reasoning_effort_default"] = "none"
    declared = _declared_keys()
    return cast(ModelProfile, {key: value for key, value in values.items() if key in declared})


@cache
def _declared_keys() -> frozenset[str]:
    return frozenset(get_type_hints(ModelProfile))
