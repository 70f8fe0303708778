"""A plain reading of a reply, written from docs/tolerance.md and nothing else.

``json.loads`` of the body, or of each server-sent event with the deltas merged by
their ``index``: the answer a user should get (text, reasoning, tool calls, finish
reason, usage), or that the reply must be refused. The property tests hold every
entry point to it.

A shape the documentation does not speak of (a list where text goes, a boolean token
count, an index written as text) leaves the reading unsure: what it touches is
:data:`UNKNOWN`, and the client may refuse the reply instead of answering.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Final

from langchain_core.utils.json import parse_partial_json

from ._harness import Answer, Call, Outcome, check_contract


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


@dataclass
class Reading:
    """What the reply means: ``refused``, or an answer whose fields may be UNKNOWN."""

    text: Any = ""
    reasoning: Any = ""
    calls: Any = ()  # (id, name, arguments as text), in the order they came
    finish_reason: Any = None
    usage: Any = None
    refused: bool = False  # every entry point must raise
    unsure: bool = False  # an entry point may raise instead of answering

    def differences(self, answer: Answer, entry: str = "") -> list[str]:
        """The fields where ``answer``, from ``entry``, says something else than this reading."""
        expected = {
            "text": self.text,
            "reasoning": self.reasoning,
            "calls": self.calls_as(entry),
            "finish_reason": self.finish_reason,
            "usage": self.usage,
        }
        return [
            f"{name}: {getattr(answer, name)!r}, the plain reading gives {value!r}"
            for name, value in expected.items()
            if value is not UNKNOWN and getattr(answer, name) != value
        ]

    def calls_as(self, entry: str) -> Any:
        """The calls as ``entry`` reads their arguments.

        LangChain reads the arguments of summed stream chunks itself, with
        ``parse_partial_json``: a cut-off object (``{"a": 1``) is read as far as it goes.
        Everywhere else, arguments that are not a JSON object make an invalid call.
        """
        if self.calls is UNKNOWN:
            return UNKNOWN
        read = _partial_arguments if entry in ("lc.stream", "lc.astream") else _parsed_arguments
        return _calls([(call_id, name, read(arguments)) for call_id, name, arguments in self.calls])


def _unknown_answer() -> Reading:
    return Reading(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, unsure=True)


class _Doubts:
    """Counts what the documentation does not cover; each doubt makes the reading unsure."""

    def __init__(self) -> None:
        self.unsure = False

    def doubt(self) -> Any:
        self.unsure = True
        return UNKNOWN

    def text(self, value: Any) -> Any:
        """Text, null, or a list of parts (strings or ``{"text": ...}``) joined."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(_is_part(part) for part in value):
            return "".join(
                part if isinstance(part, str) else part.get("text", "") for part in value
            )
        return self.doubt()

    def count(self, value: Any) -> Any:
        """A token count: a whole number, a float, a string of one, or null (none)."""
        if value is None:
            return 0
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return int(value)
        if isinstance(value, str):
            try:
                return int(float(value))
            except (ValueError, OverflowError):
                pass
        return self.doubt()

    def usage(self, value: Any) -> Any:
        """(prompt, completion, total); a missing total is prompt + completion."""
        if value is None:
            return None
        if not isinstance(value, dict):
            return self.doubt()
        counts = [self.count(value.get(name)) for name in _COUNTS]
        if UNKNOWN in counts:
            return UNKNOWN
        prompt, completion, total = counts
        return (prompt, completion, total or prompt + completion)

    def index(self, value: Any) -> Any:
        if value is None:
            return 0
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return self.doubt()

    def finish(self, value: Any) -> Any:
        """A finish reason; ``""`` is none yet."""
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else self.doubt()

    def header(self, reply: dict[str, Any]) -> None:
        """``id`` and ``model`` as text, a number or null; ``created`` a number or null."""
        kinds = {"id": (str, int, float), "model": (str, int, float), "created": (int, float)}
        for name, kind in kinds.items():
            value = reply.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
                self.doubt()

    def arguments(self, value: Any) -> Any:
        """Arguments as text; a JSON object is its JSON text."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return self.doubt()

    def name(self, value: Any) -> Any:
        if value is None:
            return ""
        return value if isinstance(value, str) else self.doubt()


_COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")


def _part_text(part: str | dict[str, str]) -> str:
    return part if isinstance(part, str) else part.get("text", "")


def _is_part(part: Any) -> bool:
    """A string, or a part whose text is a string or absent (a part with no text)."""
    return isinstance(part, str) or (
        isinstance(part, dict) and isinstance(part.get("text", ""), str)
    )


def _parsed_arguments(text: str) -> str | None:
    """The arguments as sorted JSON if they are an object ("" is none), else None."""
    if not text.strip():
        return "{}"
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else None


def _partial_arguments(text: str) -> str | None:
    """langchain-core's reading of streamed arguments (``AIMessageChunk.init_tool_calls``)."""
    try:
        value = parse_partial_json(text) if text else {}
    except Exception:  # langchain-core makes any failure an invalid call
        return None
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else None


def _answer_index(indexes: list[int]) -> int:
    """Index 0, or the lowest index when there is no 0."""
    return 0 if 0 in indexes else min(indexes)


def _calls(calls: list[tuple[str, str, str | None]]) -> tuple[Call, ...]:
    return tuple(sorted(calls, key=repr))


# --------------------------------------------------------------------------- whole


def read_body(raw: bytes) -> Reading:
    """The reading of a whole (non-streamed) reply."""
    try:
        reply = json.loads(raw)
    except (ValueError, RecursionError):
        return Reading(refused=True)
    if not isinstance(reply, dict) or reply.get("error"):
        return Reading(refused=True)
    choices = reply.get("choices")
    if choices is None or choices == []:
        return Reading(refused=True)
    doubts = _Doubts()
    if reply.get("error") is not None:
        doubts.doubt()  # an empty error object
    doubts.header(reply)
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        return _unknown_answer()
    indexes = [doubts.index(choice.get("index")) for choice in choices]
    if UNKNOWN in indexes:
        return _unknown_answer()
    # Every choice is read: one the answer does not come from may still be unreadable.
    readings = [_read_choice(choice, doubts) for choice in choices]
    reading = readings[indexes.index(_answer_index(indexes))]
    reading.usage = doubts.usage(reply.get("usage"))
    reading.unsure = doubts.unsure
    return reading


def _read_choice(choice: dict[str, Any], doubts: _Doubts) -> Reading:
    message = choice.get("message")
    if message is None:
        message = {}
    if not isinstance(message, dict):
        doubts.doubt()
        return _unknown_answer()
    role = message.get("role")
    if not (role is None or isinstance(role, str)):
        doubts.doubt()
    return Reading(
        text=doubts.text(message.get("content")),
        reasoning=doubts.text(message.get("reasoning_content")) or "",
        calls=_whole_calls(message.get("tool_calls"), doubts),
        finish_reason=doubts.finish(choice.get("finish_reason")),
    )


def _whole_calls(calls: Any, doubts: _Doubts) -> Any:
    if calls is None:
        return ()
    if not isinstance(calls, list) or not all(isinstance(call, dict) for call in calls):
        return doubts.doubt()
    read = []
    for call in calls:
        function = call.get("function")
        function = {} if function is None else function
        call_id = doubts.name(call.get("id"))
        if not isinstance(function, dict) or call_id is UNKNOWN:
            return doubts.doubt()
        name, arguments = (
            doubts.name(function.get("name")),
            doubts.arguments(function.get("arguments")),
        )
        if UNKNOWN in (name, arguments):
            return UNKNOWN
        read.append((call_id, name, arguments))
    return tuple(read)


# --------------------------------------------------------------------------- streamed


@dataclass
class _Choice:
    text: Any = ""
    reasoning: Any = ""
    calls: list[list[Any]] = field(default_factory=list)  # [id, name, arguments]
    calls_known: bool = True
    finish: Any = None
    by_index: dict[int, int] = field(default_factory=dict)
    last: int | None = None


def _events(raw: bytes) -> list[str]:
    """The data of each event (the replies here put one ``data:`` line in each)."""
    events = []
    for block in raw.decode().split("\n\n"):
        data = [line[5:].removeprefix(" ") for line in block.split("\n") if line[:5] == "data:"]
        if data:
            events.append("\n".join(data))
    return events


class _StreamReading(_Doubts):
    def __init__(self) -> None:
        super().__init__()
        self.choices: dict[int, _Choice] = {}
        self.usage_seen: Any = None
        self.lost = False  # a chunk whose choices cannot be read
        self.done = False

    def event(self, data: str) -> bool:
        """Read one event; False when the stream must be refused."""
        if not data.strip():
            return True  # an empty event is nothing
        if data.strip() == "[DONE]":
            self.done = True
            return True
        try:
            chunk = json.loads(data)
        except (ValueError, RecursionError):
            return False
        if not isinstance(chunk, dict) or chunk.get("error") is not None:
            return False
        self.header(chunk)
        usage = chunk.get("usage")
        if usage is not None:
            self.usage_seen = self.usage(usage)
        self.read_choices(chunk.get("choices"))
        return True

    def read_choices(self, choices: Any) -> None:
        if choices is None:
            return
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            self.lost = bool(self.doubt())
            return
        for choice in choices:
            index, delta = self.index(choice.get("index")), choice.get("delta")
            delta = {} if delta is None else delta
            if index is UNKNOWN or not isinstance(delta, dict):
                self.lost = bool(self.doubt())
                return
            state = self.choices.setdefault(index, _Choice())
            self.read_delta(state, delta)
            finish = self.finish(choice.get("finish_reason"))
            if finish is not None:
                state.finish = finish

    def read_delta(self, state: _Choice, delta: dict[str, Any]) -> None:
        role = delta.get("role")
        if not (role is None or isinstance(role, str)):
            self.doubt()
        state.text = _join(state.text, self.text(delta.get("content")))
        state.reasoning = _join(state.reasoning, self.text(delta.get("reasoning_content")))
        calls = delta.get("tool_calls")
        if calls is None:
            return
        if not isinstance(calls, list):
            state.calls_known = bool(self.doubt())
            return
        for call in calls:
            if not self.merge_call(state, call):
                state.calls_known = False

    def merge_call(self, state: _Choice, delta: Any) -> bool:
        """Merge one tool-call delta as docs/tolerance.md says; False if it cannot be read."""
        if not isinstance(delta, dict):
            return bool(self.doubt())
        function = delta.get("function")
        function = {} if function is None else function
        key, call_id = delta.get("index"), self.name(delta.get("id"))
        if not isinstance(function, dict) or not (key is None or type(key) is int):
            return bool(self.doubt())
        name, arguments = self.name(function.get("name")), self.arguments(function.get("arguments"))
        if UNKNOWN in (call_id, name, arguments):
            return False
        position = state.last if key is None else state.by_index.get(key)
        if position is None or _starts_new_call(state.calls[position], call_id, name):
            position = len(state.calls)
            state.calls.append(["", "", ""])
        if key is not None:
            state.by_index[key] = position
        state.last = position
        call = state.calls[position]
        call[0] = call[0] or call_id
        if name and name != call[1]:
            call[1] += name  # a repeated name is not appended again; pieces are joined
        call[2] += arguments
        return True

    def reading(self) -> Reading:
        if not self.done:  # cut, whatever came before
            return Reading(refused=True)
        if self.lost:
            return _unknown_answer()
        if not self.choices:
            return Reading(refused=True)
        finishes = [state.finish for state in self.choices.values()]
        if None in finishes:
            return Reading(refused=True)
        if UNKNOWN in finishes:
            self.unsure = True
        state = self.choices[_answer_index(list(self.choices))]
        calls = tuple((c[0], c[1], c[2]) for c in state.calls) if state.calls_known else UNKNOWN
        return Reading(
            text=state.text,
            reasoning=state.reasoning,
            calls=calls,
            finish_reason=state.finish,
            usage=self.usage_seen,
            unsure=self.unsure,
        )


def _starts_new_call(call: list[Any], call_id: str, name: str) -> bool:
    """A delta naming a function begins a new call if it brings a new id, or another
    name once the arguments have started."""
    if not name:
        return False
    return bool(call_id and call[0] and call_id != call[0]) or bool(call[2] and name != call[1])


def _join(before: Any, more: Any) -> Any:
    return UNKNOWN if UNKNOWN in (before, more) else before + more


def read_stream(raw: bytes) -> Reading:
    """The reading of a streamed reply: events up to ``[DONE]``, deltas merged by index."""
    reading = _StreamReading()
    for data in _events(raw):
        if reading.done:
            break
        if not reading.event(data):
            return Reading(refused=True)
    return reading.reading()


def check(entry: str, outcome: Outcome, reading: Reading) -> None:
    """The entry point's outcome is the plain reading's: the same answer, or refused."""
    check_contract(entry, outcome)
    if outcome.error is not None:
        if not (reading.refused or reading.unsure):
            raise AssertionError(
                f"{entry} raised {outcome.error!r} where the plain reading answers {reading}"
            )
        return
    assert outcome.answer is not None
    if reading.refused:
        raise AssertionError(f"{entry} answered {outcome.answer} where it must refuse")
    differences = reading.differences(outcome.answer, entry)
    assert not differences, f"{entry}: " + "; ".join(differences)
