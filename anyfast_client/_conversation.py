"""What a conversation looks like on the wire, whichever framework wrote it.

Both adapters map their message objects onto these helpers, so the same
conversation makes the same bytes:

- text-only turns (system, tool, assistant) join their text blocks with a newline,
  as LlamaIndex's ``ChatMessage.content`` does: two blocks never run into one word;
- a user turn of one text block is sent as a string, anything else as parts;
- an assistant turn with tool calls and no text omits ``content`` (the OpenAI shape
  allows that when ``tool_calls`` is present);
- the assistant's earlier reasoning goes back only with ``preserve_thinking``;
- a historical tool call with no id gets ``call_<n>`` (its place among the id-less
  calls), and a tool result with no id answers the oldest such call still open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._models import (
    AssistantMessage,
    ContentPart,
    FunctionCall,
    ImagePart,
    ImageURL,
    Message,
    TextPart,
    ToolCall,
    ToolMessage,
    VideoPart,
    VideoURL,
)

__all__ = [
    "TEXT_SEPARATOR",
    "assistant_message",
    "data_url",
    "image_part",
    "join_text",
    "settle_tool_call_ids",
    "tool_call",
    "tool_message",
    "user_content",
    "video_part",
]

TEXT_SEPARATOR = "\n"
_DETAILS = ("auto", "low", "high")


def join_text(texts: Iterable[str]) -> str:
    """The content of a text-only turn made of several text blocks."""
    return TEXT_SEPARATOR.join(texts)


def user_content(parts: Sequence[ContentPart]) -> str | list[ContentPart]:
    """One text part is sent as a plain string; anything else as a list of parts."""
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return parts[0].text
    return list(parts)


def data_url(mime_type: str, base64_data: str) -> str:
    """Inline media, as the API takes it in an ``image_url`` or ``video_url`` part."""
    return f"data:{mime_type};base64,{base64_data}"


def image_part(url: object, detail: object = None) -> ImagePart:
    """An image by URL (or data URL); ``detail`` is ``auto``, ``low`` or ``high``."""
    if detail is not None and detail not in _DETAILS:
        raise ValueError(f"An image's detail must be one of {_DETAILS}, not {detail!r}")
    return ImagePart(image_url=ImageURL(url=_url(url, "image"), detail=detail))


def video_part(url: object, fps: object = None) -> VideoPart:
    """A video by URL (or data URL), sampled at ``fps`` frames a second when given."""
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, int | float) or fps <= 0):
        raise ValueError(f"A video's fps must be a number > 0, not {fps!r}")
    return VideoPart(video_url=VideoURL(url=_url(url, "video"), fps=fps))


def _url(url: object, kind: str) -> str:
    if not isinstance(url, str) or not url:
        raise ValueError(f"The {kind} part needs a URL or a data URL, not {url!r}")
    return url


def tool_call(call_id: str | None, name: str, arguments: str | Mapping[str, Any]) -> ToolCall:
    """A call from history; arguments given as a mapping are sent as JSON text."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return ToolCall(id=call_id or "", function=FunctionCall(name=name, arguments=arguments))


def assistant_message(
    texts: Iterable[str],
    calls: Sequence[ToolCall],
    reasoning: Iterable[str],
    *,
    preserve_thinking: bool,
) -> AssistantMessage:
    """An earlier assistant turn; ``reasoning`` is only sent with ``preserve_thinking``."""
    text = join_text(texts)
    thought = "".join(reasoning) if preserve_thinking else ""
    return AssistantMessage(
        content=text if text or not calls else None,
        reasoning_content=thought or None,
        tool_calls=list(calls) or None,
    )


def tool_message(texts: Iterable[str], call_id: str | None) -> ToolMessage:
    """A tool's result; an empty id is matched to an id-less call by settle_tool_call_ids."""
    return ToolMessage(content=join_text(texts), tool_call_id=call_id or "")


def settle_tool_call_ids(messages: list[Message]) -> list[Message]:
    """Give id-less historical calls an id, and their id-less results the same one."""
    open_ids: list[str] = []
    count = 0
    settled: list[Message] = []
    for message in messages:
        if isinstance(message, AssistantMessage) and message.tool_calls:
            calls = []
            for call in message.tool_calls:
                if not call.id:
                    call = call.model_copy(update={"id": f"call_{count}"})
                    count += 1
                    open_ids.append(call.id)
                calls.append(call)
            message = message.model_copy(update={"tool_calls": calls})
        elif isinstance(message, ToolMessage) and not message.tool_call_id:
            message = message.model_copy(update={"tool_call_id": _answered(open_ids)})
        settled.append(message)
    return settled


def _answered(open_ids: list[str]) -> str:
    if not open_ids:
        raise ValueError(
            "A tool message needs the id of the call it answers (tool_call_id), and no "
            "earlier tool call without an id is left for it to answer."
        )
    return open_ids.pop(0)
