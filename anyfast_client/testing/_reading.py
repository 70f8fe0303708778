"""What the simulation reads in a prompt: content words, names, codes, numbers, passages.

Crude on purpose: enough for a question to steer its own answer, never a language model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TERM = re.compile(r"[a-z0-9]+")
_NAME = re.compile(r"[A-Z][\w'-]*(?:[ \t]+[A-Z][\w'-]*)*")
_CODE = re.compile(r"\b[A-Z]{3}\b")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_QUERY = re.compile(r"(?:Query|Question):\s*(.+?)\s*(?:\n\s*Answer:.*)?$", re.S | re.I)
_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SENTENCE = re.compile(r"[^.?!\n]+[.?!]?")
_ASKED = re.compile(
    r"\b(?:which|what|whose|how\s+many|how\s+much)\s+(?:(?:is|are|was|were)\s+)?"
    r"(?:(?:the|a|an)\s+)?([a-z]+)",
    re.I,
)
_KEYS = re.compile(r"\b(?:keys?|fields?|properties)\b:?([^.?!:;\n]*)", re.I)
_KEY_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
_IDENTIFIER = re.compile(r"[`'\"]?([A-Za-z_]\w*)[`'\"]?")
_CONTRACTION = re.compile(r"['\u2019](?:s|re|ve|ll|d|m|t)$", re.I)
# An apostrophe inside a word ("What's") opens no quote: the mark must not follow a letter.
_QUOTED = re.compile(
    r"(?<!\w)[\"'\u201c\u2018]([^\"'\u201c\u201d\u2018\u2019\n]{1,80})[\"'\u201d\u2019](?!\w)"
)

STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        """a an the and or but if of in on at to for from by with about as into than then so
        is are was were be been being am do does did done have has had can could will would
        shall should may might must what which who whom whose why how when where there here
        this that these those it its i you he she we they me my your our their his her them
        us not no yes please tell name give say one two sentence sentences answer question
        query use call using only just some any all also very much many more most extract
        list find show get describe explain write summarise summarize translate json""",
    )
)


def terms(text: str) -> list[str]:
    """Lower-case content words, plural 's' dropped, stopwords left out."""
    words = (
        word.removesuffix("s") if len(word) > 3 else word for word in _TERM.findall(text.lower())
    )
    return [word for word in words if word not in STOPWORDS]


def field_terms(name: str) -> list[str]:
    """The words of a field or tool name: ``get_weather`` and ``getWeather`` are get, weather."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
    return [word.lower() for word in spaced.split() if word]


def mentions(term: str, words: set[str]) -> bool:
    """``term`` is among ``words``, or starts one of three letters or more ("age", "aged")."""
    return term in words or (len(term) >= 3 and any(word.startswith(term) for word in words))


def asked(text: str) -> set[str]:
    """What a question asks for: "Which city has..." a city, "What is the height of..." height."""
    return {term for match in _ASKED.finditer(text) for term in terms(match.group(1))}


def key_names(text: str) -> list[str]:
    """Key names a prompt asks for: quoted words, else those listed after "keys" or "fields"."""
    quoted = re.findall(r"([`'\"])([A-Za-z_]\w*)\1", text)
    if quoted:
        return list(dict.fromkeys(word for _, word in quoted))
    found: list[str] = []
    for match in _KEYS.finditer(text):
        for chunk in _KEY_SPLIT.split(match.group(1).strip()):
            words = chunk.split()
            key = _IDENTIFIER.fullmatch(words[0]) if words else None
            if key is None:
                break
            found.append(key.group(1))
            if len(words) > 1:
                break
    return list(dict.fromkeys(found))


def without_key_names(text: str) -> str:
    """The prompt less its list of key names, which say nothing about the values."""
    text = re.sub(r"([`'\"])[A-Za-z_]\w*\1", " ", text)
    return _KEYS.sub(" ", text)


def overlap(question: str, passage: str) -> int:
    return len(set(terms(question)) & set(terms(passage)))


def names(text: str) -> list[str]:
    """Capitalised phrases ("Lisbon", "New York") in the order written, function words left out.

    A sentence's first word is capitalised whatever it is ("What's", "Check"): a phrase
    starting a sentence comes after the names inside sentences, as a last resort.
    """
    inside: list[str] = []
    opening: list[str] = []
    for match in _NAME.finditer(text):
        words = match.group().split()
        kept = [w for w in words if not _is_function_word(w)]
        if not kept or _CODE.fullmatch(kept[0]):
            continue
        starts = kept[0] == words[0] and _starts_sentence(text, match.start())
        (opening if starts else inside).append(" ".join(kept))
    return list(dict.fromkeys(inside + opening))


def quoted(text: str) -> list[str]:
    """Phrases in quotes ("apple", 'New York'): what a prompt quotes, it means as written."""
    return [phrase.strip() for phrase in _QUOTED.findall(text) if phrase.strip()]


def _is_function_word(word: str) -> bool:
    return _CONTRACTION.sub("", word).lower() in STOPWORDS


def _starts_sentence(text: str, start: int) -> bool:
    # A bounded look back keeps a long prompt with many names linear.
    before = text[max(0, start - 64) : start].rstrip(" \t\"'(")
    return not before or before[-1] in ".?!\n"


def codes(text: str) -> list[str]:
    """Three-letter upper-case codes, as currencies and airports are written."""
    return list(dict.fromkeys(_CODE.findall(text)))


def numbers(text: str) -> list[int | float]:
    return [float(n) if "." in n else int(n) for n in _NUMBER.findall(text)]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def question_of(text: str) -> str:
    """The question in a prompt: after "Query:" in a RAG template, else the first question."""
    match = _QUERY.search(text)
    if match is not None:
        return match.group(1).strip()
    asked = [s for s in sentences(text) if s.endswith("?")]
    return asked[0] if asked else text.strip()


@dataclass(frozen=True)
class Passage:
    text: str
    shared: int


def best_passage(question: str, candidates: Iterable[str]) -> Passage | None:
    """The candidate sharing most content words with the question; the first wins a tie."""
    best: Passage | None = None
    for candidate in candidates:
        shared = overlap(question, candidate)
        if (
            shared
            and candidate.strip() != question.strip()
            and (best is None or shared > best.shared)
        ):
            best = Passage(candidate.strip(), shared)
    return best


def passages(text: str) -> list[str]:
    """The lines of a context block, and the sentences of long lines."""
    found: list[str] = []
    for line in text.splitlines():
        line = _MARKER.sub("", line).strip()
        if line:
            found += sentences(line) if len(line) > 200 else [line]
    return found
