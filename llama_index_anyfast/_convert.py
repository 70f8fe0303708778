"""Pure converters between LlamaIndex messages and the Anyfast wire models.

LlamaIndex ``ChatMessage`` -> :mod:`anyfast_client` request models on the way out;
:class:`ChatCompletion` / :class:`ChatCompletionChunk` -> ``ChatResponse`` on the way back.
No I/O here: the LLM class wires these to a client.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, cast

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ChatResponse,
    ContentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from anyfast_client import (
    AnyfastError,
    AssistantMessage,
    ChatCompletion,
    ImagePart,
    ImageURL,
    Message,
    ResponseMessage,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    Usage,
    UserMessage,
    VideoPart,
    VideoURL,
)
from anyfast_client._adapter import (
    assistant_message,
    data_url,
    join_text,
    tool_call,
    tool_message,
    user_content,
)

__all__ = [
    "USAGE_KEYS",
    "completion_to_chat_response",
    "message_to_wire",
    "messages_to_wire",
    "usage_to_kwargs",
    "wire_message_to_chat_message",
]

Part = TextPart | ImagePart | VideoPart
_SUPPORTED = "TextBlock, ImageBlock and VideoBlock"
_DETAILS = ("auto", "low", "high")
_SYSTEM_ROLES = (MessageRole.SYSTEM, MessageRole.DEVELOPER)
_TOOL_ROLES = (MessageRole.TOOL, MessageRole.FUNCTION)

#: The keys of ``ChatResponse.additional_kwargs`` that carry token usage. The three totals
#: always come with a usage report; the others only when the server sends them.
#: ``cached_tokens`` overlaps the text/image/video counts: do not add them up.
USAGE_KEYS = (
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cached_tokens",
    "text_tokens",
    "image_tokens",
    "video_tokens",
    "reasoning_tokens",
)


# --------------------------------------------------------------------------- outgoing


def messages_to_wire(
    messages: Sequence[ChatMessage], *, preserve_thinking: bool = False
) -> list[Message]:
    """Earlier assistant reasoning (ThinkingBlocks) goes back only with ``preserve_thinking``."""
    return [message_to_wire(m, preserve_thinking=preserve_thinking) for m in messages]


def message_to_wire(message: ChatMessage, *, preserve_thinking: bool = False) -> Message:
    """One LlamaIndex message as the wire message of the same role."""
    role = message.role
    if role in _SYSTEM_ROLES:
        return SystemMessage(content=join_text(_texts(message, "system")))
    if role in _TOOL_ROLES:
        return _tool_message(message)
    if role == MessageRole.USER:
        return UserMessage(content=_user_content(message.blocks))
    return _assistant_message(message, preserve_thinking=preserve_thinking)


def _unsupported(block: ContentBlock, where: str) -> ValueError:
    name = type(block).__name__
    return ValueError(
        f"Anyfast cannot take a {name} in {where}: it supports {_SUPPORTED} "
        "in user messages and text elsewhere."
    )


def _skipped(block: ContentBlock) -> bool:
    # A cache hint and the model's own earlier reasoning are not content to send.
    return isinstance(block, CachePoint | ThinkingBlock)


def _texts(message: ChatMessage, where: str) -> list[str]:
    texts: list[str] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif not _skipped(block):
            raise _unsupported(block, f"a {where} message")
    return texts


def _user_content(blocks: Sequence[ContentBlock]) -> str | list[Part]:
    return user_content([part for block in blocks if (part := block_to_part(block)) is not None])


def block_to_part(block: ContentBlock) -> Part | None:
    """A user-message block as a content part; None for blocks that carry nothing to send."""
    if isinstance(block, TextBlock):
        return TextPart(text=block.text)
    if isinstance(block, ImageBlock):
        return ImagePart(image_url=ImageURL(url=_image_url(block), detail=_detail(block)))
    if isinstance(block, VideoBlock):
        return VideoPart(video_url=VideoURL(url=_video_url(block), fps=block.fps))
    if _skipped(block):
        return None
    raise _unsupported(block, "a user message")


def _detail(block: ImageBlock) -> Literal["auto", "low", "high"] | None:
    detail = block.detail
    if detail is None:
        return None
    if detail not in _DETAILS:
        raise ValueError(f"ImageBlock.detail must be one of {_DETAILS}, not {detail!r}")
    return cast("Literal['auto', 'low', 'high']", detail)


def _image_url(block: ImageBlock) -> str:
    if block.url is not None and not block.image:
        return str(block.url)
    if not block.image_mimetype:
        raise ValueError("Cannot tell the image type: set ImageBlock.image_mimetype")
    return data_url(block.image_mimetype, block.resolve_image(as_base64=True).read().decode())


def _video_url(block: VideoBlock) -> str:
    if block.url is not None and not block.video:
        return str(block.url)
    if not block.video_mimetype:
        raise ValueError("Cannot tell the video type: set VideoBlock.video_mimetype")
    return data_url(block.video_mimetype, block.resolve_video(as_base64=True).read().decode())


def _tool_message(message: ChatMessage) -> ToolMessage:
    call_id = message.additional_kwargs.get("tool_call_id")
    return tool_message(_texts(message, "tool"), str(call_id) if call_id else None)


def _assistant_message(message: ChatMessage, *, preserve_thinking: bool) -> AssistantMessage:
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[ToolCall] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ToolCallBlock):
            calls.append(tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs))
        elif isinstance(block, ThinkingBlock):
            thoughts.append(block.content or "")
        elif not _skipped(block):
            raise _unsupported(block, "an assistant message")
    calls = calls or _legacy_tool_calls(message.additional_kwargs.get("tool_calls"))
    return assistant_message(texts, calls, thoughts, preserve_thinking=preserve_thinking)


def _legacy_tool_calls(raw: object) -> list[ToolCall]:
    """Tool calls kept the pre-block way, in ``additional_kwargs['tool_calls']``."""
    if not isinstance(raw, list):
        return []
    return [ToolCall.model_validate(c, from_attributes=not isinstance(c, dict)) for c in raw]


# --------------------------------------------------------------------------- incoming


def tool_kwargs(arguments: str) -> dict[str, Any] | str:
    """Arguments as a dict when they are a JSON object; Qwen sends "" for no arguments."""
    if not arguments.strip():
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return arguments
    return parsed if isinstance(parsed, dict) else arguments


def tool_call_block(call: ToolCall, kwargs: dict[str, Any] | str) -> ToolCallBlock:
    return ToolCallBlock(
        tool_call_id=call.id or None, tool_name=call.function.name, tool_kwargs=kwargs
    )


def tool_call_dicts(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    """Tool calls the pre-block way, which LlamaIndex's streaming structured output still reads."""
    return [call.model_dump(include={"id", "type", "function"}) for call in calls]


