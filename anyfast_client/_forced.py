"""A forced tool or JSON output while thinking: asked in a way upstream accepts, checked,
and at most one fallback request.

Upstream refuses ``tool_choice`` naming a tool or ``"required"``, and any
``response_format`` but text, while the model thinks (400). With
``forced_tool_thinking="keep"`` (the default) the first request keeps thinking: the tools
are offered with ``tool_choice: "auto"``, JSON is asked for in words, and a system line
names what the answer must be. The answer is then checked (:meth:`Ask.accept`); one that
missed gets ONE more request, with thinking off and the original ``tool_choice`` /
``response_format``, and an :class:`AnyfastWarning`. ``"off"`` sends that request
straight away (one request, warned), as earlier versions did.

Sans-I/O: :func:`plan_request` and :class:`Plan` decide; the adapters send. :func:`answer`
and :func:`aanswer` are the two short shells for whole answers; streams use the same plan.
"""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from ._json_text import fits_schema, json_object_in
from ._models import (
    ChatCompletion,
    ChatRequest,
    FunctionCall,
    Message,
    ResponseMessage,
    SystemMessage,
    TextPart,
    ToolCall,
)
from ._request import AnyfastWarning, Layer, asked_request, settle_request, thinking_conflict
from ._response import primary_choice

__all__ = [
    "ANSWER_JSON",
    "CALL_ANY_FUNCTION",
    "CALL_THE_FUNCTION",
    "DESCRIBED_AS",
    "FITTING_SCHEMA",
    "FORCED_TOOL_THINKING",
    "NOT_IN_TEXT",
    "OBJECT_NAMED",
    "Ask",
    "ForcedToolThinking",
    "Plan",
    "aanswer",
    "answer",
    "check_forced_tool_thinking",
    "plan_chat_request",
    "plan_request",
]

ForcedToolThinking = Literal["keep", "off"]
#: The values of the ``forced_tool_thinking`` setting.
FORCED_TOOL_THINKING: tuple[str, ...] = get_args(ForcedToolThinking)

# The words of the instruction line, named so that the test server's simulation reads the
# line as a model would without keeping a copy of it.
#: Opens the line naming the tool to call; the tool's name follows, quoted.
CALL_THE_FUNCTION: Final = "Answer by calling the function"
#: The line asking for a call of any tool offered, before :data:`NOT_IN_TEXT`.
CALL_ANY_FUNCTION: Final = "Answer by calling one or more of the functions offered"
#: Ends both lines that ask for a call.
NOT_IN_TEXT: Final = "; do not answer in text."
#: The line asking for JSON.
ANSWER_JSON: Final = "Answer with one JSON object and nothing else."
#: Follows :data:`ANSWER_JSON` when the schema has a name; the name follows as a JSON string,
#: then, if there is a description, :data:`DESCRIBED_AS`; a full stop ends that part.
OBJECT_NAMED: Final = "The object is named"
#: Follows the schema's name when it has a description; the description follows as a JSON
#: string (quoted, on one line, whatever it holds).
DESCRIBED_AS: Final = ", described as"
#: Follows :data:`ANSWER_JSON` when there is a schema; the schema's JSON follows, on one line.
FITTING_SCHEMA: Final = "It must fit this JSON schema:"


def check_forced_tool_thinking(value: object) -> ForcedToolThinking:
    """The setting's value, or a ``ValueError`` naming it and the values it takes."""
    if value == "keep":
        return "keep"
    if value == "off":
        return "off"
    raise ValueError(
        f"forced_tool_thinking={value!r} is not accepted: use 'keep' (thinking stays on, "
        "one fallback request if the model does not comply) or 'off' (thinking off)"
    )


