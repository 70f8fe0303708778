"""Thinking sent inside ``<think>…</think>`` at the start of the answer, split off.

Some servers (llama.cpp's ``--reasoning-format none``, plain chat templates behind a
gateway) leave the model's thinking in ``content``, wrapped in ``<think>`` tags, instead
of sending it as ``reasoning_content``. :class:`ThinkTagSplitter` is a sans-I/O state
machine for one choice: it takes the content in parts, cut anywhere (``<thi`` +
``nk>``), and gives back the answer and the reasoning that each part adds. Any cut
of a text gives the same answer and reasoning as the whole (:func:`split_think_tags`).

The rules, the same whole or streamed:

- only a ``<think>`` that opens the content (after optional whitespace) counts: one
  anywhere else is answer text, left as it is;
- only when the server sent no reasoning of its own for that choice;
- the whitespace around the reasoning and before the answer is dropped;
- a ``<think>`` still open at the end made everything after it reasoning (a budget that
  ran out while thinking).

``opened`` (the setting ``think_tags="open"``) is for chat templates that write
``<think>`` into the prompt (DeepSeek-R1's distills, Qwen3's thinking-2507 models): the
content starts inside the thinking and only closes it, so everything before the first
``</think>`` is reasoning. A ``<think>`` the model writes anyway, at the start, is dropped.

With the default mode an answer that holds ``</think>`` with no ``<think>`` before it is
left as it is; :class:`StrayCloseCheck` warns of it once per client, naming the setting.

:class:`ThinkTags` keeps one splitter per choice of a stream and rewrites what the stream
hands out (``apply``); :func:`split_completion` applies the rules to a whole completion.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Final, Literal, cast

from pydantic import BeforeValidator

from ._caller import user_stacklevel
from ._models import ChatCompletion, ChatCompletionChunk, ChunkChoice, Delta
from ._request import AnyfastWarning
from ._stream import StreamAccumulator
from ._template import TextDelta

__all__ = [
    "CLOSE",
    "OPEN",
    "STRAY_CLOSE",
    "StrayCloseCheck",
    "ThinkTagSplitter",
    "ThinkTags",
    "ThinkTagsMode",
    "ThinkTagsSetting",
    "check_think_tags",
    "holds_stray_close",
    "split_completion",
    "split_think_tags",
]

OPEN: Final = "<think>"
CLOSE: Final = "</think>"

#: The ``think_tags`` setting: split ``<think>…</think>`` at the start (True), leave the
#: content as sent (False), or read the content as starting inside the thinking ("open").
ThinkTagsMode = bool | Literal["open"]

STRAY_CLOSE: Final = (
    'The answer holds "</think>" with no "<think>" before it: the server\'s chat template '
    'may open the thinking in the prompt; pass think_tags="open" to split it off.'
)


def check_think_tags(value: object) -> ThinkTagsMode:
    """The setting's value, or a ``ValueError`` naming it and the values it takes."""
    if isinstance(value, bool):
        return value
    if value == "open":
        return "open"
    raise ValueError(
        f"think_tags={value!r} is not accepted: use True (split <think>…</think> at the "
        "start of the content), False (leave the content as sent) or 'open' (the content "
        "starts inside the thinking: everything before </think> is reasoning)"
    )


#: The setting as a pydantic field of the model classes, refused with that message.
ThinkTagsSetting = Annotated[ThinkTagsMode, BeforeValidator(check_think_tags)]

# The splitter's states, in the order it goes through them.
_START = 0  # nothing but whitespace or the start of "<think>" seen yet
_OPENED = 1  # "<think>" seen; the whitespace before the reasoning is dropped
_INSIDE = 2  # reasoning, until "</think>"
_CLOSED = 3  # "</think>" seen; the whitespace before the answer is dropped
_PASSING = 4  # the rest is answer text, passed on as it comes

# (answer, reasoning) a part of the content adds.
Texts = tuple[str, str]
_NOTHING: Final[Texts] = ("", "")


