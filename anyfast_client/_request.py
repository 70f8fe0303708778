"""What a chat request means, decided once for both adapters.

:func:`asked_request` reads one request from ordered layers of settings
(the model's fields, ``model_kwargs``/``additional_kwargs``, the instance
``extra_body``, the call's keywords, the call's ``extra_body``: later wins). It
owns the aliases, the field/body split, ``stop`` and ``tool_choice`` spellings, and
range errors that name the setting the user typed. :func:`settle_request` applies the
thinking rules: upstream refuses a forced tool choice and JSON output while thinking, and JSON
mode without the word "json" in the prompt, so such a call gets an answer with
an :class:`AnyfastWarning` saying what changed rather than a bare 400.
:mod:`._forced` plans such a call with thinking kept (the default) and one fallback.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import annotated_types
from pydantic import TypeAdapter, ValidationError

from ._caller import package_folder, user_stacklevel
from ._conversation import settle_tool_call_ids
from ._models import ChatRequest, Message, SystemMessage, TextPart, normalize_stop

__all__ = [
    "ALIASES",
    "MODEL_BODY_FIELDS",
    "MODEL_SETTINGS",
    "REASONING_EFFORTS",
    "REQUEST_FIELDS",
    "SIBLING_DEFAULTS",
    "SIBLING_NAMES",
    "UPSTREAM_NAMES",
    "AnyfastWarning",
    "Layer",
    "asked_request",
    "check_model_settings",
    "check_setting",
    "check_typed_settings",
    "close_match",
    "drop_sibling_names",
    "model_settings",
    "normalize_stop",
    "settle_request",
    "sibling_name_error",
    "thinking_conflict",
    "tool_choice_to_wire",
    "unknown_keyword",
    "warn_if_budget_spent",
    "warn_if_budget_unused",
]

#: Every name a request setting goes by, mapped to the wire's name.
ALIASES: Mapping[str, str] = {
    "max_tokens": "max_completion_tokens",
    "stop_sequences": "stop",
    "model_name": "model",
}
REQUEST_FIELDS = frozenset(ChatRequest.model_fields) - {"messages", "extra_body"}
#: The request settings both chat model classes hold as fields, under the users' names.
MODEL_SETTINGS = (
    "model",
    "enable_thinking",
    "thinking_budget",
    "reasoning_effort",
    "temperature",
    "top_p",
    "max_tokens",
    "frequency_penalty",
    "presence_penalty",
    "stop",
)

#: ``reasoning_effort`` (ChatOpenAI's name) as the thinking settings it stands for, set
#: where it is given: thinking off, or on with a cap on its tokens (None: no cap but the
#: model's own). It is never sent: Anyfast has no such field.
REASONING_EFFORTS: Mapping[str, Mapping[str, Any]] = {
    "none": {"enable_thinking": False, "thinking_budget": None},
    "minimal": {"enable_thinking": False, "thinking_budget": None},
    "low": {"enable_thinking": True, "thinking_budget": 1024},
    "medium": {"enable_thinking": True, "thinking_budget": 8192},
    "high": {"enable_thinking": True, "thinking_budget": None},
    "xhigh": {"enable_thinking": True, "thinking_budget": None},
}

_UNFORCED_TOOL_CHOICES = (None, "auto", "none")
_WIRE_TOOL_CHOICES = ("auto", "none", "required")
_JSON_NOTE = "Respond in JSON."
BUDGET_SPENT = (
    "The answer is empty because the token budget (max_tokens) went to thinking: "
    "raise max_tokens, set a thinking_budget, or turn enable_thinking off."
)


class AnyfastWarning(UserWarning):
    """Something about a call the user should know, such as thinking turned off for it."""


@dataclass(frozen=True, slots=True)
class Layer:
    """One source of settings.

    ``strict`` layers (a model's fields, a call's keywords) take request fields only:
    an unknown name is a ``TypeError``. Other layers (``model_kwargs``, ``extra_body``)
    send names that are not request fields as they are, at the top of the body.
    ``ignore`` lists framework keywords that steer the call but are never sent.
    """

    values: Mapping[str, Any]
    strict: bool = False
    where: str = "the call"
    ignore: Collection[str] = ()


def asked_request(convert: Callable[[bool], list[Message]], layers: Sequence[Layer]) -> ChatRequest:
    """The request as the layers ask it, before the thinking rules (``_forced`` plans it)."""
    fields, names, extra = _merge(layers)
    if "stop" in fields:
        fields["stop"] = normalize_stop(fields["stop"])
    if "tool_choice" in fields:
        fields["tool_choice"] = tool_choice_to_wire(fields["tool_choice"], fields.get("tools"))
    for key, value in fields.items():
        check_setting(names[key], value)
    messages = settle_tool_call_ids(convert(bool(fields.get("preserve_thinking"))))
    return ChatRequest(messages=messages, extra_body=extra, **fields)


def model_settings(model: object) -> dict[str, Any]:
    """A chat model's own layer: its set request fields; ``preserve_thinking`` only when on."""
    settings = {name: getattr(model, name) for name in MODEL_SETTINGS}
    if settings["reasoning_effort"] is not None and "enable_thinking" not in getattr(
        model, "model_fields_set", ()
    ):
        del settings["enable_thinking"]  # the default gives way to the effort
    if getattr(model, "preserve_thinking", False):
        settings["preserve_thinking"] = True
    return {name: value for name, value in settings.items() if value is not None}


