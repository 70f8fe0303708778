"""The deterministic simulated model that answers when no reply is scripted."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any, Final

from anyfast_client.testing._text import (
    first_words,
    is_int,
    last_role,
    last_user_message,
    media_counts,
    message_text,
    messages_of,
    word_count,
)
from anyfast_client.testing.checks import embedding_inputs
from anyfast_client.testing.replies import JSONDict, Reply, ScriptedToolCall

IMAGE_TOKENS: Final = 85
VIDEO_TOKENS: Final = 200

# --- usage -----------------------------------------------------------------------------------


def prompt_usage(request: JSONDict) -> tuple[int, int, int]:
    """(text, image, video) tokens of the prompt: a word is a token, media cost a flat rate."""
    text = images = videos = 0
    for message in messages_of(request):
        text += word_count(message_text(message))
        image_count, video_count = media_counts(message)
        images += image_count
        videos += video_count
    return text, images * IMAGE_TOKENS, videos * VIDEO_TOKENS


def compute_usage(request: JSONDict, reply: Reply) -> JSONDict:
    text, image, video = prompt_usage(request)
    reasoning = word_count(reply.reasoning)
    calls = sum(word_count(call.arguments_json) for call in reply.tool_calls)
    completion = word_count(reply.content) + reasoning + calls
    prompt = text + image + video
    usage: JSONDict = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": 0,
            "text_tokens": text,
            "image_tokens": image,
            "video_tokens": video,
        },
    }
    if reply.reasoning is not None and reply.include_reasoning_tokens:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return usage


# --- JSON-schema values ----------------------------------------------------------------------


def _first_number(text: str, pattern: str) -> int | float:
    match = re.search(pattern, text)
    if match is None:
        return 3
    number = match.group()
    return float(number) if "." in number else int(number)


def _schema_type(schema: JSONDict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    return "object" if "properties" in schema else "string"


class SchemaFaker:
    """Builds a value that fits a JSON schema, taking numbers from the user's text."""

    def __init__(self, root: Any, text: str) -> None:
        self._root = root
        self._text = text

    def value(self, schema: Any, depth: int = 0) -> Any:
        schema = self._resolve(schema)
        # A self-referencing schema would otherwise recurse forever.
        if depth > 8 or not isinstance(schema, dict):
            return "example"
        if schema.get("enum"):
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return self.value((usable or options)[0], depth + 1)
        return self._by_type(schema, depth)

    def _by_type(self, schema: JSONDict, depth: int) -> Any:
        makers: dict[str, Callable[[], Any]] = {
            "object": lambda: self._object(schema, depth),
            "array": list,
            "integer": lambda: int(_first_number(self._text, r"-?\d+")),
            "number": lambda: _first_number(self._text, r"-?\d+(?:\.\d+)?"),
            "boolean": lambda: True,
            "null": lambda: None,
        }
        return makers.get(_schema_type(schema), lambda: "example")()

    def _object(self, schema: JSONDict, depth: int) -> JSONDict:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        result = {name: self.value(sub, depth + 1) for name, sub in properties.items()}
        required = schema.get("required")
        for name in required if isinstance(required, list) else []:
            result.setdefault(str(name), "example")
        return result

    def _resolve(self, schema: Any) -> Any:
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target = self._root
        for key in ref[2:].split("/"):
            target = target.get(key) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else {}


# --- the simulated model ---------------------------------------------------------------------


def _function_tools(request: JSONDict) -> dict[str, JSONDict]:
    tools = request.get("tools")
    tools = tools if isinstance(tools, list) else []
    functions = [tool.get("function") for tool in tools if isinstance(tool, dict)]
    return {
        f["name"]: f for f in functions if isinstance(f, dict) and isinstance(f.get("name"), str)
    }


def _forced_tool(choice: Any) -> str | None:
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else None


def _mentioned_tools(names: list[str], text: str) -> list[str]:
    found = []
    for name in names:
        match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)
        if match is not None:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]


def _pick_tools(request: JSONDict, names: list[str], text: str) -> list[str]:
    forced = _forced_tool(request.get("tool_choice"))
    if forced is not None:
        return [forced]
    mentioned = _mentioned_tools(names, text)
    if not mentioned:
        return names[:1]
    return mentioned if request.get("parallel_tool_calls") is not False else mentioned[:1]


def _tool_call(index: int, name: str, function: JSONDict, text: str) -> ScriptedToolCall:
    parameters = function.get("parameters")
    has_properties = isinstance(parameters, dict) and bool(parameters.get("properties"))
    # Qwen sends an empty string, not "{}", for a tool without parameters.
    arguments = ""
    if has_properties:
        arguments = json.dumps(SchemaFaker(parameters, text).value(parameters))
    digest = hashlib.sha256(f"{index}:{name}:{arguments}".encode()).hexdigest()
    return ScriptedToolCall(name=name, arguments=arguments, id=f"call_{digest[:24]}")


