"""What is known of each model, in one table both adapters read.

LangChain's ``ChatAnyfast().profile`` and LlamaIndex's ``Anyfast().metadata`` are built
from it, so the two never disagree. A model not in the table gets no claims: no profile
in LangChain, LlamaIndex's own cautious defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["MODEL_FACTS", "ModelFacts", "model_facts"]


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """One model's limits and what it takes and gives; False where it cannot."""

    name: str
    max_input_tokens: int
    max_output_tokens: int
    image_inputs: bool = False
    video_inputs: bool = False
    reasoning: bool = False
    tool_calling: bool = False
    tool_choice: bool = False
    structured_output: bool = False


MODEL_FACTS: Mapping[str, ModelFacts] = {
    # Anyfast's model page: 1M-token context, up to 65,536 output tokens, text, image and
    # video input; thinking; function calling. A forced tool choice and JSON output while
    # thinking are asked for in a way upstream accepts (see ``_forced``).
    "qwen3.6-flash": ModelFacts(
        name="Qwen 3.6 Flash",
        max_input_tokens=1_000_000,
        max_output_tokens=65_536,
        image_inputs=True,
        video_inputs=True,
        reasoning=True,
        tool_calling=True,
        tool_choice=True,
        structured_output=True,
    ),
}


def model_facts(model: str) -> ModelFacts | None:
    """The facts of ``model``, or None for a model this package knows nothing of."""
    return MODEL_FACTS.get(model)
