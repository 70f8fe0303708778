"""Sans-I/O stream handling: chunks to a completion.

:class:`StreamAccumulator` merges chunks (or their :class:`TextDelta`) into one
:class:`ChatCompletion`, tolerant of tool-call deltas that repeat their id, split
name from arguments, or carry no id at all. Bytes become chunks in :mod:`._decode`.
"""

from __future__ import annotations

import io
from typing import cast

from ._models import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    Delta,
    FunctionCall,
    ResponseMessage,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from ._template import TextDelta

__all__ = ["StreamAccumulator", "merge_tool_call_delta"]


def merge_tool_call_delta(call: ToolCall, delta: ToolCallDelta) -> None:
    """Fold one tool-call delta into the call being built, in place.

    Ids and names may be repeated whole in every chunk: a repeat is ignored,
    never appended. Arguments always arrive in parts and are concatenated.
    """
    if delta.id and delta.id != call.id:
        call.id = call.id or delta.id
    if delta.type:
        call.type = delta.type
    function = delta.function
    if function is None:
        return
    name = function.name
    if name and name != call.function.name:
        call.function.name += name
    if function.arguments:
        call.function.arguments += function.arguments


def starts_new_call(call: ToolCall, delta: ToolCallDelta) -> bool:
    """Whether a delta that names a function begins another call than ``call``.

    Some gateways reuse index 0 for every call, or send no index at all: a new
    id, or a different name once arguments have started, then marks the next call.
    """
    name = delta.function.name if delta.function is not None else None
    if not name:
        return False
    if delta.id and call.id and delta.id != call.id:
        return True
    return bool(call.function.arguments) and name != call.function.name


class _ChoiceState:
    """One choice being built; its tool calls in the order they began."""

    # StringIO, not a list of strings: a long stream arrives in a million small
    # strings, and a list keeps ~50 bytes of object header for each (a 20 MB
    # answer held 77 MB as a list, 20 MB in a StringIO).
    __slots__ = (
        "_by_index",
        "_last",
        "content",
        "finish_reason",
        "reasoning",
        "role",
        "tool_calls",
    )

    def __init__(self) -> None:
        self.role = "assistant"
        self.content = io.StringIO()
        self.reasoning = io.StringIO()
        self.tool_calls: list[ToolCall] = []
        self._by_index: dict[int, int] = {}
        self._last: int | None = None
        self.finish_reason: str | None = None

    def add_tool_delta(self, delta: ToolCallDelta) -> None:
        # A delta without an index continues the call before it.
        key = delta.index
        position = self._last if key is None else self._by_index.get(key)
        if position is None or starts_new_call(self.tool_calls[position], delta):
            position = len(self.tool_calls)
            self.tool_calls.append(ToolCall(function=FunctionCall()))
        if key is not None:
            self._by_index[key] = position
        self._last = position
        merge_tool_call_delta(self.tool_calls[position], delta)

    def to_choice(self, index: int) -> Choice:
        message = ResponseMessage(
            role=self.role,
            content=self.content.getvalue(),
            reasoning_content=self.reasoning.getvalue() if self.reasoning.tell() else None,
            tool_calls=[call.model_copy(deep=True) for call in self.tool_calls] or None,
        )
        return Choice(index=index, message=message, finish_reason=self.finish_reason)


class StreamAccumulator:
    """Merges streamed chunks into the completion they add up to.

    Choices are kept apart by index. Usage is the last one a chunk carried
    (some relays send a running total on every chunk): it is never summed.
    """

    __slots__ = ("_choices", "created", "id", "model", "system_fingerprint", "usage")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every chunk, keeping this object (readers may hold it)."""
        self._choices: dict[int, _ChoiceState] = {}
        self.id = ""
        self.model = ""
        self.created = 0
        self.usage: Usage | None = None
        # What a server sends to name its build (OpenAI, llama.cpp): kept, not required.
        self.system_fingerprint: str | None = None

    @property
    def finished(self) -> bool:
        """Whether every choice seen so far has a finish_reason."""
        states = self._choices.values()
        return bool(states) and all(s.finish_reason is not None for s in states)

    def choice(self, index: int = 0) -> _ChoiceState | None:
        """The live state of one choice (read it, do not change it), or None."""
        return self._choices.get(index)

    def answer_index(self) -> int:
        """The choice that answers: 0, or the lowest index while no choice 0 has come.

        The same rule as for a whole completion; a stream's adapters follow choice 0 as it
        arrives and fall back to this at the end.
        """
        if 0 in self._choices or not self._choices:
            return 0
        return min(self._choices)

    def add(self, item: ChatCompletionChunk | TextDelta) -> None:
        """Merge one chunk, or the :class:`TextDelta` of one (what a stream hands out)."""
        if type(item) is TextDelta:
            # Nearly every item of a stream: text for a choice seen before (the chunk
            # the item's template was learnt from came first).
            state = self._choices[item.choice_index]
            role = item.template.role
            if role:
                state.role = role
            if item.content:
                state.content.write(item.content)
            if item.reasoning_content:
                state.reasoning.write(item.reasoning_content)
            return
        self._add_chunk(cast(ChatCompletionChunk, item))

    def _add_chunk(self, chunk: ChatCompletionChunk) -> None:
        if not (self.id and self.model and self.created):
            self.id = self.id or chunk.id
            self.model = self.model or chunk.model
            self.created = self.created or chunk.created
            self.system_fingerprint = self.system_fingerprint or _fingerprint(chunk)
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            state = self._choices.get(choice.index)
            if state is None:
                state = self._choices[choice.index] = _ChoiceState()
            delta = choice.delta
            # _add_delta, inlined for the text-only delta nearly every chunk is.
            if delta.tool_calls or delta.role:
                _add_delta(state, delta)
            else:
                if delta.content:
                    state.content.write(delta.content)
                if delta.reasoning_content:
                    state.reasoning.write(delta.reasoning_content)
            if choice.finish_reason is not None:
                state.finish_reason = choice.finish_reason

    def result(self) -> ChatCompletion:
        choices = [self._choices[i].to_choice(i) for i in sorted(self._choices)]
        return ChatCompletion(
            id=self.id, created=self.created, model=self.model, choices=choices, usage=self.usage
        )


def _fingerprint(chunk: ChatCompletionChunk) -> str | None:
    value = (chunk.model_extra or {}).get("system_fingerprint")
    return value if isinstance(value, str) and value else None


def _add_delta(state: _ChoiceState, delta: Delta) -> None:
    if delta.role:
        state.role = delta.role
    if delta.content:
        state.content.write(delta.content)
    if delta.reasoning_content:
        state.reasoning.write(delta.reasoning_content)
    for tool_delta in delta.tool_calls or ():
        state.add_tool_delta(tool_delta)
