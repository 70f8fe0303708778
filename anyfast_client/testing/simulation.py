"""The simulated model that answers when no reply is scripted: a simulation, not a model.

It reads the prompt and answers from what it finds there, so examples and demos make sense
without a key; a test that cares about the answer scripts it with ``Reply(...)``, which
always wins. The same request always gets the same reply.

- A question with context (a RAG prompt: passages in the system message, or around a
  ``Query:`` line) is answered by quoting the passage sharing most words with the question.
- A plain question gets an answer that names it and says it is simulated; a follow-up names
  the question before it, so a conversation sent with its history shows it.
- With tools, it calls the tool the prompt names, else the one whose name and description
  share most words with the prompt (the first on a tie; none, when several are offered and
  none shares a word, unless a call is forced), its arguments taken from the prompt's
  quoted phrases, names, codes and numbers by the schema: "What's the weather in Paris?"
  gives ``city="Paris"``, "100 USD" ``amount=100, currency="USD"``. After a tool result, it
  answers with the result (the JSON asked for, read from the question and the results,
  when ``response_format`` asks), unless a call is forced: then it calls a tool not yet
  called since the user's message (an agent's structured answer), so a loop ends.
- Structured output (``json_schema``, a forced tool, ``json_object`` with the keys the
  prompt lists) is a form: a field is filled only where the prompt says what it means,
  else it holds a typed placeholder such as ``"<country>"`` (see ``_schema``).
- With ``enable_thinking``, the reasoning talks about the question and the plan.
- The line the chat classes add to the first system message while thinking (upstream
  refuses a forced tool and JSON output then) is read as what it asks: "Answer by calling
  the function 'City'" gets the call a forced ``City`` gets, the JSON line the JSON that
  ``response_format`` gets, with the reasoning (see ``anyfast_client._forced``).
- ``stop`` and ``max_completion_tokens`` cut the answer; a word counts as a token, an image
  as 85 and a video as 200.
- ``preserve_thinking`` counts earlier turns' reasoning in ``prompt_tokens``.
- Embeddings are bags of content words, normalised: the more words two texts share, the
  higher their cosine, which is never negative.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Final

from anyfast_client._forced import (
    ANSWER_JSON,
    CALL_ANY_FUNCTION,
    CALL_THE_FUNCTION,
    DESCRIBED_AS,
    FITTING_SCHEMA,
    OBJECT_NAMED,
)
from anyfast_client.testing import _reading
from anyfast_client.testing._schema import SchemaFaker
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
    # With preserve_thinking, earlier reasoning is part of the prompt, as upstream documents.
    preserve = request.get("preserve_thinking") is True
    for message in messages_of(request):
        text += word_count(message_text(message))
        if preserve and isinstance(message, dict):
            reasoning = message.get("reasoning_content")
            text += word_count(reasoning if isinstance(reasoning, str) else None)
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


def _relevance(function: JSONDict, words: set[str]) -> int:
    """Words a tool's name and description share with the prompt."""
    description = function.get("description")
    own = _reading.field_terms(str(function.get("name")))
    own += _reading.terms(description if isinstance(description, str) else "")
    return len({term for term in own if term not in _reading.STOPWORDS} & words)


def _closest_tool(tools: dict[str, JSONDict], text: str, *, forced: bool) -> list[str]:
    """The tool sharing most words with the prompt, the first on a tie. When none shares a
    word among several tools, none ("Thanks" gets a text answer), unless a call is forced."""
    words = set(_reading.terms(text))
    scores = {name: _relevance(function, words) for name, function in tools.items()}
    best = max(scores, key=lambda name: scores[name])
    return [best] if forced or scores[best] or len(tools) == 1 else []


def _pick_tools(request: JSONDict, tools: dict[str, JSONDict], text: str) -> list[str]:
    forced = _forced_tool(request.get("tool_choice"))
    if forced is not None:
        return [forced]
    mentioned = _mentioned_tools(list(tools), text)
    if not mentioned:
        return _closest_tool(tools, text, forced=_is_forced(request.get("tool_choice")))
    return mentioned if request.get("parallel_tool_calls") is not False else mentioned[:1]


def _is_forced(choice: Any) -> bool:
    return choice == "required" or isinstance(choice, dict)


