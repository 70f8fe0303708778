"""``ChatAnyfast``: the fields and the ``BaseChatModel`` hooks; converters live in ``_convert``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCallChunk
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, get_pydantic_field_names
from langchain_core.utils.function_calling import convert_to_openai_function, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from langchain_core.utils.utils import _build_model_kwargs
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

from anyfast_client import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    ChatCompletion,
    ChatRequest,
    ResponseMessage,
)
from anyfast_client._adapter import (
    CONNECTION_ALIASES,
    MODEL_BODY_FIELDS,
    UPSTREAM_NAMES,
    ClientOwner,
    ForcedToolThinking,
    Layer,
    LazyClients,
    Plan,
    ThinkTagsSetting,
    aanswer,
    answer,
    astream_items,
    check_base_url,
    check_forced_tool_thinking,
    check_model_settings,
    check_typed_settings,
    close_match,
    drop_sibling_names,
    looks_like_connection_setting,
    model_settings,
    normalize_stop,
    package_folder,
    plan_chat_request,
    primary_choice,
    rename_aliases,
    resolve_api_key,
    stream_items,
    token_ids,
    tool_choice_to_wire,
    unknown_keyword,
    warn_if_budget_spent_in,
    warn_if_budget_unused,
)

from . import _blocks  # noqa: F401  (registers the "anyfast" content-block translator)
from ._caller import user_stacklevel
from ._convert import messages_to_anyfast
from ._errors import langchain_errors
from ._profile import model_profile
from ._response import PROVIDER, ChunkConverter, completion_to_chat_result
from ._tokens import count_message_tokens

__all__ = ["ChatAnyfast"]

# Between the user's ChatAnyfast(...) and its validators: langchain-core's __init__.
_MADE_THROUGH = (package_folder("langchain_core"), package_folder("langchain_anyfast"))

# Call keywords that steer the call but are not request parameters.
_NOT_SENT = frozenset(
    {"stream", "stream_usage", "ls_structured_output_format", "forced_tool_thinking"}
)


def _not_a_body_field(name: str, valid: set[str]) -> str:
    match = close_match(name, valid)
    # Only a request setting is worth naming: the list below names every connection one.
    guess = f"; did you mean {match!r}?" if match and not _is_connection(match) else "."
    return (
        f"ChatAnyfast has no setting {name!r}{guess} A name like it is never sent in the "
        "request body, in case it sets up the connection: for that use base_url (or api_base "
        "/ openai_api_base), api_key (or ANYFAST_API_KEY), timeout (or request_timeout), "
        "max_retries, default_headers, http_client or http_async_client."
    )


# Names meant as they are though a letter from a field's (top_k, top_p; seed, stop): Qwen's
# body parameters, and request fields the core lets a model hold without a field.
_MEANT = UPSTREAM_NAMES | MODEL_BODY_FIELDS


def _is_connection(name: str) -> bool:
    return name in CONNECTION_ALIASES or looks_like_connection_setting(name)


def _refuse_near_misses(values: dict[str, Any], valid: set[str]) -> None:
    """A keyword a slip away from a field or alias (``temprature``) is refused naming it,
    by the rule call keywords follow, rather than sent in the body beside the default.
    Names that look like connection settings are refused after, with their own message."""
    for name in values:
        if name in valid or name in _MEANT or _is_connection(name):
            continue
        match = close_match(name, valid)
        if match is not None:
            hint = not _is_connection(match)  # a key or URL never belongs in extra_body
            raise unknown_keyword(name, valid, "ChatAnyfast", body_hint=hint)


def _with_parser(
    llm: Runnable[Any, Any], parser: Runnable[Any, Any], include_raw: bool
) -> Runnable[Any, Any]:
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    fallback = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")


class ChatAnyfast(ClientOwner, BaseChatModel):
    """The Anyfast chat-completions API (``qwen3.6-flash``) as a LangChain chat model.

    Example::

        from langchain_anyfast import ChatAnyfast

        model = ChatAnyfast(enable_thinking=True)  # the key comes from ANYFAST_API_KEY
        message = model.invoke("Why is the sky blue?")
        message.additional_kwargs["reasoning_content"], message.content

    Per-call keyword arguments (``stop``, ``enable_thinking``, ``temperature``...)
    override the fields for that call only; an unknown one is a ``TypeError`` (send
    fields this package does not know with ``extra_body={...}``). Every setting and
    its aliases: ``docs/settings.md``. Calls that force a tool or ask for JSON output,
    which upstream rejects while thinking, keep thinking and are checked, with at most
    one fallback request (``forced_tool_thinking``, ``docs/thinking.md``). A pickled
    model carries no API key: the unpickled copy reads ``ANYFAST_API_KEY``.
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    model: str = Field(default=DEFAULT_MODEL, alias="model_name")
    enable_thinking: bool = False
    thinking_budget: int | None = None
    reasoning_effort: str | None = None
    """ChatOpenAI's name for thinking: "none"/"minimal" turn it off, "low"/"medium" cap it,
    "high" leaves it uncapped; enable_thinking or thinking_budget set beside it win."""
    think_tags: ThinkTagsSetting = True
    """Read ``<think>…</think>`` at the start of the content as reasoning; ``"open"``: the
    content starts inside the thinking (a chat template that writes ``<think>`` into the
    prompt), so all before ``</think>`` is reasoning; False leaves the content as sent."""
    preserve_thinking: bool = False
    """Send earlier assistant reasoning back with the history (upstream's flag of that name)."""
    forced_tool_thinking: ForcedToolThinking = "keep"
    """A forced tool or JSON output while thinking: "keep" thinking (checked, one fallback
    request at most) or turn it "off" for that call; see ``docs/thinking.md``."""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences; a lone string is taken as a one-item list."""
    streaming: bool = False
    stream_usage: bool = True
    api_key: SecretStr | None = Field(default_factory=lambda: resolve_api_key(None))
    base_url: str | None = Field(default_factory=from_env(BASE_URL_ENV, default=None))
    """Also accepted as ``api_base`` or ``openai_api_base``; defaults to ANYFAST_BASE_URL."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds, also accepted as ``request_timeout``; None: 10 s to connect, 10 min to read."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    default_headers: dict[str, str] | None = None
    http_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` for sync calls; never serialized or pickled."""
    http_async_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` for async calls; never serialized or pickled."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    extra_body: dict[str, Any] | None = None

    _clients: LazyClients = PrivateAttr(default_factory=LazyClients)
    _CLIENT_FIELDS: ClassVar[Mapping[str, str]] = {
        **ClientOwner._CLIENT_FIELDS,
        "think_tags": "think_tags",
    }

    @model_validator(mode="before")
    @classmethod
    def _build_extra(cls, values: Any) -> Any:
        """Unknown keywords (``top_k=20``) go to ``model_kwargs`` with a warning, as in
        ChatOpenAI, rather than vanishing; fields given in ``model_kwargs`` move out.
        A near miss of a field (``temprature``) is refused with the field's name.
        A name that sets up the connection (a URL, key, client or header) is never sent
        in the body: the known aliases are mapped, anything else is refused. A name the
        sibling classes mean otherwise (``n``, ``store``) is refused saying what to use;
        a request field ChatAnyfast holds no field for (``seed``) goes quietly."""
        if not isinstance(values, dict):
            return values
        check_typed_settings(values)
        values = rename_aliases(values, CONNECTION_ALIASES, "ChatAnyfast")
        names = get_pydantic_field_names(cls)
        valid = {*names, *CONNECTION_ALIASES}
        values = drop_sibling_names(values, valid, "ChatAnyfast", "extra_body")
        _refuse_near_misses(values, valid)
        quiet = {n: values.pop(n) for n in [*values] if n in MODEL_BODY_FIELDS and n not in names}
        values["model_kwargs"] = {**quiet, **(values.get("model_kwargs") or {})}
        unknown = [n for n in (*values, *values["model_kwargs"]) if n not in names]
        for name in unknown:
            if looks_like_connection_setting(name):
                raise TypeError(_not_a_body_field(name, valid))
        return _build_model_kwargs(values, names)

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_as_list(cls, value: object) -> list[str] | None:
        return normalize_stop(value)

    @field_validator("base_url")
    @classmethod
    def _absolute_base_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)

    @model_validator(mode="after")
    def _check_ranges(self) -> ChatAnyfast:
        check_model_settings(self)
        warn_if_budget_unused(self, _MADE_THROUGH)
        return self

    @property
    def model_name(self) -> str:
        """The model, under the name ChatOpenAI users read it by."""
        return self.model

    # ----------------------------------------------------------------- LangChain conventions

    @property
    def _llm_type(self) -> str:
        return "anyfast-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_anyfast"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": API_KEY_ENV}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, **model_settings(self)}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="anyfast",
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", kwargs.get("max_completion_tokens", self.max_tokens))
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stop = stop or kwargs.get("stop") or self.stop
        if stop:
            params["ls_stop"] = stop
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        return model_profile(self.model)

    # ----------------------------------------------------------------- requests

    def _plan(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> Plan:
        """The wire request(s) for one call: fields < model_kwargs < extra_body < the call's
        keywords < the call's extra_body. An unknown call keyword is a TypeError."""
        call = kwargs if stop is None else {**kwargs, "stop": stop}
        mode = kwargs.get("forced_tool_thinking", self.forced_tool_thinking)
        return plan_chat_request(
            lambda preserve: messages_to_anyfast(messages, preserve_thinking=preserve),
            [
                Layer(model_settings(self), strict=True, where="ChatAnyfast"),
                Layer(self.model_kwargs),
                Layer(self.extra_body or {}),
                Layer(call, strict=True, where="ChatAnyfast call", ignore=_NOT_SENT),
            ],
            check_forced_tool_thinking(mode),
            stacklevel=user_stacklevel(),
        )

    # ----------------------------------------------------------------- calls

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        plan = self._plan(messages, stop, kwargs)
        with langchain_errors():
            completion, request = answer(
                plan, self._sync_client().chat, stacklevel=user_stacklevel()
            )
            return _checked(completion, request)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        plan = self._plan(messages, stop, kwargs)
        with langchain_errors():
            completion, request = await aanswer(
                plan, self._async_client().chat, stacklevel=user_stacklevel()
            )
            return _checked(completion, request)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # A checked plan (docs/thinking.md) streams the first answer's reasoning as it
        # comes and its answer once checked whole; a fallback's answer streams as it comes.
        plan = self._plan(messages, stop, kwargs)
        usage = self._stream_usage(kwargs)
        request, done = plan.request, list[ChunkConverter]()
        yield from self._stream_request(request, usage, run_manager, done, hold=plan.checks)
        converter = done[-1]
        accepted = plan.accept(converter.accumulator.result()) if plan.checks else None
        if accepted is not None:
            answered = _answer_generation(accepted)
            if run_manager is not None:
                run_manager.on_llm_new_token(answered.text, chunk=answered)
            yield answered
        elif plan.checks:
            request = plan.fall_back(stacklevel=user_stacklevel())
            yield from self._stream_request(request, usage, run_manager, done, hold=False)
            converter = done[-1]
        final = converter.final()
        if run_manager is not None:
            run_manager.on_llm_new_token("", chunk=final)
        yield final
        _check_stream(converter, request)

    def _stream_request(
        self,
        request: ChatRequest,
        usage: bool,
        run_manager: CallbackManagerForLLMRun | None,
        done: list[ChunkConverter],
        *,
        hold: bool,
    ) -> Iterator[ChatGenerationChunk]:
        """One streamed request; ``hold`` keeps the answer back (reasoning still streams).
        Its converter goes on ``done`` once the stream is complete."""
        stream = self._sync_client().chat_stream(request, include_usage=usage)
        converter = ChunkConverter(stream.accumulator, stream_usage=usage)
        with langchain_errors(), stream:
            for item in stream_items(stream):
                generation = converter.convert(item)
                if hold and generation is not None:
                    generation = _reasoning_only(generation)
                if generation is None:
                    continue
                if run_manager is not None:
                    run_manager.on_llm_new_token(generation.text, chunk=generation)
                yield generation
        # Only a complete stream gets here: a cut one raised above.
        done.append(converter)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        plan = self._plan(messages, stop, kwargs)
        usage = self._stream_usage(kwargs)
        request, done = plan.request, list[ChunkConverter]()
        async for generation in self._astream_request(
            request, usage, run_manager, done, hold=plan.checks
        ):
            yield generation
        converter = done[-1]
        accepted = plan.accept(converter.accumulator.result()) if plan.checks else None
        if accepted is not None:
            answered = _answer_generation(accepted)
            if run_manager is not None:
                await run_manager.on_llm_new_token(answered.text, chunk=answered)
            yield answered
        elif plan.checks:
            request = plan.fall_back(stacklevel=user_stacklevel())
            async for generation in self._astream_request(
                request, usage, run_manager, done, hold=False
            ):
                yield generation
            converter = done[-1]
        final = converter.final()
        if run_manager is not None:
            await run_manager.on_llm_new_token("", chunk=final)
        yield final
        _check_stream(converter, request)

    async def _astream_request(
        self,
        request: ChatRequest,
        usage: bool,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        done: list[ChunkConverter],
        *,
        hold: bool,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """:meth:`_stream_request`, async."""
        with langchain_errors():
            async with self._async_client().chat_stream(request, include_usage=usage) as stream:
                converter = ChunkConverter(stream.accumulator, stream_usage=usage)
                async for item in astream_items(stream):
                    generation = converter.convert(item)
                    if hold and generation is not None:
                        generation = _reasoning_only(generation)
                    if generation is None:
                        continue
                    if run_manager is not None:
                        await run_manager.on_llm_new_token(generation.text, chunk=generation)
                    yield generation
        done.append(converter)

    def _stream_usage(self, kwargs: dict[str, Any]) -> bool:
        return bool(kwargs.get("stream_usage", self.stream_usage))

    # ----------------------------------------------------------------- tools and structure

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer tools to the model; ``tool_choice`` takes "auto", "none", "any"/"required",
        a tool name, ``True`` or a wire dict. Forcing a tool while thinking: see
        ``forced_tool_thinking`` and ``docs/thinking.md``."""
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice_to_wire(tool_choice, formatted)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Structured output with every method; while thinking, the reasoning is kept (see
        ``forced_tool_thinking`` and ``docs/thinking.md``), on the raw message too."""
        if kwargs:
            raise ValueError(f"Received unsupported arguments {kwargs}")
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        if method == "function_calling":
            llm, parser = self._tool_structure(schema, strict, trace)
        elif method in ("json_mode", "json_schema"):
            llm, parser = self._format_structure(schema, method, strict, trace)
        else:
            raise ValueError(
                f"Unknown method {method!r}: use function_calling, json_mode or json_schema"
            )
        return _with_parser(llm, parser, include_raw)

    def _tool_structure(
        self, schema: dict[str, Any] | type | None, strict: bool | None, trace: dict[str, Any]
    ) -> tuple[Runnable[Any, Any], Runnable[Any, Any]]:
        if schema is None:
            raise ValueError("method='function_calling' needs a schema")
        name = convert_to_openai_tool(schema)["function"]["name"]
        llm = self.bind_tools(
            [schema],
            tool_choice=name,
            parallel_tool_calls=False,
            strict=strict,
            ls_structured_output_format=trace,
        )
        if _is_pydantic(schema):
            return llm, PydanticToolsParser(tools=[schema], first_tool_only=True)
        return llm, JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)

    def _format_structure(
        self,
        schema: dict[str, Any] | type | None,
        method: str,
        strict: bool | None,
        trace: dict[str, Any],
    ) -> tuple[Runnable[Any, Any], Runnable[Any, Any]]:
        if method == "json_mode":
            response_format: dict[str, Any] = {"type": "json_object"}
        elif schema is None:
            raise ValueError("method='json_schema' needs a schema")
        else:
            response_format = _json_schema_format(schema, strict)
        llm = self.bind(response_format=response_format, ls_structured_output_format=trace)
        if _is_pydantic(schema):
            return llm, PydanticOutputParser(pydantic_object=schema)
        return llm, JsonOutputParser()

    # Token counting, offline: Qwen's own tokenizer with the ``tokens`` extra, a calibrated
    # estimate without it (see ``anyfast_client._tokens``); LangChain's default needs
    # ``transformers`` and a download.
    def get_token_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` for this model (or ``custom_get_token_ids``'), offline."""
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        return token_ids(text, model=self.model)

    def get_num_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes for this model, computed offline."""
        return len(self.get_token_ids(text))

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Prompt tokens of ``messages`` (and ``tools``) in Qwen's chat template, offline."""
        if self.custom_get_token_ids is not None:
            return super().get_num_tokens_from_messages(messages, tools)
        return count_message_tokens(messages, tools, model=self.model)


def _is_pydantic(schema: object) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def _json_schema_format(schema: dict[str, Any] | type, strict: bool | None) -> dict[str, Any]:
    function = convert_to_openai_function(schema)
    spec: dict[str, Any] = {"name": function["name"], "schema": function["parameters"]}
    if function.get("description"):
        spec["description"] = function["description"]
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def _reasoning_only(generation: ChatGenerationChunk) -> ChatGenerationChunk | None:
    """A held-back chunk's reasoning, the part that streams before the answer is checked."""
    message = generation.message
    if not message.content and not getattr(message, "tool_call_chunks", None):
        return generation
    reasoning = message.additional_kwargs.get("reasoning_content")
    if not reasoning:
        return None
    kept = AIMessageChunk(content="", additional_kwargs={"reasoning_content": reasoning})
    return ChatGenerationChunk(message=kept)


def _answer_generation(completion: ChatCompletion) -> ChatGenerationChunk:
    """A checked first answer, whole: its text and tool calls (the reasoning streamed)."""
    message: ResponseMessage = primary_choice(completion).message
    calls = [
        ToolCallChunk(
            id=call.id or None,
            name=call.function.name or None,
            args=call.function.arguments,
            index=position,
        )
        for position, call in enumerate(message.tool_calls or [])
    ]
    chunk = AIMessageChunk(
        content=message.content or "",
        tool_call_chunks=calls,
        response_metadata={"model_provider": PROVIDER},
    )
    return ChatGenerationChunk(message=chunk)


def _checked(completion: ChatCompletion, request: ChatRequest) -> ChatResult:
    warn_if_budget_spent_in(
        completion, enable_thinking=request.enable_thinking, stacklevel=user_stacklevel()
    )
    return completion_to_chat_result(completion)


def _check_stream(converter: ChunkConverter, request: ChatRequest) -> None:
    warn_if_budget_spent_in(
        converter.accumulator.result(),
        enable_thinking=request.enable_thinking,
        stacklevel=user_stacklevel(),
    )
