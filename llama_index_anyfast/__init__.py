"""Anyfast for LlamaIndex: ``from llama_index_anyfast import Anyfast``."""

from anyfast_client import AnyfastWarning

try:
    from ._llm import Anyfast
except ModuleNotFoundError as error:  # the extra is optional in this distribution
    if not (error.name or "").startswith("llama_index"):
        raise
    message = (
        "llama_index_anyfast needs the llama-index extra: "
        "pip install 'anyfast-integrations[llama-index]'"
    )
    raise ModuleNotFoundError(message, name=error.name) from error
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
