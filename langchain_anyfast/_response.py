"""Pure converters from Anyfast wire responses to LangChain messages.

:class:`ChatCompletion` -> :func:`completion_to_chat_result` -> ``ChatResult``;
:class:`ChatCompletionChunk` -> :class:`ChunkConverter` -> ``AIMessageChunk``.
Nothing here does I/O or knows about the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    UsageMetadata,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.outputs import ChatGeneration, ChatResult

from anyfast_client import ChatCompletion, ChatCompletionChunk, ToolCallDelta, Usage
from anyfast_client import ToolCall as WireToolCall

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


# --------------------------------------------------------------------------- responses


def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """Wire usage to LangChain's, with cache and reasoning details when the server sent them."""
    metadata = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    )
    prompt = usage.prompt_tokens_details
    if prompt is not None and prompt.cached_tokens is not None:
        metadata["input_token_details"] = InputTokenDetails(cache_read=prompt.cached_tokens)
    completion = usage.completion_tokens_details
    if completion is not None and completion.reasoning_tokens is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=completion.reasoning_tokens)
    return metadata


def _usage_metadata(usage: Usage) -> dict[str, Any]:
    """The raw usage and the per-modality prompt counts, for ``response_metadata``."""
    result: dict[str, Any] = {"token_usage": usage.model_dump(exclude_none=True)}
    prompt = usage.prompt_tokens_details
    if prompt is not None:
        counts = {
            "text": prompt.text_tokens,
            "image": prompt.image_tokens,
            "video": prompt.video_tokens,
        }
        result[MODALITY_TOKENS_KEY] = {k: v for k, v in counts.items() if v is not None}
    return result


def _parse_tool_calls(
    raw: Sequence[WireToolCall],
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in raw:
        as_dict = call.model_dump()
        try:
            parsed = parse_tool_call(as_dict, return_id=True)
        except OutputParserException as exc:
            invalid.append(make_invalid_tool_call(as_dict, str(exc)))
        else:
            if parsed is not None:
                calls.append(
                    ToolCall(name=parsed["name"], args=parsed["args"], id=parsed.get("id"))
                )
    return calls, invalid


def _base_metadata(completion: ChatCompletion | ChatCompletionChunk) -> dict[str, Any]:
    return {
        "model_name": completion.model,
        "model_provider": PROVIDER,
        "id": completion.id,
        "created": completion.created,
    }


def completion_to_chat_result(completion: ChatCompletion) -> ChatResult:
    """A whole completion to a ``ChatResult``, one generation per choice."""
    metadata = _base_metadata(completion)
    usage = completion.usage
    if usage is not None:
        metadata.update(_usage_metadata(usage))
    generations = []
    for choice in completion.choices:
        message = choice.message
        calls, invalid = _parse_tool_calls(message.tool_calls or ())
        extra = (
            {"reasoning_content": message.reasoning_content} if message.reasoning_content else {}
        )
        ai = AIMessage(
            content=message.content or "",
            additional_kwargs=extra,
            tool_calls=calls,
            invalid_tool_calls=invalid,
            usage_metadata=usage_to_metadata(usage) if usage is not None else None,
            response_metadata={**metadata, "finish_reason": choice.finish_reason},
        )
        info = {"finish_reason": choice.finish_reason}
        generations.append(ChatGeneration(message=ai, generation_info=info))
    llm_output = {"model_name": completion.model, "id": completion.id}
    return ChatResult(generations=generations, llm_output=llm_output)


class ChunkConverter:
    """Streamed wire chunks to ``AIMessageChunk`` objects, one per non-empty chunk.

    Keeps the little state a stream needs: Qwen repeats a call's id and name in
    later deltas, and only the first of each may reach LangChain (which would
    otherwise concatenate the names when it merges chunks).
    """

    __slots__ = ("_ided", "_named", "finish_reason", "saw_content", "stream_usage")

    def __init__(self, *, stream_usage: bool = True) -> None:
        self.stream_usage = stream_usage
        self._named: set[int] = set()
        self._ided: set[int] = set()
        self.saw_content = False
        self.finish_reason: str | None = None

    def convert(self, chunk: ChatCompletionChunk) -> AIMessageChunk | None:
        """The message chunk for one wire chunk, or None when it carries nothing."""
        fields: dict[str, Any] = {}
        if chunk.choices:
            self._choice_fields(chunk, fields)
        if chunk.usage is not None and self.stream_usage:
            fields["usage_metadata"] = usage_to_metadata(chunk.usage)
            fields["response_metadata"] = {
                **fields.get("response_metadata", {}),
                **_usage_metadata(chunk.usage),
                "model_provider": PROVIDER,
            }
        if not fields:
            return None
        fields.setdefault("content", "")
        return AIMessageChunk(**fields)

    def _choice_fields(self, chunk: ChatCompletionChunk, fields: dict[str, Any]) -> None:
        choice = chunk.choices[0]
        delta = choice.delta
        if delta.content:
            fields["content"] = delta.content
            self.saw_content = True
        if delta.reasoning_content:
            fields["additional_kwargs"] = {"reasoning_content": delta.reasoning_content}
        if delta.tool_calls:
            fields["tool_call_chunks"] = [self._tool_chunk(d) for d in delta.tool_calls]
            self.saw_content = True
        if choice.finish_reason is not None:
            self.finish_reason = choice.finish_reason
            fields["response_metadata"] = {
                **_base_metadata(chunk),
                "finish_reason": choice.finish_reason,
            }
        elif fields:
            fields["response_metadata"] = {"model_provider": PROVIDER}

    def _tool_chunk(self, delta: ToolCallDelta) -> ToolCallChunk:
        index = delta.index
        function = delta.function
        return ToolCallChunk(
            name=_first(self._named, index, function.name if function is not None else None),
            args=(function.arguments if function is not None else None) or "",
            id=_first(self._ided, index, delta.id),
            index=index,
        )


def _first(seen: set[int], index: int, value: str | None) -> str | None:
    """``value`` the first time call ``index`` has one; None for every repeat."""
    if not value or index in seen:
        return None
    seen.add(index)
    return value
