"""Pure converters between LlamaIndex messages and the Anyfast wire models.

LlamaIndex ``ChatMessage`` -> :mod:`anyfast_client` request models on the way out;
the way back lives in ``_response``. No I/O here: the LLM class wires these to a client.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ContentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from anyfast_client import (
    AssistantMessage,
    ImagePart,
    Message,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
    VideoPart,
)
from anyfast_client._adapter import (
    assistant_message,
    data_url,
    image_part,
    join_text,
    tool_call,
    tool_message,
    user_content,
    video_part,
)

__all__ = ["message_to_wire", "messages_to_wire"]

Part = TextPart | ImagePart | VideoPart
_SUPPORTED = "TextBlock, ImageBlock and VideoBlock"
_BASE64_ALPHABET_AND_PAD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_SYSTEM_ROLES = (MessageRole.SYSTEM, MessageRole.DEVELOPER)
_TOOL_ROLES = (MessageRole.TOOL, MessageRole.FUNCTION)

# --------------------------------------------------------------------------- outgoing


def messages_to_wire(
    messages: Sequence[ChatMessage], *, preserve_thinking: bool = False
) -> list[Message]:
    """Earlier assistant reasoning (ThinkingBlocks) goes back only with ``preserve_thinking``."""
    return [message_to_wire(m, preserve_thinking=preserve_thinking) for m in messages]


def message_to_wire(message: ChatMessage, *, preserve_thinking: bool = False) -> Message:
    """One LlamaIndex message as the wire message of the same role."""
    if not isinstance(message, ChatMessage):
        raise _not_a_chat_message(message)
    role = message.role
    if role in _SYSTEM_ROLES:
        return SystemMessage(content=join_text(_texts(message, "system")))
    if role in _TOOL_ROLES:
        return _tool_message(message)
    if role == MessageRole.USER:
        return UserMessage(content=_user_content(message.blocks))
    return _assistant_message(message, preserve_thinking=preserve_thinking)


def _not_a_chat_message(message: object) -> TypeError:
    # An OpenAI-style dict or a LangChain message would otherwise fail deep inside with
    # an AttributeError that names neither the message nor the fix.
    return TypeError(
        f"Anyfast takes llama_index.core.llms.ChatMessage objects, got a "
        f"{type(message).__name__}: write ChatMessage(role='user', content='...')"
    )


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
        return image_part(_image_url(block), block.detail)
    if isinstance(block, VideoBlock):
        return video_part(_video_url(block), block.fps)
    if _skipped(block):
        return None
    raise _unsupported(block, "a user message")


def _image_url(block: ImageBlock) -> str:
    if block.url is not None and not block.image:
        return str(block.url)
    if not block.image_mimetype:
        raise ValueError("Cannot tell the image type: set ImageBlock.image_mimetype")
    text = _as_base64_text(block.image)
    if text is None:
        text = block.resolve_image(as_base64=True).read().decode()
    return data_url(block.image_mimetype, text)


def _video_url(block: VideoBlock) -> str:
    if block.url is not None and not block.video:
        return str(block.url)
    if not block.video_mimetype:
        raise ValueError("Cannot tell the video type: set VideoBlock.video_mimetype")
    text = _as_base64_text(block.video)
    if text is None:
        text = block.resolve_video(as_base64=True).read().decode()
    return data_url(block.video_mimetype, text)


def _as_base64_text(data: object) -> str | None:
    """Block data that is already base64 (as LlamaIndex stores it), as text; else None.

    ``resolve_image(as_base64=True)`` decodes and re-encodes it, which for large
    images is most of a request's cost. The check is what its strict decode accepts.
    """
    if not isinstance(data, bytes) or not data or len(data) % 4:
        return None
    # Padding only at the end, at most two; every other byte from the alphabet.
    padding = data.find(b"=")
    if padding != -1 and (padding < len(data) - 2 or data[-1:] != b"="):
        return None
    if data.translate(None, _BASE64_ALPHABET_AND_PAD):
        return None
    return data.decode("ascii")


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
