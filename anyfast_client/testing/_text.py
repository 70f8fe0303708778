"""Reading request JSON: words and messages, shared by the checks and the simulation."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from anyfast_client.testing.replies import JSONDict

_WORD = re.compile(r"\S+")


def word_count(text: str | None) -> int:
    # Counting matches instead of split() keeps a 20 MB reply from becoming millions of strings.
    return sum(1 for _ in _WORD.finditer(text)) if text else 0


def first_words(text: str, count: int) -> str:
    end = 0
    for index, match in enumerate(_WORD.finditer(text)):
        if index == count:
            break
        end = match.end()
    return text[:end] if count > 0 else ""


def parts(message: Any) -> list[JSONDict]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [part for part in content if isinstance(part, dict)]


def message_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    texts = [p.get("text") for p in parts(message) if p.get("type") == "text"]
    return " ".join(text for text in texts if isinstance(text, str))


def media_counts(message: Any) -> tuple[int, int]:
    types = [part.get("type") for part in parts(message)]
    return types.count("image_url"), types.count("video_url")


def messages_of(request: JSONDict) -> list[Any]:
    messages = request.get("messages")
    return messages if isinstance(messages, list) else []


def last_user_message(messages: list[Any]) -> Any:
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return users[-1] if users else None


def last_role(messages: list[Any]) -> Any:
    last = messages[-1] if messages else None
    return last.get("role") if isinstance(last, dict) else None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