class ThinkTagSplitter:
    """One choice's content in, its answer and reasoning out, part by part.

    ``feed`` may hold back a few characters (a tag not yet complete, whitespace that
    may end the reasoning); ``close`` gives back what is left at the end. ``opened``:
    the content starts inside the thinking (the chat template wrote ``<think>``).
    """

    __slots__ = ("_held", "_opened", "_state")

    def __init__(self, *, opened: bool = False) -> None:
        self._state = _START
        self._held = ""
        self._opened = opened

    @property
    def passing(self) -> bool:
        """Whether everything from now on is passed on unchanged."""
        return self._state == _PASSING

    def feed(self, content: str, reasoning: str = "") -> Texts:
        """The answer and reasoning that a part of the content (and of reasoning) adds.

        Reasoning sent by the server before any tag settles it: the server splits the
        thinking itself, and the content is answer text.
        """
        if self._state == _PASSING:
            return content, reasoning
        if reasoning and self._state == _START:
            held, self._held, self._state = self._held, "", _PASSING
            return held + content, reasoning
        answer, found = self._take(content) if content else _NOTHING
        return answer, found + reasoning

    def close(self) -> Texts:
        """What was held back, at the end of the content: an unclosed tag's rest is reasoning."""
        held, self._held = self._held, ""
        state, self._state = self._state, _PASSING
        if state == _START:
            return ("", held.strip()) if self._opened else (held, "")
        if state == _INSIDE:
            return "", held.rstrip()
        return _NOTHING

    def _take(self, text: str) -> Texts:
        state = self._state
        if state == _START:
            text = self._opening(self._held + text)
            state = self._state
        if state == _OPENED:
            text = text.lstrip()
            if not text:
                return _NOTHING
            state = self._state = _INSIDE
        reasoning = ""
        if state == _INSIDE:
            reasoning, text = self._reasoning(self._held + text)
            state = self._state
        if state == _CLOSED:
            text = text.lstrip()
            if text:
                self._state = _PASSING
        return text, reasoning

    def _opening(self, text: str) -> str:
        """What follows ``<think>`` (then OPENED), all of it (PASSING, or OPENED when the
        content starts inside the thinking), or "" (held)."""
        self._held = ""
        stripped = text.lstrip()
        if stripped.startswith(OPEN):
            self._state = _OPENED
            return stripped[len(OPEN) :]
        if OPEN.startswith(stripped):  # whitespace and maybe the start of the tag
            self._held = text
            return ""
        self._state = _OPENED if self._opened else _PASSING
        return text

    def _reasoning(self, text: str) -> tuple[str, str]:
        """The reasoning in ``text`` and, once ``</think>`` came, the text after it."""
        end = text.find(CLOSE)
        if end >= 0:
            self._held = ""
            self._state = _CLOSED
            return text[:end].rstrip(), text[end + len(CLOSE) :]
        cut = _held_from(text)
        self._held = text[cut:]
        return text[:cut], ""


def _held_from(text: str) -> int:
    """Where the part that may still end the reasoning starts: trailing whitespace and
    the start of ``</think>``, held until the next part tells."""
    cut = len(text)
    for size in range(min(len(CLOSE) - 1, len(text)), 0, -1):
        if text.endswith(CLOSE[:size]):
            cut -= size
            break
    while cut and text[cut - 1].isspace():
        cut -= 1
    return cut


def split_think_tags(content: str, *, opened: bool = False) -> Texts:
    """The answer and the reasoning in a whole content (the reasoning is "" without tags)."""
    splitter = ThinkTagSplitter(opened=opened)
    answer, reasoning = splitter.feed(content)
    rest_answer, rest_reasoning = splitter.close()
    return answer + rest_answer, reasoning + rest_reasoning


class ThinkTags:
    """The splitters of one stream, one per choice index, made when a choice first comes.

    :meth:`apply` takes each chunk (or text delta) of the stream before anything reads it.
    Once every choice passes its text on unchanged, :attr:`passing` is set and the stream
    need not hand it text deltas any more; chunks, which may bring a new choice, it still
    reads. ``opened``: each choice's content starts inside the thinking.
    """

    __slots__ = ("_opened", "_splitters", "passing")

    def __init__(self, *, opened: bool = False) -> None:
        self._splitters: dict[int, ThinkTagSplitter] = {}
        self._opened = opened
        self.passing = False

    def feed(self, index: int, content: str, reasoning: str) -> Texts:
        splitter = self._splitters.get(index)
        if splitter is None:
            splitter = self._splitters[index] = ThinkTagSplitter(opened=self._opened)
        return splitter.feed(content, reasoning)

    def close(self, index: int) -> Texts:
        """What choice ``index`` held back, when it finishes."""
        splitter = self._splitters.get(index)
        return splitter.close() if splitter is not None else _NOTHING

    def close_all(self) -> dict[int, Texts]:
        """What every choice held back, at the end of the stream (or where it was cut)."""
        return {index: self.close(index) for index in list(self._splitters)}

    def apply(self, item: ChatCompletionChunk | TextDelta) -> ChatCompletionChunk | TextDelta:
        """The item with tagged thinking moved to reasoning: itself when nothing changes,
        else a chunk (a text delta's text may no longer fit its template's one field)."""
        if type(item) is TextDelta:
            texts = self.feed(item.choice_index, item.content or "", item.reasoning_content or "")
            self._update_passing()
            if texts == _texts_of(item):
                return item
            built = item.chunk()  # models of its own, built for this delta alone
            _set_texts(built.choices[0].delta, texts)
            return built
        chunk = cast(ChatCompletionChunk, item)
        if self.passing and all(choice.index in self._splitters for choice in chunk.choices):
            return chunk  # splitters that pass hold nothing back: nothing to change
        changed = self._changes(chunk)
        self._update_passing()
        return _with_texts(chunk, changed) if changed else chunk

    def _update_passing(self) -> None:
        self.passing = all(splitter.passing for splitter in self._splitters.values())

    def _changes(self, chunk: ChatCompletionChunk) -> dict[int, Texts]:
        """The new (answer, reasoning) of each choice of ``chunk`` whose text changes, by
        its place in the chunk (a gateway may repeat an index within one chunk); a
        finishing choice gets what its splitter held back."""
        changed: dict[int, Texts] = {}
        for place, choice in enumerate(chunk.choices):
            delta = choice.delta
            answer, reasoning = self.feed(
                choice.index, delta.content or "", delta.reasoning_content or ""
            )
            if choice.finish_reason is not None:
                rest = self.close(choice.index)
                answer, reasoning = answer + rest[0], reasoning + rest[1]
            if (answer, reasoning) != _texts_of(delta):
                changed[place] = (answer, reasoning)
        return changed


