"""Anyfast for LlamaIndex: ``from llama_index_anyfast import Anyfast``."""

from ._convert import USAGE_KEYS
from ._llm import Anyfast
from ._warnings import AnyfastThinkingWarning

__all__ = ["USAGE_KEYS", "Anyfast", "AnyfastThinkingWarning"]
