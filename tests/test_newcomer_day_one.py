"""What a newcomer's own day-one code met beyond the examples: a base URL copied with its
endpoint, ``dimensions`` offline, and an OpenAI-style dict handed to LlamaIndex's Anyfast."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from llama_index.core.llms import ChatMessage

from anyfast_client import AnyfastClient, NotFoundError
from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import Anyfast, AnyfastEmbedding


@pytest.mark.parametrize("cls", [ChatAnyfast, Anyfast], ids=["lc", "li"])
def test_a_base_url_with_the_endpoint_copied_in_suggests_the_base(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any], cls: type
) -> None:
    model = build_model(cls, base_url=f"{anyfast_server.base_url}/chat/completions")
    anyfast_server.enqueue(ErrorReply(404, {"error": {"message": "Invalid URL"}}))
    with pytest.raises(NotFoundError) as refused:
        model.invoke("hi") if cls is ChatAnyfast else model.complete("hi")
    assert anyfast_server.last_request.path == "/v1/chat/completions/chat/completions"
    assert str(refused.value).endswith(f"did you mean {anyfast_server.base_url}?)")


def test_an_embeddings_url_with_the_endpoint_copied_in_suggests_the_base() -> None:
    from anyfast_client._errors import status_error

    error = status_error(404, "", url="https://proxy.example/api/v3/embeddings/embeddings")
    assert str(error).endswith("did you mean https://proxy.example/api/v3?)")


@pytest.mark.parametrize("cls", [AnyfastEmbeddings, AnyfastEmbedding], ids=["lc", "li"])
def test_dimensions_shortens_the_local_servers_vectors(
    anyfast_server: AnyfastTestServer, cls: type[Any]
) -> None:
    model = cls(
        base_url=f"{anyfast_server.origin}/api/v3", api_key=anyfast_server.api_key, dimensions=8
    )
    try:
        vector = (
            model.embed_query("hi") if cls is AnyfastEmbeddings else model.get_query_embedding("hi")
        )
    finally:
        model.close()
    assert anyfast_server.last_request.json["dimensions"] == 8
    assert len(vector) == 8
    assert anyfast_server.embedding_dim > 8  # the default stays for requests without it


@pytest.mark.parametrize(
    "message", [{"role": "user", "content": "hi"}, ("user", "hi")], ids=["dict", "tuple"]
)
def test_anyfast_names_a_message_that_is_not_a_chat_message(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any], message: Any
) -> None:
    anyfast_server.enqueue(Reply(content="never sent"))
    llm = build_model(Anyfast)
    with pytest.raises((TypeError, ValueError), match="ChatMessage"):
        llm.chat([message])
    assert anyfast_server.requests == []
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content == "never sent"


def test_token_counts_take_messages_as_invoke_takes_them() -> None:
    model = ChatAnyfast(api_key="k")
    counted = model.get_num_tokens_from_messages([SystemMessage("Be brief."), HumanMessage("hi")])
    as_tuples = [("system", "Be brief."), ("user", "hi")]
    as_dicts = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    assert model.get_num_tokens_from_messages(as_tuples) == counted  # type: ignore[arg-type]
    assert model.get_num_tokens_from_messages(as_dicts) == counted  # type: ignore[arg-type]
    assert counted > model.get_num_tokens_from_messages([HumanMessage("hi")])


def _get_weather(city: str) -> str:
    """The current weather in a city."""
    return city


def _add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_offline_a_prompt_no_tool_is_about_gets_text_not_a_call(
    build_model: Callable[..., Any],
) -> None:
    model = build_model(ChatAnyfast).bind_tools([_get_weather, _add])
    thanks = model.invoke("Thanks, that is all.")
    assert thanks.tool_calls == [] and thanks.text
    (call,) = model.invoke("What is the weather in Rome?").tool_calls
    assert call["name"] == "_get_weather"
    forced = build_model(ChatAnyfast).bind_tools([_get_weather, _add], tool_choice="any")
    assert forced.invoke("Thanks, that is all.").tool_calls  # a forced call is still made


@pytest.mark.parametrize("cls", [AnyfastEmbeddings, AnyfastEmbedding], ids=["lc", "li"])
def test_a_base_url_argument_beats_the_exported_embeddings_url(
    anyfast_server: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch, cls: type[Any]
) -> None:
    # The README's exports left in the shell must not send a test's embeddings elsewhere.
    monkeypatch.setenv("ANYFAST_EMBEDDINGS_BASE_URL", "http://127.0.0.1:9/api/v3")
    model = cls(base_url=anyfast_server.base_url, api_key=anyfast_server.api_key)
    try:
        vector = (
            model.embed_query("hi") if cls is AnyfastEmbeddings else model.get_query_embedding("hi")
        )
    finally:
        model.close()
    assert len(vector) == anyfast_server.embedding_dim
    assert anyfast_server.last_request.path == "/api/v3/embeddings"


def test_the_exported_embeddings_url_counts_when_no_base_url_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANYFAST_EMBEDDINGS_BASE_URL", "http://emb.test/api/v3")
    with AnyfastClient(api_key="k") as client:
        assert client.embeddings_base_url == "http://emb.test/api/v3"
    with AnyfastClient(api_key="k", base_url="http://arg.test/v1") as client:
        assert client.embeddings_base_url == "http://arg.test/api/v3"


@pytest.mark.parametrize(
    ("package", "framework", "extra"),
    [
        ("langchain_anyfast", "langchain_core", "langchain"),
        ("llama_index_anyfast", "llama_index.core", "llama-index"),
    ],
)
def test_importing_an_adapter_without_its_extra_names_the_extra(
    package: str, framework: str, extra: str
) -> None:
    # None in sys.modules makes the import fail as if the framework were not installed.
    code = f"import sys; sys.modules[{framework!r}] = None; import {package}"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode != 0
    last_line = run.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ModuleNotFoundError")
    assert f"anyfast-integrations[{extra}]" in last_line


def test_offline_a_quoted_phrase_is_the_argument(build_model: Callable[..., Any]) -> None:
    lookup = {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look up a word in the dictionary",
            "parameters": {"type": "object", "properties": {"word": {"type": "string"}}},
        },
    }
    model = build_model(ChatAnyfast).bind_tools([lookup])
    for prompt in ('Look up the word "apple"', "Look up the word 'apple'"):
        (call,) = model.invoke(prompt).tool_calls
        assert call["args"] == {"word": "apple"}
    (call,) = model.invoke("What's the word for Apfel? Look it up").tool_calls
    assert call["args"] == {"word": "Apfel"}  # an apostrophe inside a word opens no quote
