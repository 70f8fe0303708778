"""What a newcomer's own day-one code met beyond the examples: a base URL copied with its
endpoint, ``dimensions`` offline, and an OpenAI-style dict handed to LlamaIndex's Anyfast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from anyfast_client import NotFoundError
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
