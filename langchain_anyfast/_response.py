"""Pure converters from Anyfast wire responses to LangChain messages.

:class:`ChatCompletion` -> :func:`completion_to_chat_result` -> ``ChatResult``;
:class:`ChatCompletionChunk` -> :class:`ChunkConverter` -> ``ChatGenerationChunk``.
What the response means (which choice answers, the usage counts, tool arguments)
comes from ``anyfast_client._response``. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    UsageMetadata,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from anyfast_client import ChatCompletion, ChatCompletionChunk, Choice, Usage
from anyfast_client import ToolCall as WireToolCall
from anyfast_client._adapter import (
    ANSWER_INDEX,
    Constructor,
    StreamAccumulator,
    StreamItem,
    answer_delta,
    cached_tokens,
    modality_counts,
    parse_tool_arguments,
    reasoning_tokens,
    require_choices,
    str_maker,
    total_tokens,
)

__all__ = [
    "MODALITY_TOKENS_KEY",
    "PROVIDER",
    "ChunkConverter",
    "completion_to_chat_result",
    "usage_to_metadata",
]

PROVIDER = "anyfast"
# Where the per-modality prompt counts go: they overlap cached_tokens, so they are
# not input_token_details (whose parts must not add up to more than input_tokens).
MODALITY_TOKENS_KEY = "input_tokens_by_modality"
# Text and reasoning chunks are most of a stream: they are built without validation
# once each builder's first call proves that gives what validation gives (``_construct``);
# their values (text content, a reasoning_content entry) are ones validation keeps.
_message_chunk = Constructor(AIMessageChunk)
_text_chunk = _message_chunk.taking("content", "response_metadata")
_reasoning_chunk = _message_chunk.taking("content", "additional_kwargs", "response_metadata")
_generation_chunk = Constructor(ChatGenerationChunk).taking("message", "text")


def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """Wire usage to LangChain's, with cache and reasoning details when the server sent them."""
    metadata = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=total_tokens(usage),
    )
    cached = cached_tokens(usage)
    if cached is not None:
        metadata["input_token_details"] = InputTokenDetails(cache_read=cached)
    reasoning = reasoning_tokens(usage)
    if reasoning is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=reasoning)
    return metadata


def _usage_metadata(usage: Usage) -> dict[str, Any]:
    """The raw usage and the per-modality prompt counts, for ``response_metadata``."""
    result: dict[str, Any] = {"token_usage": usage.model_dump(exclude_none=True)}
    if usage.prompt_tokens_details is not None:
        result[MODALITY_TOKENS_KEY] = modality_counts(usage)
    return result