def wire_message_to_chat_message(
    message: ResponseMessage, reasoning_tokens: int | None = None
) -> ChatMessage:
    """Blocks in the order the model made them: thinking, text, then tool calls."""
    blocks: list[ContentBlock] = []
    if message.reasoning_content:
        blocks.append(ThinkingBlock(content=message.reasoning_content, num_tokens=reasoning_tokens))
    blocks.append(TextBlock(text=message.content or ""))
    calls = message.tool_calls or []
    blocks.extend(tool_call_block(call, tool_kwargs(call.function.arguments)) for call in calls)
    extra = {"tool_calls": tool_call_dicts(calls)} if calls else {}
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def usage_to_kwargs(usage: Usage | None) -> dict[str, int]:
    """The usage report under :data:`USAGE_KEYS`; empty when the server sent none."""
    if usage is None:
        return {}
    counts = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    details: dict[str, int | None] = {}
    if usage.prompt_tokens_details is not None:
        prompt = usage.prompt_tokens_details
        details |= {
            "cached_tokens": prompt.cached_tokens,
            "text_tokens": prompt.text_tokens,
            "image_tokens": prompt.image_tokens,
            "video_tokens": prompt.video_tokens,
        }
    if usage.completion_tokens_details is not None:
        details["reasoning_tokens"] = usage.completion_tokens_details.reasoning_tokens
    counts.update({key: value for key, value in details.items() if value is not None})
    return counts


def reasoning_tokens(usage: Usage | None) -> int | None:
    details = usage.completion_tokens_details if usage is not None else None
    return details.reasoning_tokens if details is not None else None


def completion_to_chat_response(completion: ChatCompletion) -> ChatResponse:
    if not completion.choices:
        raise AnyfastError(f"The server answered with no choices (id {completion.id!r})")
    choice = completion.choices[0]
    message = wire_message_to_chat_message(choice.message, reasoning_tokens(completion.usage))
    extra: dict[str, Any] = usage_to_kwargs(completion.usage)
    extra["finish_reason"] = choice.finish_reason
    return ChatResponse(message=message, raw=completion, additional_kwargs=extra)