def _tool_call(
    index: int, name: str, function: JSONDict, text: str, *, form: bool
) -> ScriptedToolCall:
    parameters = function.get("parameters")
    has_properties = isinstance(parameters, dict) and bool(parameters.get("properties"))
    # Qwen sends an empty string, not "{}", for a tool without parameters.
    arguments = ""
    if has_properties:
        faker = SchemaFaker(parameters, text, form=form, title=name)
        arguments = json.dumps(faker.value(parameters), ensure_ascii=False)
    digest = hashlib.sha256(f"{index}:{name}:{arguments}".encode()).hexdigest()
    return ScriptedToolCall(name=name, arguments=arguments, id=f"call_{digest[:24]}")


def _called_this_turn(messages: list[Any]) -> set[str]:
    """The tools called since the last user message."""
    called: set[str] = set()
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") == "user":
            break
        called.update(_tool_names([message]).values())
    return called


def _still_to_call(request: JSONDict, tools: dict[str, JSONDict]) -> dict[str, JSONDict]:
    """After a tool answered, only a forced ``tool_choice`` calls again (an agent asking
    for its structured answer), and only a tool not called yet this turn: loops end."""
    if not _is_forced(request.get("tool_choice")):
        return {}
    called = _called_this_turn(messages_of(request))
    return {name: function for name, function in tools.items() if name not in called}


def choose_tool_calls(request: JSONDict, text: str) -> list[ScriptedToolCall]:
    """Calls for the tools the prompt names, else for the one closest to it in words.

    A forced tool, or one named like a class (``City``, as structured output names its
    schema), is a form to fill: its fields are read strictly.
    """
    tools = _function_tools(request)
    after_tool = last_role(messages_of(request)) == "tool"
    if after_tool:
        tools = _still_to_call(request, tools)
    if not tools or request.get("tool_choice") == "none":
        return []
    forced = _is_forced(request.get("tool_choice"))
    names = _pick_tools(request, tools, text)
    if after_tool and not set(names) <= set(tools):
        return []
    return [
        _tool_call(i, name, tools.get(name, {}), text, form=forced or name[:1].isupper())
        for i, name in enumerate(names)
    ]


@dataclass(frozen=True)
class Prompt:
    """What the simulated model reads: the question, its context, the questions before it."""

    question: str
    context: list[str]
    earlier: list[str]
    images: int
    videos: int

    @classmethod
    def of(cls, request: JSONDict) -> Prompt:
        messages = [m for m in messages_of(request) if isinstance(m, dict)]
        last = last_user_message(messages)
        text = message_text(last)
        question = _reading.question_of(text)
        # A RAG prompt carries its passages in the system message or around the question.
        around = text.replace(question, "\n") if question != text.strip() else ""
        systems = [message_text(m) for m in messages if m.get("role") == "system"]
        users = [m for m in messages if m.get("role") == "user" and m is not last]
        earlier = [_reading.question_of(message_text(m)) for m in users]
        images, videos = media_counts(last)
        context = _reading.passages("\n".join([*systems, around]))
        return cls(question, context, earlier, images, videos)

    @property
    def passage(self) -> _reading.Passage | None:
        return _reading.best_passage(self.question, self.context)


def _tool_names(messages: list[Any]) -> dict[str, str]:
    """Tool call ids to function names, from the assistant turns that made the calls."""
    found: dict[str, str] = {}
    for message in messages:
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        for call in calls if isinstance(calls, list) else []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(call.get("id"), str):
                found[call["id"]] = str(function.get("name"))
    return found


def _tool_results(messages: list[Any]) -> list[str]:
    names = _tool_names(messages)
    results: list[str] = []
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "tool":
            break
        name = names.get(str(message.get("tool_call_id")), "the tool")
        results.insert(0, f"According to {name}: {message_text(message)}")
    return results


def _media(prompt: Prompt) -> str:
    counts = [(prompt.images, "image"), (prompt.videos, "video")]
    attached = [f"{n} {kind}{'s' if n > 1 else ''}" for n, kind in counts if n]
    return f" ({' and '.join(attached)} attached)" if attached else ""