@dataclass(frozen=True, slots=True)
class Ask:
    """What a request that forces a tool or asks for JSON wants from the answer."""

    tool: str | None = None
    """A tool the answer must call."""
    any_tool: bool = False
    """At least one call, of any tool offered (``"required"``)."""
    parameters: Mapping[str, Any] | None = None
    """The named tool's parameters: a JSON object in the text that fits them is its call."""
    json: bool = False
    """A JSON object as the answer (``response_format``)."""
    schema: Mapping[str, Any] | None = None
    """The schema that JSON object must fit (``json_schema``), if any."""
    schema_name: str = ""
    """The schema's name, as ``json_schema`` gave it (``""``: none)."""
    schema_description: str = ""
    """The schema's description, as ``json_schema`` gave it (``""``: none)."""
    tools_offered: bool = False

    def instruction(self) -> str:
        """The system line that asks for what upstream will not let us force while thinking."""
        if self.tool is not None:
            return f"{CALL_THE_FUNCTION} {self.tool!r}{NOT_IN_TEXT}"
        if self.any_tool:
            return CALL_ANY_FUNCTION + NOT_IN_TEXT
        if self.schema is None:
            return ANSWER_JSON
        schema = json.dumps(self.schema, ensure_ascii=False)
        return f"{ANSWER_JSON}{self._naming()} {FITTING_SCHEMA} {schema}"

    def _naming(self) -> str:
        """What ``response_format`` would have said of the schema besides its JSON: its name
        and description, as JSON strings so that any text stays on the line and ends."""
        if not self.schema_name:
            return ""
        named = f" {OBJECT_NAMED} {json.dumps(self.schema_name, ensure_ascii=False)}"
        if self.schema_description:
            described = json.dumps(self.schema_description, ensure_ascii=False)
            named += f"{DESCRIBED_AS} {described}"
        return named + "."

    def accept(self, message: ResponseMessage) -> ResponseMessage | None:
        """The answer as it should reach the caller, or None when it missed.

        A named tool: a call to it, or a JSON object in the text that fits its parameters
        (made into the call). ``"required"``: any call. JSON: a JSON object in the text,
        fitting the schema if there is one (the text becomes that object's JSON), or, when
        tools were offered, a call of one.
        """
        calls = message.tool_calls or []
        if self.tool is not None:
            if any(call.function.name == self.tool for call in calls):
                return message
            return _call_from_text(message, self.tool, self.parameters)
        if self.any_tool:
            return message if calls else None
        if calls and self.tools_offered:
            return message
        return _json_from_text(message, self.schema)


@dataclass(frozen=True, slots=True)
class Plan:
    """The first request of a call, and the one to send if its answer misses."""

    request: ChatRequest
    fallback: ChatRequest | None = None
    ask: Ask | None = None
    conflict: str = ""

    @property
    def checks(self) -> bool:
        """Whether the first answer must be checked (and a stream must hold its answer back)."""
        return self.fallback is not None

    def accept(self, completion: ChatCompletion) -> ChatCompletion | None:
        """The completion to hand back, or None when the fallback must be sent."""
        if self.ask is None or self.fallback is None:
            return completion
        choice = primary_choice(completion)
        message = self.ask.accept(choice.message)
        if message is None:
            return None
        if message is choice.message:
            return completion
        kept = choice.model_copy(update={"message": message})
        choices = [kept if c is choice else c for c in completion.choices]
        return completion.model_copy(update={"choices": choices})

    def fall_back(self, *, stacklevel: int = 2) -> ChatRequest:
        """The fallback request, with the warning that says why it is sent."""
        if self.fallback is None:
            raise RuntimeError("this plan has no fallback request")
        warnings.warn(
            "The model answered without doing what was asked while thinking; asking once more "
            f"with thinking off, since Anyfast allows {self.conflict} only then "
            "(forced_tool_thinking='off' skips the first try).",
            AnyfastWarning,
            stacklevel=stacklevel + 1,
        )
        return self.fallback


def plan_request(
    request: ChatRequest, mode: ForcedToolThinking = "keep", *, stacklevel: int = 2
) -> Plan:
    """How to ask what ``request`` asks: as it is, with thinking kept and checked, or
    (``mode="off"``) with thinking turned off up front, warned."""
    conflict = thinking_conflict(request)
    if conflict is None or mode == "off":
        return Plan(settle_request(request, stacklevel=stacklevel + 1))
    ask = _ask_of(request)
    first = request.model_copy(
        update={
            "tool_choice": "auto" if request.tools else None,
            "response_format": None,
            "messages": _with_system_line(request.messages, ask.instruction()),
        }
    )
    fallback = settle_request(request.model_copy(update={"enable_thinking": False}))
    return Plan(first, fallback, ask, conflict)


