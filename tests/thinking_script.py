"""The scripted answers of a thinking model asked for a ``City``, shared by both adapters' tests.

Each reply thinks first (``THOUGHT``) and then answers one of three ways: by calling the
``City`` tool, with the object as JSON in its text, or in prose, which calls for a fallback.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from anyfast_client.testing import Reply, ScriptedToolCall

__all__ = ["ARGS", "FORCED", "PARIS", "THOUGHT", "City", "calls_city", "json_text", "prose"]


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str


PARIS = City(name="Paris", country="France")
ARGS = {"name": "Paris", "country": "France"}
THOUGHT = "The user asks for a city; I will fill in City."
FORCED = {"type": "function", "function": {"name": "City"}}


def calls_city(**extra: Any) -> Reply:
    return Reply(reasoning=THOUGHT, tool_calls=[ScriptedToolCall("City", ARGS)], **extra)


def json_text() -> Reply:
    return Reply(reasoning=THOUGHT, content=f"Here it is:\n```json\n{json.dumps(ARGS)}\n```")


def prose() -> Reply:
    return Reply(reasoning=THOUGHT, content="Paris is the capital of France.")
