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

STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        """a an the and or but if of in on at to for from by with about as into than then so
        is are was were be been being am do does did done have has had can could will would
        shall should may might must what which who whom whose why how when where there here
        this that these those it its i you he she we they me my your our their his her them
        us not no yes please tell name give say one two sentence sentences answer question
        query use call using only just some any all also very much many more most extract
        list find show get describe explain write summarise summarize translate""",
    )
)


def terms(text: str) -> list[str]:
    """Lower-case content words, plural 's' dropped, stopwords left out."""
    words = (
        word.removesuffix("s") if len(word) > 3 else word for word in _TERM.findall(text.lower())
    )
    return [word for word in words if word not in STOPWORDS]


def overlap(question: str, passage: str) -> int:
    return len(set(terms(question)) & set(terms(passage)))


def names(text: str) -> list[str]:
    """Capitalised phrases ("Lisbon", "New York"), without capitalised function words."""
    found = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group().split() if w.lower() not in STOPWORDS]
        if words and not _CODE.fullmatch(words[0]):
            found.append(" ".join(words))
    return list(dict.fromkeys(found))


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
