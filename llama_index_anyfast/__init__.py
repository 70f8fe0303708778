"""Anyfast for LlamaIndex: ``from llama_index_anyfast import Anyfast``."""

from anyfast_client import AnyfastWarning

from ._llm import Anyfast
from ._response import USAGE_KEYS
from ._tokens import anyfast_tokenizer, anyfast_tokenizer_for
from .embeddings import AnyfastEmbedding

__all__ = [
    "USAGE_KEYS",
    "Anyfast",
    "AnyfastEmbedding",
    "AnyfastWarning",
    "anyfast_tokenizer",
    "anyfast_tokenizer_for",
]
