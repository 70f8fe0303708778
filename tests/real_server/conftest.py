"""Replays of llama.cpp's ``llama-server``, recorded by ``scripts/record_real_server.py``.

Replaying (the default, ``--record-mode=none``) needs no server: cassettes match on method,
path, query and body, never on host or port. Recording needs the servers that the script
starts; it hands their URLs and key over in ``ANYFAST_REAL_SERVER_*``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[2]
# Replays never connect: a closed port makes any request that escapes vcrpy fail loudly.
_NOWHERE = "http://127.0.0.1:9/v1"

# llama-server reads thinking on/off from the chat template's arguments, not from a
# top-level enable_thinking (which the client still sends, and llama-server ignores), and
# caps reasoning with thinking_budget_tokens: without a cap the 135M model never closes
# its <think> and never answers.
THINKING_ON = {"chat_template_kwargs": {"enable_thinking": True}, "thinking_budget_tokens": 32}
THINKING_OFF = {"chat_template_kwargs": {"enable_thinking": False}}
WRONG_KEY = "not-the-server-key"
# The tool as a plain OpenAI dict, key order included: the 135M model calls it for this
# prompt and seed (any change to the rendered prompt changes what it samples). It calls it
# badly, as small models do: several calls, arguments that are JSON but nonsense.
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
WEATHER_QUESTION = "What is the weather in Paris?"
TOOL_SEED = 5


@dataclass(frozen=True)
class RealServer:
    """Where the chat and embeddings instances are, and the key they accept."""

    base_url: str
    embeddings_url: str
    api_key: str


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    module = request.module.__name__.rpartition(".")[2]
    return str(REPO / "cassettes" / "real_server" / module)


@pytest.fixture
def real_server(request: pytest.FixtureRequest) -> RealServer:
    if (request.config.getoption("--record-mode") or "none") == "none":
        return RealServer(_NOWHERE, _NOWHERE, "replay-key")
    try:
        return RealServer(
            os.environ["ANYFAST_REAL_SERVER_CHAT_URL"],
            os.environ["ANYFAST_REAL_SERVER_EMBEDDINGS_URL"],
            os.environ["ANYFAST_REAL_SERVER_KEY"],
        )
    except KeyError as missing:
        raise pytest.UsageError(
            f"recording tests/real_server needs {missing}: run scripts/record_real_server.py"
        ) from None


_Model = TypeVar("_Model")


@pytest.fixture
def on_real_server(real_server: RealServer, closing: Callable[..., Any]) -> Callable[..., Any]:
    """``on_real_server(cls, **settings)``: a chat model of any framework, pointed at the
    chat instance (every class takes ``base_url``), no retries, closed after the test."""

    def make(cls: type[_Model], **settings: Any) -> _Model:
        defaults = {"base_url": real_server.base_url, "api_key": real_server.api_key}
        model: _Model = closing(cls, **{**defaults, "max_retries": 0, **settings})
        return model

    return make


# Prompts and sampling the 135M model answers sensibly with; thinking needs some randomness
# to close its reasoning and answer, plain answers are greedy.
THINKING_PROMPT = "Why is the sky blue?"
THINKING_SAMPLING: dict[str, Any] = {"seed": 5, "temperature": 0.8}
PLAIN_PROMPT = "Name three primary colours."
PLAIN_SAMPLING: dict[str, Any] = {"seed": 5, "temperature": 0}
NUMBERS_PROMPT = "List the numbers from 1 to 10."
LONG_PROMPT = "Tell me a long story about a dragon."
