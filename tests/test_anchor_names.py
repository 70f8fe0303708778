"""Names users bring from ChatOpenAI, ChatDeepSeek, ChatQwen, OpenAIEmbeddings, OpenAILike,
DeepSeek, DashScope and OpenAIEmbedding: each works here with the meaning it has there, or
is refused before any request saying what to use instead. Never sent as an unknown body
field, never dropped without a word."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import httpx
import pytest
from llama_index.core.llms import ChatMessage

from anyfast_client import AnyfastWarning
from anyfast_client.testing import AnyfastTestServer
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import Anyfast, AnyfastEmbedding

Build = Callable[..., Any]

CHAT = (ChatAnyfast, Anyfast)
EMBEDDINGS = (AnyfastEmbeddings, AnyfastEmbedding)
ALL = (*CHAT, *EMBEDDINGS)
# Where each chat class takes body fields it has no setting for.
BODY = {ChatAnyfast: "extra_body", Anyfast: "additional_kwargs"}


def _call(model: Any) -> None:
    if isinstance(model, ChatAnyfast):
        model.invoke("hi")
    elif isinstance(model, Anyfast):
        model.chat([ChatMessage(role="user", content="hi")])
    elif isinstance(model, AnyfastEmbeddings):
        model.embed_documents(["a"])
    else:
        model.get_text_embedding_batch(["a"])


async def _acall(model: Any) -> None:
    if isinstance(model, ChatAnyfast):
        await model.ainvoke("hi")
    elif isinstance(model, Anyfast):
        await model.achat([ChatMessage(role="user", content="hi")])
    elif isinstance(model, AnyfastEmbeddings):
        await model.aembed_documents(["a"])
    else:
        await model.aget_text_embedding_batch(["a"])


def _sent(server: AnyfastTestServer) -> dict[str, Any]:
    body = dict(server.last_request.json)
    body.pop("messages", None)
    body.pop("input", None)
    return body


def _cases(classes: tuple[type, ...], *rows: tuple[Any, ...]) -> list[Any]:
    return [
        pytest.param(cls, *row, id=f"{cls.__name__}-{row[0]}") for cls in classes for row in rows
    ]


# ------------------------------------------------------------------ names that work, on the wire

SENT_AS = [
    *_cases(
        CHAT,
        ("max_tokens", 7, {"max_completion_tokens": 7}),
        ("max_completion_tokens", 7, {"max_completion_tokens": 7}),
        ("stop", "END", {"stop": ["END"]}),
        ("stop_sequences", ["END"], {"stop": ["END"]}),
        ("temperature", 0.3, {"temperature": 0.3}),
        ("top_p", 0.5, {"top_p": 0.5}),
        ("frequency_penalty", 0.5, {"frequency_penalty": 0.5}),
        ("presence_penalty", -0.5, {"presence_penalty": -0.5}),
        ("seed", 3, {"seed": 3}),
        # Request fields neither class holds a field for: sent on every call by both.
        ("response_format", {"type": "json_object"}, {"response_format": {"type": "json_object"}}),
        ("parallel_tool_calls", False, {"parallel_tool_calls": False}),
        ("top_k", 20, {"top_k": 20}),
        ("repetition_penalty", 1.1, {"repetition_penalty": 1.1}),
        ("enable_thinking", True, {"enable_thinking": True}),
        ("reasoning_effort", "low", {"enable_thinking": True, "thinking_budget": 1024}),
        ("model_name", "qwen3.6-flash", {"model": "qwen3.6-flash"}),
        ("model", "qwen3.6-flash", {"model": "qwen3.6-flash"}),
    ),
    *_cases(
        (ChatAnyfast,),
        ("model_kwargs", {"top_k": 20}, {"top_k": 20}),
        ("extra_body", {"top_k": 20}, {"top_k": 20}),
        ("streaming", True, {"stream": True, "stream_options": {"include_usage": True}}),
    ),
    *_cases((Anyfast,), ("additional_kwargs", {"top_k": 20}, {"top_k": 20})),
    *_cases(
        EMBEDDINGS,
        ("dimensions", 8, {"dimensions": 8}),
        ("model", "doubao-embedding", {"model": "doubao-embedding"}),
    ),
    *_cases(EMBEDDINGS, ("model_name", "doubao-embedding", {"model": "doubao-embedding"})),
]


@pytest.mark.parametrize(("cls", "name", "value", "expected"), SENT_AS)
def test_a_sibling_name_is_sent_as_it_means(
    build_model: Build,
    anyfast_server: AnyfastTestServer,
    cls: type,
    name: str,
    value: Any,
    expected: dict[str, Any],
) -> None:
    # LangChain's convention for a name ChatAnyfast has no field for: a warning, then sent.
    warned = cls is ChatAnyfast and name in ("top_k", "repetition_penalty")
    with (
        pytest.warns(UserWarning, match="transferred to model_kwargs") if warned else nullcontext()
    ):
        model = build_model(cls, **{name: value})
    _call(model)
    sent = _sent(anyfast_server)
    assert {key: sent.get(key) for key in expected} == expected
    assert name not in sent or name in expected


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_default_headers_go_on_every_request(
    build_model: Build, anyfast_server: AnyfastTestServer, cls: type
) -> None:
    _call(build_model(cls, default_headers={"X-Trace": "abc"}))
    assert anyfast_server.last_request.headers["x-trace"] == "abc"


# The URL names: the request reaches the local server only if the name was taken as the URL.
URL_NAMES = [
    *_cases((ChatAnyfast, AnyfastEmbeddings), ("base_url",), ("api_base",), ("openai_api_base",)),
    *_cases((Anyfast, AnyfastEmbedding), ("base_url",), ("api_base",)),
]


@pytest.mark.parametrize(("cls", "name"), URL_NAMES)
def test_every_url_name_is_the_base_url(
    anyfast_server: AnyfastTestServer, closing: Build, cls: type, name: str
) -> None:
    _call(closing(cls, api_key=anyfast_server.api_key, **{name: anyfast_server.base_url}))
    assert len(anyfast_server.requests) == 1


READ_BACK = [
    *_cases(ALL, ("timeout", 12.0, "timeout"), ("max_retries", 1, "max_retries")),
    *_cases((ChatAnyfast, AnyfastEmbeddings), ("request_timeout", 12.0, "timeout")),
    *_cases((ChatAnyfast,), ("model_name", "qwen3.6-flash", "model_name")),
    *_cases((AnyfastEmbeddings,), ("chunk_size", 2, "chunk_size")),
    *_cases((AnyfastEmbedding,), ("embed_batch_size", 2, "embed_batch_size")),
]


@pytest.mark.parametrize(("cls", "name", "value", "field"), READ_BACK)
def test_a_connection_name_reads_back_as_its_setting(
    build_model: Build, cls: type, name: str, value: Any, field: str
) -> None:
    assert getattr(build_model(cls, **{name: value}), field) == value


def test_stream_usage_false_asks_for_no_usage_chunk(
    build_model: Build, anyfast_server: AnyfastTestServer
) -> None:
    _call(build_model(ChatAnyfast, streaming=True, stream_usage=False))
    sent = _sent(anyfast_server)
    assert sent["stream"] is True
    assert "stream_options" not in sent


def test_the_llama_index_metadata_names_read_back(build_model: Build) -> None:
    llm = build_model(Anyfast, context_window=1000, is_function_calling_model=False)
    assert (llm.metadata.context_window, llm.metadata.is_function_calling_model) == (1000, False)
    assert llm.metadata.is_chat_model


HTTP_CLIENT_NAMES = [
    pytest.param(cls, name, id=f"{cls.__name__}-{name}")
    for cls in ALL
    for name in (
        "http_async_client",
        *(("async_http_client",) if cls in (Anyfast, AnyfastEmbedding) else ()),
    )
]


@pytest.mark.parametrize(("cls", "async_name"), HTTP_CLIENT_NAMES)
async def test_your_own_httpx_clients_carry_the_requests(
    build_model: Build, anyfast_server: AnyfastTestServer, cls: type, async_name: str
) -> None:
    sync, async_ = (
        httpx.Client(headers={"X-Own": "sync"}),
        httpx.AsyncClient(headers={"X-Own": "async"}),
    )
    model = build_model(cls, http_client=sync, **{async_name: async_})
    _call(model)
    await _acall(model)
    assert [r.headers.get("x-own") for r in anyfast_server.requests] == ["sync", "async"]
    sync.close()
    await async_.aclose()


# The value that is what this package always does is accepted, and nothing is sent for it.
AS_DONE_HERE = [
    *_cases((ChatAnyfast,), ("use_responses_api", False)),
    *_cases((Anyfast,), ("is_chat_model", True), ("reuse_client", True)),
    *_cases((AnyfastEmbedding,), ("reuse_client", True)),
    *_cases(
        (AnyfastEmbeddings,), ("check_embedding_ctx_length", False), ("tiktoken_enabled", False)
    ),
]


@pytest.mark.parametrize(("cls", "name", "value"), AS_DONE_HERE)
def test_a_value_this_package_always_follows_is_accepted(
    build_model: Build, anyfast_server: AnyfastTestServer, cls: type, name: str, value: bool
) -> None:
    _call(build_model(cls, **{name: value}))
    assert name not in _sent(anyfast_server)


# ------------------------------------------------------------------ names refused, with what to use

REFUSED = [
    *_cases(
        CHAT,
        ("n", 2, "make one call per answer"),
        ("logprobs", True, "does not document it; to send it anyway, pass {body}={{'logprobs'"),
        ("top_logprobs", 2, "does not document it; to send it anyway, pass {body}="),
        ("enable_search", True, "web search; Anyfast does not document it; to send it anyway"),
        ("dashscope_api_key", "sk", r"api_key \(or ANYFAST_API_KEY\)"),
        ("openai_api_key", "sk", "api_key"),
        ("api_version", "2024-01-01", "Azure OpenAI setting"),
        ("tokenizer", "gpt2", "Qwen's tokenizer"),
        ("incremental_output", True, "always arrive as increments"),
        ("tools", [], "tools are given per call"),
        ("tool_choice", "auto", "tools are given per call"),
    ),
    *_cases(
        (ChatAnyfast,),
        ("store", True, "OpenAI feature Anyfast does not document; to send it anyway"),
        ("service_tier", "flex", "OpenAI feature"),
        ("verbosity", "low", "OpenAI feature"),
        ("include", ["x"], "OpenAI feature"),
        ("truncation", "auto", "OpenAI feature"),
        ("logit_bias", {"1": 2}, "does not document it"),
        ("reasoning", {"effort": "low"}, "reasoning_effort is the setting"),
        ("use_responses_api", True, "chat completions only"),
        ("use_previous_response_id", True, "chat completions only"),
        ("openai_organization", "org", "default_headers"),
        ("organization", "org", "default_headers"),
        ("openai_proxy", "http://proxy:1", r"http_client: httpx.Client\(proxy=...\)"),
        ("default_query", {"a": "1"}, "no query parameters"),
        ("disabled_params", {"tools": None}, "never sent"),
        ("http_socket_options", [], "http_client"),
        ("include_response_headers", True, "no equivalent"),
        ("stream_chunk_timeout", 5, "timeout also bounds each wait"),
        ("tiktoken_model_name", "gpt-4", "Qwen's tokenizer"),
        ("client", object(), "give an httpx client as http_client"),
        ("async_client", object(), "http_async_client"),
        ("root_client", object(), "http_client"),
        ("root_async_client", object(), "http_async_client"),
        ("additional_kwargs", {"top_k": 1}, "go in extra_body"),
    ),
    *_cases(
        (Anyfast,),
        ("is_chat_model", False, r"always used through chat completions \(True is accepted\)"),
        ("reuse_client", False, "always kept and reused"),
        ("strict", True, "no equivalent"),
        ("should_use_structured_outputs", True, "no equivalent"),
        ("modalities", ["text"], "OpenAI feature"),
        ("audio_config", {}, "OpenAI feature"),
        ("openai_client", object(), "http_client"),
        ("openai_llm_kwargs", {}, "go in additional_kwargs"),
        ("model_kwargs", {}, "go in additional_kwargs"),
        ("extra_body", {}, "go in additional_kwargs"),
        ("streaming", True, "stream_chat or stream_complete"),
        ("openai_api_base", "http://x/v1", "did you mean 'api_base'"),
        ("request_timeout", 5, "did you mean 'timeout'"),
    ),
    *_cases(
        EMBEDDINGS,
        ("api_version", "v", "Azure OpenAI setting"),
        ("openai_api_key", "sk", "api_key"),
        ("client", object(), "http_client"),
        ("async_client", object(), "http_async_client"),
    ),
    *_cases(
        (AnyfastEmbeddings,),
        ("check_embedding_ctx_length", True, "embedded whole"),
        ("tiktoken_enabled", True, "embedded whole"),
        ("embedding_ctx_length", 100, "embedded whole"),
        ("allowed_special", "all", "embedded whole"),
        ("tiktoken_model_name", "x", "Qwen's tokenizer"),
        ("skip_empty", True, "embedded as a single space"),
        ("retry_min_seconds", 1, "Retry-After"),
        ("openai_api_type", "azure", "Azure OpenAI setting"),
        ("deployment", "d", "Azure OpenAI setting"),
        ("openai_organization", "org", "default_headers"),
        ("openai_proxy", "http://proxy:1", "http_client"),
        ("headers", {}, "did you mean 'default_headers'"),
        ("model_kwargs", {}, "no extra body fields are sent here"),
    ),
    *_cases(
        (AnyfastEmbedding,),
        ("reuse_client", False, "always kept and reused"),
        ("mode", "similarity", "no equivalent"),
        ("additional_kwargs", {}, "no extra body fields are sent here"),
        ("deployment_name", "d", "Azure OpenAI setting"),
        ("show_progress_bar", True, "show_progress=True"),
    ),
]


@pytest.mark.parametrize(("cls", "name", "value", "says"), REFUSED)
def test_a_sibling_name_with_no_same_meaning_is_refused_naming_what_to_use(
    anyfast_server: AnyfastTestServer, cls: type, name: str, value: Any, says: str
) -> None:
    pattern = f"'{name}'.*" + says.format(body=BODY.get(cls, ""))
    with pytest.raises(TypeError, match=pattern):
        cls(base_url=anyfast_server.base_url, api_key="k", **{name: value})
    assert anyfast_server.requests == []


# ------------------------------------------------------------------ call keywords


def _chat_call(model: Any, **kwargs: Any) -> None:
    if isinstance(model, ChatAnyfast):
        model.invoke("hi", **kwargs)
    else:
        model.chat([ChatMessage(role="user", content="hi")], **kwargs)


CALL_SENT = _cases(
    CHAT,
    ("stop", ["END"], {"stop": ["END"]}),
    ("stop_sequences", ["END"], {"stop": ["END"]}),
    ("max_tokens", 5, {"max_completion_tokens": 5}),
    ("max_completion_tokens", 5, {"max_completion_tokens": 5}),
    ("temperature", 0.2, {"temperature": 0.2}),
    ("top_p", 0.5, {"top_p": 0.5}),
    ("frequency_penalty", 0.5, {"frequency_penalty": 0.5}),
    ("presence_penalty", -0.5, {"presence_penalty": -0.5}),
    ("enable_thinking", True, {"enable_thinking": True}),
    ("seed", 1, {"seed": 1}),
    ("reasoning_effort", "low", {"enable_thinking": True, "thinking_budget": 1024}),
    ("extra_body", {"top_k": 3}, {"top_k": 3}),
)


@pytest.mark.parametrize(("cls", "name", "value", "expected"), CALL_SENT)
def test_a_call_keyword_is_sent_as_it_means(
    build_model: Build,
    anyfast_server: AnyfastTestServer,
    cls: type,
    name: str,
    value: Any,
    expected: dict[str, Any],
) -> None:
    _chat_call(build_model(cls), **{name: value})
    sent = _sent(anyfast_server)
    assert {key: sent.get(key) for key in expected} == expected


CALL_REFUSED = _cases(
    CHAT,
    ("timeout", 5, "a connection setting: give it to the constructor"),
    ("max_retries", 1, "a connection setting: give it to the constructor"),
    ("n", 2, "make one call per answer"),
    ("logprobs", True, r"to send it anyway, pass extra_body=\{'logprobs'"),
    ("store", True, r"OpenAI feature .* extra_body=\{'store'"),
    ("top_k", 3, r"extra_body=\{'top_k'"),
)


@pytest.mark.parametrize(("cls", "name", "value", "says"), CALL_REFUSED)
def test_a_call_keyword_with_no_same_meaning_is_refused_naming_what_to_use(
    build_model: Build,
    anyfast_server: AnyfastTestServer,
    cls: type,
    name: str,
    value: Any,
    says: str,
) -> None:
    model = build_model(cls)
    with pytest.raises(TypeError, match=f"'{name}'.*{says}"):
        _chat_call(model, **{name: value})
    assert anyfast_server.requests == []


# ------------------------------------------------------------------ thinking_budget alone

# ChatQwen sends thinking_budget alone; here thinking is off unless asked, so the budget
# would never be sent: the model says so where it is made.


@pytest.mark.parametrize("cls", CHAT, ids=lambda c: c.__name__)
def test_a_budget_with_thinking_off_is_said_where_the_model_is_made(
    anyfast_server: AnyfastTestServer, cls: type
) -> None:
    with pytest.warns(AnyfastWarning, match="thinking_budget=100 is not sent while") as caught:
        cls(base_url=anyfast_server.base_url, api_key="k", thinking_budget=100)
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.parametrize(
    "settings",
    [{"enable_thinking": True}, {"reasoning_effort": "high"}, {}],
    ids=["enable_thinking", "reasoning_effort", "no-budget"],
)
@pytest.mark.parametrize("cls", CHAT, ids=lambda c: c.__name__)
def test_a_budget_with_thinking_on_is_sent_without_a_word(
    build_model: Build, anyfast_server: AnyfastTestServer, cls: type, settings: dict[str, Any]
) -> None:
    budget = {"thinking_budget": 100} if settings else {}
    _call(build_model(cls, **settings, **budget))  # warnings are errors in this suite
    assert _sent(anyfast_server).get("thinking_budget") == (100 if settings else None)
