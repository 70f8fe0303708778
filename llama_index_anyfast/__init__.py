"""Anyfast for LlamaIndex: ``from llama_index_anyfast import Anyfast``."""

from anyfast_client import AnyfastWarning

from ._llm import Anyfast
from ._response import USAGE_KEYS
from .embeddings import AnyfastEmbedding

__all__ = ["USAGE_KEYS", "Anyfast", "AnyfastEmbedding", "AnyfastWarning"]