def _plain_answer(prompt: Prompt) -> str:
    passage = prompt.passage
    if passage is not None:
        return f"From the context: {passage.text}"
    follow_up = f', following "{prompt.earlier[-1]}"' if prompt.earlier else ""
    question = prompt.question or "(no text)"
    return (
        f'About "{question}"{follow_up}{_media(prompt)}: a simulated answer from the local '
        "Anyfast test server, not from a model."
    )


def _formatted(response_format: JSONDict, text: str, answers: str = "") -> str | None:
    """The JSON asked for, from the prompt and what tools answered (``answers``)."""
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        spec = spec if isinstance(spec, dict) else {}
        schema, title = spec.get("schema"), str(spec.get("name") or "")
        faker = SchemaFaker(schema, text, form=True, title=title, answers=answers)
        return json.dumps(faker.value(schema), ensure_ascii=False)
    if kind == "json_object":
        return json.dumps(_json_object(f"{text}\n{answers}".strip()), ensure_ascii=False)
    return None


def _json_object(text: str) -> Any:
    """JSON mode: the keys the prompt asks for, filled as a form; else one ``answer``."""
    keys = _reading.key_names(text)
    if not keys:
        return {"answer": _reading.question_of(text)}
    schema = {"type": "object", "properties": {key: {"type": "string"} for key in keys}}
    return SchemaFaker(schema, _reading.without_key_names(text), form=True).value(schema)


def _answer(request: JSONDict, prompt: Prompt, text: str) -> str:
    messages = messages_of(request)
    results = _tool_results(messages) if last_role(messages) == "tool" else []
    response_format = request.get("response_format")
    if isinstance(response_format, dict):
        # JSON asked after a tool answered (an agent's last turn): the results are read too.
        formatted = _formatted(response_format, text, "\n".join(results))
        if formatted is not None:
            return formatted
    return " ".join(results) if results else _plain_answer(prompt)


def _plan(request: JSONDict, prompt: Prompt, calls: list[ScriptedToolCall]) -> str:
    passage = prompt.passage
    if calls:
        named = ", ".join(f"{call.name}({call.arguments_json})" for call in calls)
        return f"A tool can answer this: I will call {named}."
    if last_role(messages_of(request)) == "tool":
        return "The tool has answered; I will pass its result on."
    if isinstance(request.get("response_format"), dict):
        return "The answer is one JSON object, filled with what the prompt says."
    if passage is not None:
        return f'The most relevant passage is "{passage.text}".'
    return "A short, direct answer will do."


def _reasoning(request: JSONDict, prompt: Prompt, calls: list[ScriptedToolCall]) -> str:
    topic = prompt.question.rstrip("?").strip() or "the conversation so far"
    if topic[1:2].islower():
        topic = topic[0].lower() + topic[1:]
    thought = f"Let me think about {topic}. {_plan(request, prompt, calls)}"
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
    request = as_instructed(request)
    text = message_text(last_user_message(messages_of(request)))
    prompt = Prompt.of(request)
    calls = choose_tool_calls(request, text)
    thinking = request.get("enable_thinking") is True
    reasoning = _reasoning(request, prompt, calls) if thinking else None
    if calls:
        return Reply(reasoning=reasoning, tool_calls=calls)
    return _limited(_answer(request, prompt, text), reasoning, request)


# --- the instruction the chat classes add while thinking -------------------------------------


def _wording(words: str) -> str:
    """A pattern for a fixed wording, whatever the case and the spaces between its words."""
    return r"\s*".join(re.escape(word) for word in words.split())


_CALL_THE_FUNCTION: Final = re.compile(
    _wording(CALL_THE_FUNCTION) + r"\s*(['\"`])([\w.-]+)\1[^\n]*", re.I
)
_CALL_ANY_FUNCTION: Final = re.compile(_wording(CALL_ANY_FUNCTION) + r"[^\n]*", re.I)
_JSON_STRING: Final = r'"(?:[^"\\]|\\.)*"'
_ANSWER_JSON: Final = re.compile(
    _wording(ANSWER_JSON)
    + rf"(?:\s*{_wording(OBJECT_NAMED)}\s*({_JSON_STRING})"
    + rf"(?:\s*{_wording(DESCRIBED_AS)}\s*({_JSON_STRING}))?\s*\.)?"
    + rf"(?:\s*{_wording(FITTING_SCHEMA)}\s*)?",
    re.I,
)


