"""A tokenizer for LlamaIndex (``Settings.tokenizer``, memory, splitters), offline.

``anyfast_tokenizer`` counts for the default model; :func:`anyfast_tokenizer_for` for another.
Both are plain functions, so pipelines that pickle them to worker processes keep working.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from anyfast_client import DEFAULT_MODEL
from anyfast_client._adapter import token_ids

__all__ = ["anyfast_tokenizer", "anyfast_tokenizer_for"]


def anyfast_tokenizer(text: str) -> list[int]:
    """Token ids of ``text`` for ``qwen3.6-flash`` (see ``anyfast_client._tokens``)."""
    return token_ids(text, model=DEFAULT_MODEL)


def anyfast_tokenizer_for(model: str) -> Callable[[str], list[int]]:
    """A tokenizer for ``model``, in the shape ``Settings.tokenizer`` takes."""
    return partial(token_ids, model=model)