def check_typed_settings(values: Mapping[str, Any]) -> None:
    """Range errors for a chat model's keywords, named as the user typed them."""
    for name, value in values.items():
        if ALIASES.get(name, name) in _SETTING_KEYS:
            check_setting(name, value)


def check_model_settings(model: object) -> None:
    """Range errors for a chat model's fields, named as the fields are."""
    for name in MODEL_SETTINGS:
        check_setting(name, getattr(model, name))


_PYDANTIC = package_folder("pydantic")


def warn_if_budget_unused(model: object, internal: tuple[str, ...]) -> None:
    """A chat model made with a ``thinking_budget`` and thinking off: the budget is never
    sent (ChatQwen sends it alone; here thinking is off unless asked), so say it where
    the model is made, past the frames of ``internal`` packages and pydantic."""
    budget = getattr(model, "thinking_budget", None)  # set by the user, not by an effort
    if budget is None or _with_effort(Layer(model_settings(model))).values["enable_thinking"]:
        return
    warnings.warn(
        f"thinking_budget={budget} is not sent while thinking is off (enable_thinking is "
        "False unless set): pass enable_thinking=True, here or in the call that should think.",
        AnyfastWarning,
        stacklevel=user_stacklevel((*internal, _PYDANTIC)),
    )


def _merge(layers: Sequence[Layer]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """Request fields (None means unset), the name each was given by, and the extra body."""
    fields: dict[str, Any] = {}
    names: dict[str, str] = {}
    extra: dict[str, Any] = {}
    for layer in map(_with_effort, _expanded(layers)):
        for name, value in layer.values.items():
            if name in layer.ignore:
                continue
            key = ALIASES.get(name, name)
            if key in REQUEST_FIELDS:
                fields[key], names[key] = value, name
            elif layer.strict:
                raise _call_keyword_error(name, layer.where)
            else:
                extra[name] = value
    return {k: v for k, v in fields.items() if v is not None}, names, extra


def _expanded(layers: Sequence[Layer]) -> Iterable[Layer]:
    """A layer's ``extra_body`` entry becomes a body layer right after it, so
    ``additional_kwargs={"extra_body": {...}}`` (as OpenAILike users write it) and
    ``model_kwargs={"extra_body": {...}}`` merge into the body, never as a literal key."""
    for layer in layers:
        if "extra_body" not in layer.values:
            yield layer
            continue
        values = {k: v for k, v in layer.values.items() if k != "extra_body"}
        yield Layer(values, strict=layer.strict, where=layer.where, ignore=layer.ignore)
        yield Layer(layer.values["extra_body"] or {})


def _with_effort(layer: Layer) -> Layer:
    """The layer with ``reasoning_effort`` replaced by the thinking settings it stands for;
    ``enable_thinking`` or ``thinking_budget`` given in the same layer win over it."""
    if "reasoning_effort" not in layer.values:
        return layer
    values = dict(layer.values)
    effort = values.pop("reasoning_effort")
    check_setting("reasoning_effort", effort)
    if effort is not None:
        values = {**REASONING_EFFORTS[effort], **values}
    return Layer(values, strict=layer.strict, where=layer.where, ignore=layer.ignore)


_CALL_NAMES = sorted({*REQUEST_FIELDS, *ALIASES, "extra_body", "reasoning_effort"})


def _call_keyword_error(name: str, where: str) -> TypeError:
    """A call keyword that is not a request setting: what the sibling classes mean by it,
    else the closest setting."""
    for table in (_CALL_NAMES_ELSEWHERE, SIBLING_NAMES):
        error = sibling_name_error(name, where, "extra_body", table)
        if error is not None:
            return error
    return unknown_keyword(name, _CALL_NAMES, where, body_hint=True)


def close_match(name: str, valid: Iterable[str]) -> str | None:
    """The valid name ``name`` is most likely a typo of, if any: the one rule for
    "did you mean" everywhere (call keywords, constructors of every class)."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_keyword(
    name: str, valid: Iterable[str], where: str, *, body_hint: bool = False
) -> TypeError:
    """``TypeError`` naming an unknown keyword and the closest valid one."""
    close = close_match(name, valid)
    message = f"{where} got an unknown keyword {name!r}"
    if close is not None:
        message += f"; did you mean {close!r}?"
    if body_hint:
        message += (
            f" To send a field the API may accept but this package does not know, "
            f"pass extra_body={{{name!r}: ...}}."
        )
    return TypeError(message)


# --------------------------------------------------------------------------- sibling names

#: Body parameters Qwen's API documents that no class here holds as a field: passed on like
#: any body field (ChatAnyfast's ``model_kwargs``, Anyfast's ``additional_kwargs``).
UPSTREAM_NAMES = frozenset({"top_k", "repetition_penalty"})

#: Request fields a chat class may be given at construction without a field of its own: sent
#: on every call through its body setting, quietly, by both chat classes. The tools and the
#: tool choice are not among them: they belong to a call (``SIBLING_NAMES`` says so).
MODEL_BODY_FIELDS = frozenset(REQUEST_FIELDS) - {"tools", "tool_choice"}

_UNDOCUMENTED = "Anyfast does not document it"
_OPENAI_ONLY = "an OpenAI feature Anyfast does not document"
_AZURE = "an Azure OpenAI setting; Anyfast has none"
_SDK_CLIENT = "an openai SDK client has no use here: give an httpx client as http_client"
_WHOLE_TEXTS = "texts are embedded whole here, never cut into tokens"
_TOKENIZER = "token counts here use Qwen's tokenizer, offline"
_BODY = "extra request-body fields go in {body}"


def _each(names: str, reason: str, *, anyway: bool = False) -> dict[str, tuple[str, bool]]:
    return dict.fromkeys(names.split(), (reason, anyway))


#: Names the classes users come from (ChatOpenAI, ChatDeepSeek, ChatQwen, OpenAIEmbeddings,
#: OpenAILike, DeepSeek, DashScope, OpenAIEmbedding) accept, with a meaning no setting of that
#: name has here: each is refused before any request, saying what to use instead. ``True``
#: offers the class's body setting (``{body}`` in a reason is that setting).
SIBLING_NAMES: Mapping[str, tuple[str, bool]] = {
    **_each("logprobs top_logprobs logit_bias", _UNDOCUMENTED, anyway=True),
    **_each("n", "answers are read one choice each here: make one call per answer"),
    **_each("enable_search", "DashScope's web search; " + _UNDOCUMENTED, anyway=True),
    **_each(
        "store service_tier truncation include context_management prompt_cache_options "
        "verbosity modalities audio_config",
        _OPENAI_ONLY,
        anyway=True,
    ),
    **_each("reasoning", "reasoning_effort is the setting (or enable_thinking, thinking_budget)"),
    **_each("use_responses_api use_previous_response_id", "Anyfast has chat completions only"),
    **_each("disabled_params", "a setting left unset is never sent, so none needs disabling"),
    **_each("default_query", "requests here carry no query parameters"),
    **_each("http_socket_options", "no equivalent: give your own httpx client as http_client"),
    **_each("openai_proxy", "give your own httpx client as http_client: httpx.Client(proxy=...)"),
    **_each("include_response_headers", "no equivalent: answers do not carry the HTTP headers"),
    **_each("stream_chunk_timeout", "no equivalent: timeout also bounds each wait for data"),
    **_each(
        "client async_client root_client root_async_client openai_client async_openai_client",
        _SDK_CLIENT + " (http_async_client for async calls)",
    ),
    **_each(
        "openai_organization organization",
        "Anyfast has no organizations; a header of your own goes in default_headers",
    ),
    # openai_api_key is answered as every key-like name is: "api_key (or ANYFAST_API_KEY)".
    **_each("dashscope_api_key", "the Anyfast key goes in api_key (or ANYFAST_API_KEY)"),
    **_each("openai_api_type openai_api_version api_version deployment deployment_name", _AZURE),
    **_each("tiktoken_model_name tokenizer", _TOKENIZER),
    **_each(
        "embedding_ctx_length allowed_special disallowed_special check_embedding_ctx_length "
        "tiktoken_enabled",
        _WHOLE_TEXTS + " (check_embedding_ctx_length and tiktoken_enabled take False)",
    ),
    **_each("skip_empty", "an empty text is embedded as a single space"),
    **_each(
        "retry_min_seconds retry_max_seconds",
        "no equivalent: a retry waits as Retry-After says, else a short backoff",
    ),
    **_each("is_chat_model", "Anyfast is always used through chat completions (True is accepted)"),
    **_each("reuse_client", "a client is always kept and reused (True is accepted)"),
    **_each("strict", "no equivalent: tool schemas are sent as given"),
    **_each("should_use_structured_outputs", "no equivalent"),
    **_each("incremental_output", "streamed answers always arrive as increments"),
    **_each("streaming", "a stream is asked per call here: stream_chat or stream_complete"),
    **_each("mode", "no equivalent: texts and queries are embedded alike"),
    **_each("model_kwargs additional_kwargs extra_body openai_llm_kwargs", _BODY),
    **_each(
        "tools tool_choice",
        "tools are given per call: bind_tools(...) in LangChain, chat_with_tools(...) or "
        "tools=... in a call in LlamaIndex",
    ),
}

#: Sibling names given the value that is what every class here does anyway: accepted.
SIBLING_DEFAULTS: Mapping[str, bool] = {
    "is_chat_model": True,
    "reuse_client": True,
    "use_responses_api": False,
    "check_embedding_ctx_length": False,
    "tiktoken_enabled": False,
}

# Connection settings are the model's, never a call's (ChatOpenAI takes them per call).
_MODEL_ONLY = "a connection setting: give it to the constructor"
_CALL_NAMES_ELSEWHERE = dict.fromkeys(
    ("timeout", "request_timeout", "max_retries", "default_headers"), (_MODEL_ONLY, False)
)


def sibling_name_error(
    name: str, where: str, body: str | None, table: Mapping[str, tuple[str, bool]] = SIBLING_NAMES
) -> TypeError | None:
    """The refusal of a name a sibling class gives a meaning, if ``name`` is one; ``body``
    names where ``where`` takes extra body fields (None: nowhere)."""
    if name not in table:
        return None
    reason, anyway = table[name]
    if "{body}" in reason:
        reason = reason.format(body=body) if body else "no extra body fields are sent here"
    message = f"{where} does not take {name!r}: {reason}"
    if anyway and body:
        message += f"; to send it anyway, pass {body}={{{name!r}: ...}}"
    return TypeError(message + ".")


def drop_sibling_names(
    values: Mapping[str, Any], known: Collection[str], where: str, body: str | None
) -> dict[str, Any]:
    """``values`` without the sibling names given the value this package always follows;
    a ``TypeError`` for any other sibling name ``known`` (the class's own names) lacks."""
    kept: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known and name in SIBLING_DEFAULTS and value is SIBLING_DEFAULTS[name]:
            continue
        error = None if name in known else sibling_name_error(name, where, body)
        if error is not None:
            raise error
        kept[name] = value
    return kept


# --------------------------------------------------------------------------- single settings


def _checker(key: str) -> TypeAdapter[Any]:
    info = ChatRequest.model_fields[key]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation)


_CHECKERS = {key: _checker(key) for key in REQUEST_FIELDS}
_SETTING_KEYS = frozenset(ALIASES.get(name, name) for name in MODEL_SETTINGS)


def _range(key: str) -> str:
    words = {
        annotated_types.Ge: ">=",
        annotated_types.Gt: ">",
        annotated_types.Le: "<=",
        annotated_types.Lt: "<",
    }
    bounds = [
        f"{sign} {getattr(item, kind.__name__.lower())}"
        for item in ChatRequest.model_fields[key].metadata
        for kind, sign in words.items()
        if isinstance(item, kind)
    ]
    return " and ".join(bounds)


_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def check_setting(name: str, value: Any) -> None:
    """A ``ValueError`` naming the setting as the user typed it, and its range."""
    key = ALIASES.get(name, name)
    if key == "reasoning_effort":
        _check_effort(name, value)
    checker = _CHECKERS.get(key)
    if checker is None or value is None:
        return
    try:
        checker.validate_python(normalize_stop(value) if key == "stop" else value)
    except ValueError as exc:  # pydantic's ValidationError is one
        raise ValueError(f"{name}={value!r} is not accepted: {name} {_reason(key, exc)}") from None


def _check_effort(name: str, value: Any) -> None:
    if value is None or (isinstance(value, str) and value in REASONING_EFFORTS):
        return
    raise ValueError(
        f"{name}={value!r} is not accepted: {name} must be one of "
        f"{', '.join(map(repr, REASONING_EFFORTS))} (it sets enable_thinking and "
        "thinking_budget; see docs/settings.md)"
    )


def _reason(key: str, exc: ValueError) -> str:
    if not isinstance(exc, ValidationError):
        return str(exc).removeprefix("stop ")  # normalize_stop's: "must be a string or..."
    error = exc.errors()[0]
    if error["type"] in _RANGE_ERRORS:
        return f"must be {_range(key)}"
    return error["msg"].lower()


def _forced(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def tool_choice_to_wire(
    choice: object, tools: Sequence[Mapping[str, Any]] | None = None, *, required: bool = False
) -> Any:
    """Every framework's ``tool_choice`` spelling as the wire's.

    LangChain's ``True`` (the only tool, else any), ``False``, ``"any"``, a tool name;
    LlamaIndex's ``tool_required`` and tool name; wire strings and dicts pass through.
    """
    if choice is None:
        return "required" if required else None
    if choice is True:
        one = tools[0]["function"]["name"] if tools and len(tools) == 1 else None
        return _forced(one) if one else "required"
    if choice is False:
        return "none"
    if choice == "any":
        return "required"
    if isinstance(choice, str) and choice not in _WIRE_TOOL_CHOICES:
        return _forced(choice)
    return choice


# --------------------------------------------------------------------------- thinking rules


def thinking_conflict(request: ChatRequest) -> str | None:
    """Why thinking must be off for this request, if upstream would reject it."""
    if not request.enable_thinking:
        return None
    if request.tool_choice not in _UNFORCED_TOOL_CHOICES:
        return f"tool_choice={request.tool_choice!r}"
    response_format = request.response_format or {}
    if response_format.get("type", "text") != "text":
        return f"response_format {response_format.get('type')!r}"
    return None


def settle_request(request: ChatRequest, *, stacklevel: int = 2) -> ChatRequest:
    """The request the API will accept for what the user asked; the input stays as it was."""
    conflict = thinking_conflict(request)
    if conflict is not None:
        warnings.warn(
            f"Thinking is turned off for this call: Anyfast does not allow {conflict} "
            "while thinking.",
            AnyfastWarning,
            stacklevel=stacklevel + 1,
        )
        request = request.model_copy(update={"enable_thinking": False})
    if _json_object(request) and not any(_mentions_json(m) for m in request.messages):
        request = request.model_copy(update={"messages": _with_json_note(request.messages)})
    return request


def warn_if_budget_spent(
    finish_reason: str | None, *, thinking: bool, answered: bool, stacklevel: int = 2
) -> None:
    """``length`` with no answer while thinking: the budget went on reasoning."""
    if thinking and finish_reason == "length" and not answered:
        warnings.warn(BUDGET_SPENT, AnyfastWarning, stacklevel=stacklevel + 1)


def _json_object(request: ChatRequest) -> bool:
    return (request.response_format or {}).get("type") == "json_object"


def _mentions_json(message: Message) -> bool:
    content = message.content
    if isinstance(content, str):
        return "json" in content.lower()
    return any(isinstance(p, TextPart) and "json" in p.text.lower() for p in content or ())


def _with_json_note(messages: list[Message]) -> list[Message]:
    """JSON mode needs the word "json" in the prompt: a system line says it."""
    first = messages[0]
    if isinstance(first, SystemMessage) and isinstance(first.content, str):
        return [SystemMessage(content=f"{first.content}\n\n{_JSON_NOTE}"), *messages[1:]]
    return [SystemMessage(content=_JSON_NOTE), *messages]