def _instruction(system: str) -> tuple[int, int, JSONDict] | None:
    """Where the instruction is in a system message's text, and the fields it stands for."""
    match = _CALL_THE_FUNCTION.search(system)
    if match is not None:
        forced = {"type": "function", "function": {"name": match[2]}}
        return match.start(), match.end(), {"tool_choice": forced}
    match = _CALL_ANY_FUNCTION.search(system)
    if match is not None:
        return match.start(), match.end(), {"tool_choice": "required"}
    match = _ANSWER_JSON.search(system)
    if match is None:
        return None
    schema, end = _schema_after(system, match.end())
    if schema is None:
        return match.start(), match.end(), {"response_format": {"type": "json_object"}}
    spec = _schema_spec(match, schema)
    return match.start(), end, {"response_format": {"type": "json_schema", "json_schema": spec}}


def _schema_spec(match: re.Match[str], schema: JSONDict) -> JSONDict:
    """The ``json_schema`` the line stands for: the name and description it gives, else the
    schema's title."""
    spec: JSONDict = {"name": str(schema.get("title") or ""), "schema": schema}
    if match[1]:
        spec["name"] = json.loads(match[1])
    if match[2]:
        spec["description"] = json.loads(match[2])
    return spec


def _schema_after(text: str, start: int) -> tuple[JSONDict | None, int]:
    try:
        schema, end = json.JSONDecoder().raw_decode(text, start)
    except ValueError:
        return None, start
    return (schema, end) if isinstance(schema, dict) else (None, start)


def as_instructed(request: JSONDict) -> JSONDict:
    """The request as the model reads it: the instruction at the end of the first system
    message taken for the ``tool_choice`` or ``response_format`` it stands for, and left
    out of the prompt. A request without one, or naming a tool not offered, is unchanged."""
    messages = messages_of(request)
    first = messages[0] if messages else None
    if not isinstance(first, dict) or first.get("role") != "system":
        return request
    system = message_text(first)
    found = _instruction(system)
    if found is None or request.get("tool_choice") not in (None, "auto"):
        return request
    start, end, asked = found
    name = _forced_tool(asked.get("tool_choice"))
    tools = _function_tools(request)
    if (name is not None and name not in tools) or ("tool_choice" in asked and not tools):
        return request
    rest = (system[:start] + system[end:]).strip()
    kept = [{**first, "content": rest}] if rest else []
    return {**request, **asked, "messages": [*kept, *messages[1:]]}


def echo(request: JSONDict) -> Reply:
    """A responder answering with the last user message's text, word for word.

    For tests that check which prompt got which answer: ``server.responder = echo``.
    """
    return Reply(content=message_text(last_user_message(messages_of(request))))


# --- embeddings ------------------------------------------------------------------------------


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


def _noise(text: str, dimension: int) -> list[float]:
    digest = hashlib.shake_256(text.encode()).digest(4 * dimension)
    return [
        int.from_bytes(digest[i : i + 4], "big") / 2**31 - 1.0 for i in range(0, len(digest), 4)
    ]


def embed(text: str, dimension: int) -> list[float]:
    """A bag of content words, normalised: texts sharing words point the same way.

    Each content word (stop words aside) adds 1 at a position its hash picks, so the cosine
    of two texts grows with the words they share and is never negative; equal texts get
    equal vectors. Two words can share a position (more often with fewer dimensions). A
    text with no content word gets a pseudo-random vector of its own.
    """
    vector = [0.0] * dimension
    for term in _reading.terms(text):
        digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "big") % dimension] += 1.0
    if not any(vector):
        vector = [abs(x) for x in _noise(text, dimension)]
    return _unit(vector)


def embeddings_body(request: JSONDict, dimension: int) -> JSONDict:
    dimension = _shortened(request.get("dimensions"), dimension)
    inputs = embedding_inputs(request) or []
    tokens = sum(word_count(text) for text in inputs)
    data = [
        {"object": "embedding", "embedding": embed(text, dimension), "index": index}
        for index, text in enumerate(inputs)
    ]
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": request.get("model"), "usage": usage}


def _shortened(requested: object, dimension: int) -> int:
    """``dimensions`` shortens the vectors, as a model that can shorten them does; it
    never lengthens them."""
    if isinstance(requested, int) and not isinstance(requested, bool) and requested > 0:
        return min(requested, dimension)
    return dimension
