"""Base URLs as users write them: a 404 on a base without ``/v1`` suggests it, and an
embeddings base URL that already ends in ``/api/v3`` is used as it is."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pytest

from anyfast_client import (
    AnyfastClient,
    ChatRequest,
    EmbeddingRequest,
    NotFoundError,
    UserMessage,
)
from anyfast_client._errors import status_error
from anyfast_client.testing import AnyfastTestServer, ErrorReply
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import AnyfastEmbedding

HI = ChatRequest(messages=[UserMessage(content="hi")])


def test_a_chat_base_url_without_v1_gets_the_url_it_meant(
    anyfast_server: AnyfastTestServer,
) -> None:
    with (
        AnyfastClient(base_url=anyfast_server.origin, api_key="k") as client,
        pytest.raises(NotFoundError) as refused,
    ):
        client.chat(HI)
    text = str(refused.value)
    assert "Invalid URL (POST /chat/completions)" in text  # the server's own words stay
    assert f"did you mean {anyfast_server.origin}/v1?" in text
    assert refused.value.message.startswith("Invalid URL")  # the hint is not the server's


def test_chat_anyfast_users_see_the_hint_too(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any]
) -> None:
    model = build_model(ChatAnyfast, base_url=f"{anyfast_server.origin}/proxy")
    with pytest.raises(NotFoundError, match=f"did you mean {anyfast_server.origin}/proxy/v1\\?"):
        model.invoke("hi")


def test_a_version_that_is_not_v1_is_replaced_not_extended(
    anyfast_server: AnyfastTestServer,
) -> None:
    with (
        AnyfastClient(base_url=f"{anyfast_server.origin}/v2", api_key="k") as client,
        pytest.raises(NotFoundError, match=f"did you mean {anyfast_server.origin}/v1\\?"),
    ):
        client.chat(HI)


def test_no_hint_when_the_base_url_ends_in_v1(anyfast_server: AnyfastTestServer) -> None:
    anyfast_server.enqueue(ErrorReply(404, {"error": {"message": "model not found"}}))
    with (
        AnyfastClient(base_url=anyfast_server.base_url, api_key=anyfast_server.api_key) as client,
        pytest.raises(NotFoundError) as refused,
    ):
        client.chat(HI)
    assert str(refused.value) == "Error code: 404 - model not found"


def test_an_embeddings_base_url_without_api_v3_gets_the_url_it_meant(
    anyfast_server: AnyfastTestServer,
) -> None:
    with (
        AnyfastClient(
            base_url=anyfast_server.base_url,
            embeddings_base_url=f"{anyfast_server.origin}/v1",
            api_key="k",
        ) as client,
        pytest.raises(NotFoundError, match=f"embeddings_base_url {anyfast_server.origin}/v1 "),
    ):
        client.embeddings(EmbeddingRequest(input=["a"]))


def test_the_hint_never_shows_credentials_or_a_query() -> None:
    error = status_error(404, "", url="https://user:pw@proxy.example/chat/completions?key=s")
    assert "did you mean https://proxy.example/v1?" in str(error)
    assert "pw" not in str(error) and "key=s" not in str(error)


def test_the_hint_survives_a_pickle() -> None:
    error = status_error(404, "", url="http://127.0.0.1:8000/chat/completions")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


# --------------------------------------------------------------------------- embeddings URL


@pytest.mark.parametrize(
    "build",
    [
        lambda url: AnyfastEmbeddings(api_base=url, api_key="k"),
        lambda url: AnyfastEmbeddings(base_url=url, api_key="k"),
        lambda url: AnyfastEmbedding(api_base=url, api_key="k"),
        lambda url: AnyfastEmbedding(base_url=url, api_key="k"),
    ],
    ids=["langchain-api_base", "langchain-base_url", "llama-api_base", "llama-base_url"],
)
def test_an_embeddings_base_url_ending_in_api_v3_keeps_its_prefix(
    anyfast_server: AnyfastTestServer, build: Callable[[str], Any]
) -> None:
    model = build(f"{anyfast_server.origin}/anyfast/api/v3")
    try:
        # The local server serves no /anyfast prefix: its 404 shows where the request went.
        with pytest.raises(NotFoundError) as refused:
            _embed(model)
    finally:
        model.close()
    assert anyfast_server.last_request.path == "/anyfast/api/v3/embeddings"
    assert "did you mean" not in str(refused.value)  # the base already ends in /api/v3


@pytest.mark.parametrize("cls", [AnyfastEmbeddings, AnyfastEmbedding])
def test_an_embeddings_base_url_ending_in_api_v3_answers(
    anyfast_server: AnyfastTestServer, cls: type[Any]
) -> None:
    model = cls(base_url=f"{anyfast_server.origin}/api/v3/", api_key=anyfast_server.api_key)
    try:
        assert len(_embed(model)) == anyfast_server.embedding_dim
    finally:
        model.close()
    assert anyfast_server.last_request.path == "/api/v3/embeddings"


def _embed(model: Any) -> list[float]:
    if isinstance(model, AnyfastEmbeddings):
        return model.embed_query("hello")
    return list(model.get_text_embedding("hello"))
