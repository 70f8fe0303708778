"""How llama-server's refusals come out of every entry point, replayed from cassettes.

A prompt longer than the context is refused with 400 and llama.cpp's own error type
(``exceed_context_size_error``); embeddings sit under ``/v1``, not Anyfast's ``/api/v3``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.exceptions import ContextOverflowError
from llama_index.core.base.llms.types import ChatMessage

import anyfast_client as af
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import Anyfast, AnyfastEmbedding

from .conftest import THINKING_OFF, RealServer

pytestmark = pytest.mark.vcr

# More tokens than the instance's 4096-token context.
TOO_LONG = "word " * 4200


def test_core_client_context_overflow(real_server: RealServer) -> None:
    client = af.AnyfastClient(
        base_url=real_server.base_url, api_key=real_server.api_key, max_retries=0
    )
    request = af.ChatRequest(
        messages=[af.UserMessage(content=TOO_LONG)],
        max_completion_tokens=5,
        extra_body=THINKING_OFF,
    )
    with client, pytest.raises(af.RequestTooLargeError) as caught:
        client.chat(request)
    assert caught.value.status_code == 400
    assert caught.value.type == "exceed_context_size_error"
    assert "context size" in caught.value.message


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
def test_chat_anyfast_context_overflow(on_real_server: Callable[..., Any], streamed: bool) -> None:
    model = on_real_server(ChatAnyfast, max_tokens=5, extra_body=THINKING_OFF)
    with pytest.raises(ContextOverflowError) as caught:
        list(model.stream(TOO_LONG)) if streamed else model.invoke(TOO_LONG)
    assert isinstance(caught.value, af.RequestTooLargeError)


async def test_anyfast_context_overflow(on_real_server: Callable[..., Any]) -> None:
    llm = on_real_server(Anyfast, max_tokens=5, additional_kwargs=THINKING_OFF)
    with pytest.raises(af.RequestTooLargeError):
        await llm.achat([ChatMessage(role="user", content=TOO_LONG)])


@pytest.mark.parametrize(
    ("cls", "method"),
    [(AnyfastEmbeddings, "embed_query"), (AnyfastEmbedding, "get_query_embedding")],
    ids=["langchain", "llama_index"],
)
def test_embeddings_at_the_chat_base_url_say_where_they_live(
    real_server: RealServer, closing: Callable[..., Any], cls: type[Any], method: str
) -> None:
    # The server's /v1 given as the base URL, as to OpenAI's classes: the embeddings go to
    # Anyfast's /api/v3 there, which llama-server does not serve.
    url, key = real_server.embeddings_url, real_server.api_key
    embed = getattr(closing(cls, base_url=url, api_key=key, max_retries=0), method)
    with pytest.raises(af.NotFoundError) as caught:
        embed("Where is Paris?")
    assert f"embeddings_base_url='{real_server.embeddings_url}'" in str(caught.value)
