"""The API key appears nowhere but the Authorization header, for every model class.

Each class is built with an explicit key, used against the local server (once
successfully, once with a wrong key so an error is raised), and then every
representation a user or a framework might print, log, dump or ship is searched.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps

from anyfast_client import AnyfastError, AsyncAnyfastClient
from anyfast_client.testing import AnyfastTestServer

SECRET = "sk-live-SECRET-0123456789"


def chat_anyfast(url: str, key: str) -> tuple[Any, Callable[[Any], Any]]:
    from langchain_anyfast import ChatAnyfast

    return ChatAnyfast(api_key=key, base_url=url), lambda m: m.invoke("hi")


def anyfast_embeddings(url: str, key: str) -> tuple[Any, Callable[[Any], Any]]:
    from langchain_anyfast import AnyfastEmbeddings

    return AnyfastEmbeddings(api_key=key, base_url=url), lambda m: m.embed_query("hi")


def anyfast_llm(url: str, key: str) -> tuple[Any, Callable[[Any], Any]]:
    from llama_index_anyfast import Anyfast

    return Anyfast(api_key=key, api_base=url), lambda m: m.complete("hi")


def anyfast_embedding(url: str, key: str) -> tuple[Any, Callable[[Any], Any]]:
    from llama_index_anyfast import AnyfastEmbedding

    return AnyfastEmbedding(api_key=key, base_url=url), lambda m: m.get_text_embedding("hi")


def async_client(url: str, key: str) -> tuple[Any, Callable[[Any], Any]]:
    from anyfast_client import AsyncAnyfastClient, ChatRequest, UserMessage

    request = ChatRequest(messages=[UserMessage(content="hi")])
    return AsyncAnyfastClient(api_key=key, base_url=url), lambda c: asyncio.run(c.chat(request))


BUILDERS = [chat_anyfast, anyfast_embeddings, anyfast_llm, anyfast_embedding, async_client]


def renderings(model: Any) -> list[str]:
    """Every way a user or a framework turns the object into text or bytes."""
    texts = [repr(model), str(model), repr(vars(model)) if hasattr(model, "__dict__") else ""]
    texts.append(repr(pickle.dumps(model)))
    for method in ("model_dump", "model_dump_json", "to_dict", "to_json"):
        if callable(getattr(model, method, None)):
            try:
                texts.append(repr(getattr(model, method)()))
            except (TypeError, NotImplementedError):
                continue
    if hasattr(model, "to_json") and hasattr(model, "lc_secrets"):
        texts += [repr(dumpd(model)), dumps(model)]
    return texts


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_key_appears_in_no_rendering_log_or_error(
    build: Callable[[str, str], tuple[Any, Callable[[Any], Any]]],
    anyfast_server: AnyfastTestServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(anyfast_server, "api_key", SECRET)
    caplog.set_level(logging.DEBUG)
    model, call = build(anyfast_server.base_url, SECRET)
    call(model)
    assert anyfast_server.last_request.headers["authorization"] == f"Bearer {SECRET}"

    wrong, call_wrong = build(anyfast_server.base_url, SECRET[::-1] + "-wrong")
    monkeypatch.setattr(anyfast_server, "api_key", SECRET[::-1] + "-other")
    with pytest.raises(AnyfastError) as caught:
        call_wrong(wrong)
    error_texts = [str(caught.value), repr(caught.value), repr(vars(caught.value))]

    haystack = renderings(model) + error_texts + [caplog.text]
    haystack += [r.getMessage() + repr(r.args) for r in caplog.records]
    for text in haystack:
        assert SECRET not in text
        assert SECRET[::-1] not in text
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    for used in (model, wrong):
        close(used)


def close(model: Any) -> None:
    """Give the pools back now, not whenever the garbage collector runs."""
    if isinstance(model, AsyncAnyfastClient):
        return  # its pool closed with the event loop that asyncio.run() shut down
    model.close()