def choose_tool_calls(request: JSONDict, text: str) -> list[ScriptedToolCall]:
    tools = _function_tools(request)
    messages = messages_of(request)
    if not tools or request.get("tool_choice") == "none" or last_role(messages) == "tool":
        return []
    names = _pick_tools(request, list(tools), text)
    return [_tool_call(i, name, tools.get(name, {}), text) for i, name in enumerate(names)]


def quoted_words(text: str) -> list[str]:
    words = [match.group(2) for match in re.finditer(r"(['\"])([A-Za-z_]\w*)\1", text)]
    return list(dict.fromkeys(words))


def _tool_results(messages: list[Any]) -> list[str]:
    results: list[str] = []
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "tool":
            break
        results.insert(0, message_text(message))
    return results


def _greeting(text: str, message: Any) -> str:
    answer = f"Hello! You asked: {text.strip() or '(no text)'}"
    images, videos = media_counts(message)
    if images or videos:
        answer += f" I can see {images} image(s) and {videos} video(s)."
    return answer


def _formatted(response_format: JSONDict, text: str) -> str | None:
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return json.dumps(SchemaFaker(schema, text).value(schema))
    if kind == "json_object":
        keys = quoted_words(text)
        if not keys:
            return json.dumps({"answer": f"You asked: {text.strip()}"})
        return json.dumps({key: f"example {key}" for key in keys})
    return None


def _answer(request: JSONDict, text: str) -> str:
    messages = messages_of(request)
    if last_role(messages) == "tool":
        return "The tool returned: " + "; ".join(_tool_results(messages))
    response_format = request.get("response_format")
    formatted = _formatted(response_format, text) if isinstance(response_format, dict) else None
    if formatted is not None:
        return formatted
    return _greeting(text, last_user_message(messages))


def _reasoning(request: JSONDict, text: str) -> str:
    topic = text.strip() or "the conversation so far"
    thought = f"Let me think about {topic}. A short, direct answer will do."
    budget = request.get("thinking_budget")
    return first_words(thought, budget) if is_int(budget) and budget > 0 else thought


def _cut_at_stop(content: str, stop: Any) -> str:
    stops = [s for s in stop if isinstance(s, str) and s] if isinstance(stop, list) else []
    cuts = [index for index in (content.find(s) for s in stops) if index >= 0]
    return content[: min(cuts)] if cuts else content


def _token_limit(request: JSONDict) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = request.get(name)
        if is_int(value):
            return int(value)
    return None


def _limited(content: str, reasoning: str | None, request: JSONDict) -> Reply:
    content = _cut_at_stop(content, request.get("stop"))
    limit = _token_limit(request)
    if limit is None:
        return Reply(content=content, reasoning=reasoning)
    thought = word_count(reasoning)
    if reasoning is not None and thought >= limit:
        # The budget went on thinking: nothing is left for the answer.
        return Reply(content="", reasoning=first_words(reasoning, limit), finish_reason="length")
    room = limit - thought
    if word_count(content) <= room:
        return Reply(content=content, reasoning=reasoning)
    return Reply(content=first_words(content, room), reasoning=reasoning, finish_reason="length")


def simulate(request: JSONDict) -> Reply:
    """The default responder: a deterministic stand-in for the model."""
    messages = messages_of(request)
    text = message_text(last_user_message(messages))
    thinking = request.get("enable_thinking") is True
    reasoning = _reasoning(request, text) if thinking else None
    calls = choose_tool_calls(request, text)
    if calls:
        return Reply(reasoning=reasoning, tool_calls=calls)
    return _limited(_answer(request, text), reasoning, request)


# --- embeddings ------------------------------------------------------------------------------


def embed(text: str, dimension: int) -> list[float]:
    """A unit vector that depends only on the text: equal texts get equal vectors."""
    digest = hashlib.shake_256(text.encode()).digest(4 * dimension)
    raw = [int.from_bytes(digest[i : i + 4], "big") / 2**31 - 1.0 for i in range(0, len(digest), 4)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def embeddings_body(request: JSONDict, dimension: int) -> JSONDict:
    inputs = embedding_inputs(request) or []
    tokens = sum(word_count(text) for text in inputs)
    data = [
        {"object": "embedding", "embedding": embed(text, dimension), "index": index}
        for index, text in enumerate(inputs)
    ]
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": request.get("model"), "usage": usage}
