"""``Anyfast``: the Anyfast chat-completions API as a LlamaIndex ``FunctionCallingLLM``."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.base.llms.generic_utils import (
    astream_chat_to_completion_decorator,
    chat_response_to_completion_response,
    prompt_to_messages,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from anyfast_client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    AnyfastClient,
    AsyncAnyfastClient,
    ChatCompletion,
    ChatRequest,
)
from anyfast_client._adapter import (
    MODEL_BODY_FIELDS,
    UPSTREAM_NAMES,
    ClientOwner,
    ForcedToolThinking,
    LazyClients,
    Plan,
    ThinkTagsSetting,
    aanswer,
    answer,
    astream_items,
    check_base_url,
    check_model_settings,
    check_typed_settings,
    drop_sibling_names,
    model_facts,
    model_settings,
    normalize_stop,
    package_folder,
    primary_choice,
    refuse_unknown,
    rename_aliases,
    resolve_api_key,
    stream_items,
    tool_choice_to_wire,
    warn_if_budget_spent_in,
    warn_if_budget_unused,
)

from ._caller import user_stacklevel
from ._request import build_plan
from ._response import completion_to_chat_response
from ._stream import ChatStreamConverter
from ._structured import AnyfastStructuredLLM, anoted_stream, noted, noted_stream
from ._tool_specs import tool_spec

if TYPE_CHECKING:
    from llama_index.core.bridge.pydantic import BaseModel
    from llama_index.core.tools.types import BaseTool

__all__ = ["Anyfast"]

# Between the user's Anyfast(...) and its validators: this __init__, LlamaIndex's.
_MADE_THROUGH = (package_folder("llama_index.core", up=1), package_folder("llama_index_anyfast"))

# Names LlamaIndex users bring from the sibling classes, mapped to this class's fields.
_ALIASES = {
    "model_name": "model",
    "base_url": "api_base",
    "max_completion_tokens": "max_tokens",
    "stop_sequences": "stop",
    "async_http_client": "http_async_client",  # OpenAILike's name
}

# Qwen's body parameters (DashScope's fields) and the request fields the core lets a model
# hold without a field of its own (seed, response_format, ...): sent on every call, as if
# given in additional_kwargs, as ChatAnyfast sends them through model_kwargs.
_BODY_NAMES = UPSTREAM_NAMES | MODEL_BODY_FIELDS


def _in_additional_kwargs(data: dict[str, Any], held: Collection[str]) -> dict[str, Any]:
    """``data`` with its ``_BODY_NAMES`` that are not ``held`` (the class's own names)
    moved into its ``additional_kwargs``."""
    moved = {n: data.pop(n) for n in [*data] if n in _BODY_NAMES and n not in held}
    if moved:
        data["additional_kwargs"] = {**(data.get("additional_kwargs") or {}), **moved}
    return data


class Anyfast(ClientOwner, FunctionCallingLLM):
    """The Anyfast API (``qwen3.6-flash``: thinking, images, video, tools) for LlamaIndex.

    Example::

        from llama_index.core import Settings
        from llama_index_anyfast import Anyfast

        Settings.llm = Anyfast(enable_thinking=True)  # the key comes from ANYFAST_API_KEY
        for r in Settings.llm.stream_complete("Why is the sky blue?"):
            print(r.additional_kwargs.get("thinking_delta") or r.delta, end="")

    Streams put reasoning deltas in ``additional_kwargs["thinking_delta"]`` and answer
    text in ``delta``; ``message.blocks`` holds a ThinkingBlock, a TextBlock, then any
    ToolCallBlocks. Usage is in ``additional_kwargs`` (see ``USAGE_KEYS``). An unknown
    keyword, to the constructor or to a call, is a ``TypeError`` naming the closest
    setting; every setting and its aliases: ``docs/settings.md``.
    """

    model: str = Field(
        default=DEFAULT_MODEL, min_length=1, description="The model name (alias model_name)."
    )
    enable_thinking: bool = Field(default=False, description="Let the model reason first.")
    thinking_budget: int | None = Field(default=None, description="Cap on reasoning tokens.")
    reasoning_effort: str | None = Field(
        default=None,
        description='"none"/"minimal": thinking off; "low"/"medium": capped; "high": uncapped.',
    )
    think_tags: ThinkTagsSetting = Field(
        default=True,
        description='Read <think>…</think> at the start of the content as reasoning; "open": '
        "the content starts inside the thinking (the chat template wrote <think>), so all "
        "before </think> is reasoning; False leaves the content as sent.",
    )
    preserve_thinking: bool = Field(
        default=False,
        description="Send earlier ThinkingBlocks back with the history (upstream's flag).",
    )
    forced_tool_thinking: ForcedToolThinking = Field(
        default="keep",
        description='A forced tool or JSON output while thinking: "keep" thinking (checked, '
        'one fallback request at most) or turn it "off"; see docs/thinking.md.',
    )
    temperature: float | None = Field(default=None, description="0 to 2.")
    top_p: float | None = Field(default=None, description="0 to 1.")
    max_tokens: int | None = Field(
        default=None, description="1 to 65536; sent as max_completion_tokens."
    )
    frequency_penalty: float | None = Field(default=None, description="-2 to 2.")
    presence_penalty: float | None = Field(default=None, description="-2 to 2.")
    stop: list[str] | None = Field(default=None, description="Up to where the answer may go.")
    context_window: int | None = Field(
        default=None,
        gt=0,
        description="Tokens; default: the model's (1,000,000 for qwen3.6-flash), else 3900.",
    )
    is_function_calling_model: bool | None = Field(
        default=None,
        description="Default: what is known of the model (True for qwen3.6-flash), else False.",
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra request-body fields, sent on every call."
    )
    api_key: SecretStr | None = Field(
        default_factory=lambda: resolve_api_key(None),
        exclude=True,
        repr=False,
        description="Defaults to ANYFAST_API_KEY, read when the LLM is made.",
    )
    api_base: str | None = Field(
        default=None, description="Alias base_url; defaults to ANYFAST_BASE_URL."
    )
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds; None means 10 s to connect, 10 min to read."
    )
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    default_headers: dict[str, str] | None = Field(default=None)
    http_client: Any | None = Field(
        default=None, exclude=True, repr=False, description="Your own httpx.Client."
    )
    http_async_client: Any | None = Field(
        default=None, exclude=True, repr=False, description="Your own httpx.AsyncClient."
    )

    _clients: LazyClients = PrivateAttr(default_factory=LazyClients)
    _CLIENT_FIELDS: ClassVar[Mapping[str, str]] = {
        **ClientOwner._CLIENT_FIELDS,
        "base_url": "api_base",
        "think_tags": "think_tags",
    }

    def __init__(
        self,
        *,
        client: AnyfastClient | None = None,
        async_client: AsyncAnyfastClient | None = None,
        **data: Any,
    ) -> None:
        check_typed_settings(data)
        data = rename_aliases(data, _ALIASES, "Anyfast")
        known = [*type(self).model_fields, *_ALIASES]
        data = drop_sibling_names(data, known, "Anyfast", "additional_kwargs")
        data = _in_additional_kwargs(data, known)
        refuse_unknown(data, known, "Anyfast")
        super().__init__(**data)
        self._clients = LazyClients(client, async_client)

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_as_list(cls, value: object) -> list[str] | None:
        return normalize_stop(value)

    @field_validator("api_base")
    @classmethod
    def _absolute_base_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value, field="api_base")

    @model_validator(mode="after")
    def _check_ranges(self) -> Anyfast:
        check_model_settings(self)
        warn_if_budget_unused(self, _MADE_THROUGH)
        return self

    @classmethod
    def class_name(cls) -> str:
        return "anyfast_llm"

    @property
    def metadata(self) -> LLMMetadata:
        """From the core's facts of the model (as ``ChatAnyfast().profile``); a model it
        does not know gets LlamaIndex's cautious defaults, unless the fields say more."""
        facts = model_facts(self.model)
        window, output = (DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS)
        if facts is not None:
            window, output = facts.max_input_tokens, facts.max_output_tokens
        calling = self.is_function_calling_model
        if calling is None:
            calling = facts is not None and facts.tool_calling
        return LLMMetadata(
            context_window=self.context_window or window,
            num_output=self.max_tokens or output,
            is_chat_model=True,
            is_function_calling_model=calling,
            model_name=self.model,
        )

    # ------------------------------------------------------------------ state

    def _plan(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> Plan:
        settings = model_settings(self)
        mode = self.forced_tool_thinking
        return build_plan(messages, settings, self.additional_kwargs, kwargs, mode)

    # ------------------------------------------------------------------ chat

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        plan = self._plan(messages, kwargs)
        send = self._sync_client().chat
        return noted(_to_response(*answer(plan, send, stacklevel=user_stacklevel())))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        plan = self._plan(messages, kwargs)
        send = self._async_client().chat
        return noted(_to_response(*await aanswer(plan, send, stacklevel=user_stacklevel())))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        plan = self._plan(messages, kwargs)
        if plan.checks:
            return noted_stream(self._checked_stream(plan))
        return noted_stream(self._stream_request(plan.request))

    def _checked_stream(self, plan: Plan) -> ChatResponseGen:
        """A checked plan (docs/thinking.md): the first answer's reasoning streams as it
        comes, its answer once checked whole; a fallback's answer streams as it comes."""
        first: list[ChatCompletion] = []
        for response in self._stream_request(plan.request, first):
            if (thinking := _thinking_only(response)) is not None:
                yield thinking
        accepted = plan.accept(first[0])
        if accepted is not None:
            yield _whole_answer(accepted)
            return
        yield from self._stream_request(plan.fall_back(stacklevel=user_stacklevel()))

    def _stream_request(
        self, request: ChatRequest, sink: list[ChatCompletion] | None = None
    ) -> ChatResponseGen:
        """One streamed request; ``sink`` gets its whole completion once it is complete."""
        client = self._sync_client()

        def gen() -> ChatResponseGen:
            with client.chat_stream(request) as stream:
                converter = ChatStreamConverter(
                    stream.accumulator, enable_thinking=request.enable_thinking
                )
                for item in stream_items(stream):
                    if (response := converter.feed(item)) is not None:
                        yield response
            if sink is not None:
                sink.append(converter.accumulator.result())
            if (response := converter.close()) is not None:
                yield response

        return gen()

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        plan = self._plan(messages, kwargs)
        if plan.checks:
            return anoted_stream(self._achecked_stream(plan))
        return anoted_stream(await self._astream_request(plan.request))

    async def _achecked_stream(self, plan: Plan) -> ChatResponseAsyncGen:
        """:meth:`_checked_stream`, async."""
        first: list[ChatCompletion] = []
        async for response in await self._astream_request(plan.request, first):
            if (thinking := _thinking_only(response)) is not None:
                yield thinking
        accepted = plan.accept(first[0])
        if accepted is not None:
            yield _whole_answer(accepted)
            return
        request = plan.fall_back(stacklevel=user_stacklevel())
        async for response in await self._astream_request(request):
            yield response

    async def _astream_request(
        self, request: ChatRequest, sink: list[ChatCompletion] | None = None
    ) -> ChatResponseAsyncGen:
        """:meth:`_stream_request`, async."""
        client = self._async_client()

        async def gen() -> ChatResponseAsyncGen:
            async with client.chat_stream(request) as stream:
                converter = ChatStreamConverter(
                    stream.accumulator, enable_thinking=request.enable_thinking
                )
                async for item in astream_items(stream):
                    if (response := converter.feed(item)) is not None:
                        yield response
            if sink is not None:
                sink.append(converter.accumulator.result())
            if (response := converter.close()) is not None:
                yield response

        return gen()

    # ------------------------------------------------------------------ complete

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return _completion(self._chat(prompt_to_messages(prompt), **kwargs))

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        return _completion(await self._achat(prompt_to_messages(prompt), **kwargs))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await astream_chat_to_completion_decorator(self._astream_chat)(prompt, **kwargs)

    # ------------------------------------------------------------------ structured

    def as_structured_llm(self, output_cls: type[BaseModel], **kwargs: Any) -> AnyfastStructuredLLM:
        """LlamaIndex's ``StructuredLLM``, whose responses also carry the reasoning of the
        call that answered (docs/thinking.md)."""
        return AnyfastStructuredLLM(llm=self, output_cls=output_cls, **kwargs)

    # ------------------------------------------------------------------ tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        specs = [tool_spec(tool) for tool in tools]
        if specs:
            prepared["tools"] = specs
            prepared["tool_choice"] = tool_choice_to_wire(
                tool_choice, specs, required=tool_required
            )
            prepared["parallel_tool_calls"] = allow_parallel_tool_calls
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            _keep_first_tool_call(response.message)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        if not calls and error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but the model made none.")
        return [
            ToolSelection(
                tool_id=call.tool_call_id or "",
                tool_name=call.tool_name,
                tool_kwargs=_tool_arguments(call.tool_kwargs),
            )
            for call in calls
        ]


def _completion(response: ChatResponse) -> CompletionResponse:
    """LlamaIndex's reading of a chat response as a completion, with the reasoning kept:
    ``additional_kwargs["thinking"]``, as streamed completions carry ``thinking_delta``."""
    completion = chat_response_to_completion_response(response)
    completion.logprobs = response.logprobs  # which LlamaIndex's reading leaves behind
    blocks = response.message.blocks
    thinking = "".join(b.content or "" for b in blocks if isinstance(b, ThinkingBlock))
    if thinking:
        completion.additional_kwargs = {**completion.additional_kwargs, "thinking": thinking}
    return completion


def _thinking_only(response: ChatResponse) -> ChatResponse | None:
    """A held-back response's reasoning: what streams before the first answer is checked."""
    delta = response.additional_kwargs.get("thinking_delta")
    if not delta:
        return None
    blocks = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    message = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
    return ChatResponse(message=message, delta="", additional_kwargs={"thinking_delta": delta})


def _whole_answer(completion: ChatCompletion) -> ChatResponse:
    """A checked first answer, whole, as the stream's last response (its text the delta)."""
    response = completion_to_chat_response(completion)
    response.delta = primary_choice(completion).message.content or ""
    return response


def _to_response(completion: ChatCompletion, request: ChatRequest) -> ChatResponse:
    response = completion_to_chat_response(completion)
    warn_if_budget_spent_in(
        completion, enable_thinking=request.enable_thinking, stacklevel=user_stacklevel()
    )
    return response


def _keep_first_tool_call(message: ChatMessage) -> None:
    # The blocks and the pre-block additional_kwargs["tool_calls"] must keep telling the
    # same story: code reading either, and the history sent back, see one call.
    calls = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if len(calls) > 1:
        message.blocks = [b for b in message.blocks if not isinstance(b, ToolCallBlock)]
        message.blocks.append(calls[0])
        message.additional_kwargs["tool_calls"] = message.additional_kwargs["tool_calls"][:1]


def _tool_arguments(kwargs: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(kwargs, dict):
        return kwargs
    try:
        parsed = parse_partial_json(kwargs) if kwargs.strip() else {}
    except (ValueError, TypeError, RecursionError):
        # As LlamaIndex's own adapters do: unreadable arguments select the tool with none.
        return {}
    return parsed if isinstance(parsed, dict) else {}