def _texts_of(item: TextDelta | Delta) -> Texts:
    return item.content or "", item.reasoning_content or ""


def _set_texts(delta: Delta, texts: Texts) -> None:
    """Set a delta's texts in place, as parsing sets fields (no validation to run)."""
    answer, reasoning = texts
    values = delta.__dict__
    values["content"] = answer or None
    values["reasoning_content"] = reasoning or None
    delta.__pydantic_fields_set__.update(("content", "reasoning_content"))


def _with_texts(chunk: ChatCompletionChunk, changed: dict[int, Texts]) -> ChatCompletionChunk:
    """A copy of ``chunk`` whose choices at the places in ``changed`` carry that answer and
    reasoning (a parsed chunk may be the one an event template keeps: it is not changed)."""
    choices = [
        _with_text(choice, changed[place]) if place in changed else choice
        for place, choice in enumerate(chunk.choices)
    ]
    return chunk.model_copy(update={"choices": choices})


def _with_text(choice: ChunkChoice, texts: Texts) -> ChunkChoice:
    answer, reasoning = texts
    delta = choice.delta.model_copy(
        update={"content": answer or None, "reasoning_content": reasoning or None}
    )
    return choice.model_copy(update={"delta": delta})


def split_completion(completion: ChatCompletion, *, opened: bool = False) -> ChatCompletion:
    """The completion with tagged thinking moved to ``reasoning_content``, in place.

    A choice whose message already has reasoning is left as it is.
    """
    for choice in completion.choices:
        message = choice.message
        if message.reasoning_content or not message.content:
            continue
        answer, reasoning = split_think_tags(message.content, opened=opened)
        if reasoning or answer != message.content:
            message.content = answer
            message.reasoning_content = reasoning or None
    return completion


def holds_stray_close(content: str) -> bool:
    """Whether ``content`` holds ``</think>`` with no ``<think>`` before it."""
    end = content.find(CLOSE)
    return end >= 0 and content.rfind(OPEN, 0, end) < 0


class StrayCloseCheck:
    """Warns, once for the client that holds it, of an answer that closes a thinking it
    never opened: the sign of a chat template that writes ``<think>`` into the prompt.

    Only answers without reasoning count (the server's field, or tags split off). The
    answer is left as it is; the warning names ``think_tags="open"``.
    """

    __slots__ = ("warned",)

    def __init__(self) -> None:
        self.warned = False

    def check(self, completion: ChatCompletion) -> None:
        """Warn if a choice of a whole completion holds such an answer."""
        if self.warned:
            return
        for choice in completion.choices:
            message = choice.message
            if not message.reasoning_content and holds_stray_close(message.content or ""):
                self._warn()
                return

    def check_stream(self, accumulator: StreamAccumulator) -> None:
        """Warn if the answering choice of a finished stream holds such an answer; read
        once at the end, so the chunks cost nothing more."""
        if self.warned:
            return
        state = accumulator.choice(accumulator.answer_index())
        if state is None or state.reasoning.tell():
            return
        if holds_stray_close(state.content.getvalue()):
            self._warn()

    def _warn(self) -> None:
        self.warned = True
        warnings.warn(STRAY_CLOSE, AnyfastWarning, stacklevel=user_stacklevel(()))
