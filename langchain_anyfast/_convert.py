"""Pure converters between LangChain messages and the Anyfast wire models.

LangChain messages -> :func:`messages_to_anyfast` -> wire messages; the way back
lives in ``_response``. Nothing here does I/O or knows about the client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
)
from langchain_core.messages import SystemMessage as LCSystemMessage
from langchain_core.messages import ToolMessage as LCToolMessage

from anyfast_client import (
    AssistantMessage,
    ContentPart,
    Message,
    SystemMessage,
    TextPart,
    UserMessage,
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

__all__ = [
    "content_to_parts",
    "message_to_anyfast",
    "messages_to_anyfast",
]

_SUPPORTED = "text, image (URL or base64) and video (URL or base64)"


# --------------------------------------------------------------------------- content


def _unsupported(kind: object) -> ValueError:
    return ValueError(f"Anyfast does not accept {kind!r} content blocks; it accepts {_SUPPORTED}.")


def _media_url(block: Mapping[str, Any], default_mime: str) -> str:
    """The URL of a standard (v1) or legacy (v0) image/video block."""
    url = block.get("url")
    if isinstance(url, str) and url:
        return url
    data = block.get("base64") or block.get("data")
    if isinstance(data, str) and data:
        if block.get("source_type", "base64") == "url":
            return data
        return data_url(block.get("mime_type") or default_mime, data)
    raise ValueError(
        f"A {block.get('type')!r} block needs a 'url' or 'base64' data; file ids are not "
        "supported by Anyfast."
    )


def _fps(block: Mapping[str, Any]) -> object:
    extras = block.get("extras")
    fps = block.get("fps")
    if fps is None and isinstance(extras, Mapping):
        fps = extras.get("fps")
    return fps


def _openai_url(value: object) -> Mapping[str, Any]:
    return {"url": value} if isinstance(value, str) else dict(value or {})  # type: ignore[call-overload]


def _block_to_part(block: Mapping[str, Any]) -> ContentPart:
    kind = block.get("type")
    if kind == "text":
        return TextPart(text=str(block.get("text", "")))
    if kind == "image_url":
        image = _openai_url(block.get("image_url"))
        return image_part(image.get("url"), image.get("detail"))
    if kind == "video_url":
        video = _openai_url(block.get("video_url"))
        return video_part(video.get("url"), video.get("fps"))
    if kind == "image":
        return image_part(_media_url(block, "image/png"))
    if kind == "video":
        return video_part(_media_url(block, "video/mp4"), _fps(block))
    raise _unsupported(kind)


def content_to_parts(content: str | Sequence[str | Mapping[str, Any]]) -> list[ContentPart]:
    """LangChain message content (any block format) to Anyfast content parts."""
    if isinstance(content, str):
        return [TextPart(text=content)]
    return [
        TextPart(text=block) if isinstance(block, str) else _block_to_part(block)
        for block in content
    ]


def _user_content(content: Any) -> str | list[ContentPart]:
    if isinstance(content, str):
        return content
    return user_content(content_to_parts(content))


def _texts(content: Any, role: str) -> list[str]:
    """The text blocks of a text-only turn (system, tool and assistant turns take no media)."""
    if isinstance(content, str):
        return [content]
    texts: list[str] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif role != "assistant":  # assistant turns also carry reasoning/tool blocks: skip
            raise ValueError(
                f"Anyfast takes only text in {role} messages; got a {block.get('type')!r} block."
            )
    return texts


# --------------------------------------------------------------------------- messages


def _assistant(message: AIMessage, *, preserve_thinking: bool) -> AssistantMessage:
    calls = [tool_call(c.get("id"), c["name"], c["args"]) for c in message.tool_calls]
    calls += [
        tool_call(c.get("id"), c.get("name") or "", c.get("args") or "")
        for c in message.invalid_tool_calls
    ]
    reasoning = message.additional_kwargs.get("reasoning_content")
    return assistant_message(
        _texts(message.content, "assistant"),
        calls,
        [reasoning] if isinstance(reasoning, str) else [],
        preserve_thinking=preserve_thinking,
    )


def _by_role(role: str, message: BaseMessage, preserve_thinking: bool) -> Message:
    if role in ("system", "developer"):
        return SystemMessage(content=join_text(_texts(message.content, "system")))
    if role in ("user", "human"):
        return UserMessage(content=_user_content(message.content))
    if role in ("assistant", "ai"):
        ai = message if isinstance(message, AIMessage) else AIMessage(content=message.content)
        return _assistant(ai, preserve_thinking=preserve_thinking)
    if role == "tool" and isinstance(message, LCToolMessage):
        return tool_message(_texts(message.content, "tool"), message.tool_call_id)
    raise ValueError(
        f"Anyfast cannot send a message with role {role!r} ({type(message).__name__})."
    )


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        return message.role
    if isinstance(message, LCSystemMessage):
        return "system"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, LCToolMessage):
        return "tool"
    return message.type


def message_to_anyfast(message: BaseMessage, *, preserve_thinking: bool = False) -> Message:
    """One LangChain message to its Anyfast wire message."""
    return _by_role(_role(message), message, preserve_thinking)


def messages_to_anyfast(
    messages: Iterable[BaseMessage], *, preserve_thinking: bool = False
) -> list[Message]:
    """LangChain messages to Anyfast wire messages.

    Earlier assistant reasoning goes back only with ``preserve_thinking``.
    """
    return [message_to_anyfast(m, preserve_thinking=preserve_thinking) for m in messages]