def plan_chat_request(
    convert: Callable[[bool], list[Message]],
    layers: Sequence[Layer],
    mode: ForcedToolThinking,
    *,
    stacklevel: int,
) -> Plan:
    """:func:`plan_request` for the request the layers ask (see ``asked_request``)."""
    return plan_request(asked_request(convert, layers), mode, stacklevel=stacklevel + 1)


def answer(
    plan: Plan, send: Callable[[ChatRequest], ChatCompletion], *, stacklevel: int = 2
) -> tuple[ChatCompletion, ChatRequest]:
    """The accepted completion and the request that got it: one request, two at most."""
    accepted = plan.accept(send(plan.request))
    if accepted is not None:
        return accepted, plan.request
    request = plan.fall_back(stacklevel=stacklevel + 1)
    return send(request), request


async def aanswer(
    plan: Plan, send: Callable[[ChatRequest], Awaitable[ChatCompletion]], *, stacklevel: int = 2
) -> tuple[ChatCompletion, ChatRequest]:
    """:func:`answer` for an async ``send``."""
    accepted = plan.accept(await send(plan.request))
    if accepted is not None:
        return accepted, plan.request
    request = plan.fall_back(stacklevel=stacklevel + 1)
    return await send(request), request


# --------------------------------------------------------------------------- the ask


def _ask_of(request: ChatRequest) -> Ask:
    tools = request.tools or []
    choice = request.tool_choice
    offered = bool(tools)
    if choice == "required" and len(tools) == 1:
        choice = {"function": tools[0].get("function") or {}}  # the only tool: named
    if isinstance(choice, dict):
        name = str((choice.get("function") or {}).get("name") or "")
        return Ask(tool=name, parameters=_parameters(tools, name), tools_offered=offered)
    if choice == "required":
        return Ask(any_tool=True, tools_offered=offered)
    response_format = request.response_format or {}
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
        return Ask(json=True, tools_offered=offered)
    return Ask(
        json=True,
        schema=spec["schema"],
        schema_name=_text(spec.get("name")),
        schema_description=_text(spec.get("description")),
        tools_offered=offered,
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _parameters(tools: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    for tool in tools:
        function = tool.get("function") or {}
        if function.get("name") == name:
            parameters = function.get("parameters")
            return parameters if isinstance(parameters, dict) else {"type": "object"}
    return None


def _call_from_text(
    message: ResponseMessage, name: str, parameters: Mapping[str, Any] | None
) -> ResponseMessage | None:
    found = json_object_in(message.content or "")
    if parameters is None or found is None or not fits_schema(found[0], parameters):
        return None
    call = ToolCall(
        id=f"call_{uuid.uuid4().hex[:24]}",
        function=FunctionCall(name=name, arguments=found[1]),
    )
    return message.model_copy(update={"content": "", "tool_calls": [call]})


def _json_from_text(
    message: ResponseMessage, schema: Mapping[str, Any] | None
) -> ResponseMessage | None:
    found = json_object_in(message.content or "")
    if found is None or (schema is not None and not fits_schema(found[0], schema)):
        return None
    if found[1] == message.content:
        return message
    return message.model_copy(update={"content": found[1]})


def _with_system_line(messages: list[Message], line: str) -> list[Message]:
    """The instruction joins the first system message: Qwen's chat template takes a
    system message only at the start."""
    first = messages[0]
    if isinstance(first, SystemMessage):
        if isinstance(first.content, str):
            content: str | list[TextPart] = f"{first.content}\n\n{line}"
        else:
            content = [*first.content, TextPart(text=f"\n\n{line}")]
        return [SystemMessage(content=content), *messages[1:]]
    return [SystemMessage(content=line), *messages]