def _parse_tool_calls(
    raw: Sequence[WireToolCall],
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Calls whose arguments are a JSON object, and the others with the reason."""
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in raw:
        function = call.function
        args, error = parse_tool_arguments(function.arguments)
        if args is None:
            invalid.append(
                InvalidToolCall(
                    type="invalid_tool_call",
                    name=function.name,
                    args=function.arguments,
                    id=call.id or None,
                    error=error,
                )
            )
        else:
            calls.append(ToolCall(name=function.name, args=args, id=call.id or None))
    return calls, invalid


def _base_metadata(completion: ChatCompletion | ChatCompletionChunk) -> dict[str, Any]:
    metadata = {
        "model_name": completion.model,
        "model_provider": PROVIDER,
        "id": completion.id,
        "created": completion.created,
    }
    fingerprint = (completion.model_extra or {}).get("system_fingerprint")
    if isinstance(fingerprint, str) and fingerprint:
        metadata["system_fingerprint"] = fingerprint  # where ChatOpenAI puts it
    return metadata


def _generation(choice: Choice, usage: Usage | None, metadata: dict[str, Any]) -> ChatGeneration:
    message = choice.message
    info: dict[str, Any] = {"finish_reason": choice.finish_reason}
    logprobs = (choice.model_extra or {}).get("logprobs")
    if logprobs is not None:  # sent when asked for (extra_body), kept as ChatOpenAI keeps it
        info["logprobs"] = logprobs
    calls, invalid = _parse_tool_calls(message.tool_calls or ())
    extra = {"reasoning_content": message.reasoning_content} if message.reasoning_content else {}
    ai = AIMessage(
        content=message.content or "",
        additional_kwargs=extra,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_to_metadata(usage) if usage is not None else None,
        response_metadata={**metadata, **info},
    )
    return ChatGeneration(message=ai, generation_info=info)


def completion_to_chat_result(completion: ChatCompletion) -> ChatResult:
    """A whole completion to a ``ChatResult``, one generation per choice in the
    completion's order, so that LangChain's answer, the first, is the core's (index 0).
    """
    metadata = _base_metadata(require_choices(completion))
    usage = completion.usage
    if usage is not None:
        metadata.update(_usage_metadata(usage))
    generations = [_generation(choice, usage, metadata) for choice in completion.choices]
    llm_output = {"model_name": completion.model, "id": completion.id}
    return ChatResult(generations=generations, llm_output=llm_output)


class ChunkConverter:
    """A stream's chunks to ``ChatGenerationChunk`` objects for the choice with index 0.

    It reads a core :class:`StreamAccumulator` that holds each chunk by the time the
    chunk is converted: the stream's own (``stream.accumulator``), or, for chunks of
    your own, one you add each chunk to first. Each generation carries what that chunk
    added to the answer: text, reasoning, and for tool calls the new part of the id,
    name and arguments, indexed by the call's place in the answer (so calls that reuse
    a wire index, or have none, stay apart). LangChain sums and concatenates metadata
    when it adds chunks up, so usage, the finish reason and the model come once, in
    :meth:`final`.
    """

    __slots__ = ("_learn_text", "_make_text", "_sizes", "accumulator", "stream_usage")

    def __init__(self, accumulator: StreamAccumulator, *, stream_usage: bool = True) -> None:
        self.accumulator = accumulator
        self.stream_usage = stream_usage
        # The sizes of the calls' id, name and arguments after the last chunk.
        self._sizes: list[tuple[int, int, int]] = []
        # How a generation's text is made from the text content this converter builds,
        # once the stream's first text chunk proved it (see :meth:`_text_of`).
        self._make_text: Callable[[str], str] | None = None
        self._learn_text = True

    @property
    def finish_reason(self) -> str | None:
        state = self.accumulator.choice(self.accumulator.answer_index())
        return state.finish_reason if state is not None else None

    def convert(self, item: StreamItem) -> ChatGenerationChunk | None:
        """The generation for one chunk (or its text delta), None when it adds nothing."""
        text, reasoning, more = answer_delta(item)
        calls = self._call_chunks() if more else None
        if calls:
            fields: dict[str, Any] = {"tool_call_chunks": calls}
            if reasoning:
                fields["additional_kwargs"] = {"reasoning_content": reasoning}
            message = AIMessageChunk(
                content=text, response_metadata={"model_provider": PROVIDER}, **fields
            )
            return ChatGenerationChunk(message=message)
        if reasoning:
            message = _reasoning_chunk(
                content=text,
                additional_kwargs={"reasoning_content": reasoning},
                response_metadata={"model_provider": PROVIDER},
            )
        elif text:
            message = _text_chunk(content=text, response_metadata={"model_provider": PROVIDER})
        else:
            return None
        make_text = self._make_text
        given = make_text(text) if make_text is not None else self._text_of(message)
        return _generation_chunk(message=message, text=given)

    def _text_of(self, message: AIMessageChunk) -> str:
        """The text ChatGenerationChunk's validator sets: the message's own, read here
        until the stream's first text chunk proves how it is made from the content.

        For text content ``message.text`` is that text in LangChain's str subclass
        (``TextAccessor``); made with ``str.__new__`` it costs no property and no
        Python-level ``__new__`` per chunk. Proved on this stream's first text chunk
        (value and type), as the builders prove theirs: otherwise it is read every time.
        """
        text = message.text
        content = message.content
        if self._learn_text and type(content) is str:
            self._learn_text = False
            self._make_text = str_maker(text, content)
        return text

    def final(self) -> ChatGenerationChunk:
        """The last generation: finish reason, model, id and (if asked for) usage, once.

        A stream with no choice 0 streamed nothing: its answer, the choice with the lowest
        index (as in a whole completion), comes whole in this chunk.
        """
        acc = self.accumulator
        metadata: dict[str, Any] = {
            "model_name": acc.model,
            "model_provider": PROVIDER,
            "id": acc.id,
            "created": acc.created,
            "finish_reason": self.finish_reason,
        }
        if acc.system_fingerprint:
            metadata["system_fingerprint"] = acc.system_fingerprint
        fields = self._fallback_fields()
        usage = acc.usage if self.stream_usage else None
        if usage is not None:
            metadata.update(_usage_metadata(usage))
            fields["usage_metadata"] = usage_to_metadata(usage)
        return ChatGenerationChunk(message=AIMessageChunk(response_metadata=metadata, **fields))

    def _fallback_fields(self) -> dict[str, Any]:
        index = self.accumulator.answer_index()
        state = self.accumulator.choice(index)
        if index == ANSWER_INDEX or state is None:
            return {"content": ""}
        fields: dict[str, Any] = {"content": state.content.getvalue()}
        if state.reasoning.tell():
            fields["additional_kwargs"] = {"reasoning_content": state.reasoning.getvalue()}
        if state.tool_calls:
            fields["tool_call_chunks"] = [
                ToolCallChunk(
                    id=call.id or None,
                    name=call.function.name or None,
                    args=call.function.arguments,
                    index=position,
                )
                for position, call in enumerate(state.tool_calls)
            ]
        return fields

    def _call_chunks(self) -> list[ToolCallChunk]:
        """What each call gained since the last chunk, as LangChain tool-call chunks."""
        state = self.accumulator.choice(ANSWER_INDEX)
        if state is None:
            return []
        before = self._sizes
        after = [
            (len(c.id), len(c.function.name), len(c.function.arguments)) for c in state.tool_calls
        ]
        self._sizes = after
        chunks: list[ToolCallChunk] = []
        for position, call in enumerate(state.tool_calls):
            if position < len(before) and after[position] == before[position]:
                continue
            ids, names, args = before[position] if position < len(before) else (0, 0, 0)
            chunks.append(
                ToolCallChunk(
                    id=call.id[ids:] or None,
                    name=call.function.name[names:] or None,
                    args=call.function.arguments[args:],
                    index=position,
                )
            )
        return chunks
