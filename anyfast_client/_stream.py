"""Sans-I/O stream handling: chunks to a completion.

:class:`StreamAccumulator` merges chunks into one :class:`ChatCompletion`,
tolerant of tool-call deltas that repeat their id, split name from arguments,
or carry no id at all. Bytes become chunks in :mod:`._decode`.
"""

from __future__ import annotations

import io

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

__all__ = ["StreamAccumulator", "merge_tool_call_delta"]


def merge_tool_call_delta(call: ToolCall, delta: ToolCallDelta) -> None:
    """Fold one tool-call delta into the call being built, in place.

    Ids and names may be repeated whole in every chunk: a repeat is ignored,
    never appended. Arguments always arrive in pieces and are concatenated.
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


class _ChoiceState:
    # StringIO, not a list of pieces: a long stream arrives in a million small
    # strings, and a list keeps ~50 bytes of object header for each (a 20 MB
    # answer held 77 MB as a list, 20 MB in a StringIO).
    __slots__ = ("content", "finish_reason", "reasoning", "role", "tool_calls")

    def __init__(self) -> None:
        self.role = "assistant"
        self.content = io.StringIO()
        self.reasoning = io.StringIO()
        self.tool_calls: dict[int, ToolCall] = {}
        self.finish_reason: str | None = None

    def to_choice(self, index: int) -> Choice:
        calls = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        message = ResponseMessage(
            role=self.role,
            content=self.content.getvalue(),
            reasoning_content=self.reasoning.getvalue() if self.reasoning.tell() else None,
            tool_calls=[call.model_copy(deep=True) for call in calls] or None,
        )
        return Choice(index=index, message=message, finish_reason=self.finish_reason)


class StreamAccumulator:
    """Merges streamed chunks into the completion they add up to."""

    __slots__ = ("_choices", "created", "id", "model", "usage")

    def __init__(self) -> None:
        self._choices: dict[int, _ChoiceState] = {}
        self.id = ""
        self.model = ""
        self.created = 0
        self.usage: Usage | None = None

    @property
    def finished(self) -> bool:
        """Whether every choice seen so far has a finish_reason."""
        states = self._choices.values()
        return bool(states) and all(s.finish_reason is not None for s in states)

    def add(self, chunk: ChatCompletionChunk) -> None:
        self.id = self.id or chunk.id
        self.model = self.model or chunk.model
        self.created = self.created or chunk.created
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            state = self._choices.get(choice.index)
            if state is None:
                state = self._choices[choice.index] = _ChoiceState()
            _add_delta(state, choice.delta)
            if choice.finish_reason is not None:
                state.finish_reason = choice.finish_reason

    def result(self) -> ChatCompletion:
        choices = [self._choices[i].to_choice(i) for i in sorted(self._choices)]
        return ChatCompletion(
            id=self.id, created=self.created, model=self.model, choices=choices, usage=self.usage
        )


def _add_delta(state: _ChoiceState, delta: Delta) -> None:
    if delta.role:
        state.role = delta.role
    if delta.content:
        state.content.write(delta.content)
    if delta.reasoning_content:
        state.reasoning.write(delta.reasoning_content)
    for tool_delta in delta.tool_calls or ():
        call = state.tool_calls.get(tool_delta.index)
        if call is None:
            call = state.tool_calls[tool_delta.index] = ToolCall(function=FunctionCall())
        merge_tool_call_delta(call, tool_delta)
