"""Scripted answers for the scale recipes: each prompt gets its own answer, counted."""

from __future__ import annotations

import ast
import re
import threading
import types
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply


class ScriptedAnswers:
    """A responder that answers ``Answer to: <prompt>`` and counts the answers per prompt.

    With ``rate_limit_every=n``, every n-th request instead gets a 429 with ``Retry-After: 0``:
    a storm that lasts the whole run.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.answered: Counter[str] = Counter()
        self.rate_limited = 0
        self.rate_limit_every: int | None = None
        self._seen = 0

    def __call__(self, request: dict[str, Any]) -> Reply | ErrorReply:
        prompt = _prompt(request)
        with self._lock:
            self._seen += 1
            if self.rate_limit_every and self._seen % self.rate_limit_every == 0:
                self.rate_limited += 1
                return ErrorReply(status=429, headers={"Retry-After": "0"})
            self.answered[prompt] += 1
        return Reply(content=f"Answer to: {prompt}")


def _prompt(request: dict[str, Any]) -> str:
    content = request["messages"][-1]["content"]
    if isinstance(content, list):  # LlamaIndex may send text blocks
        return "".join(part.get("text", "") for part in content)
    return str(content)


@pytest.fixture
def answers(anyfast_server: AnyfastTestServer) -> ScriptedAnswers:
    responder = ScriptedAnswers()
    anyfast_server.responder = responder
    return responder


def rate_limit_burst(server: AnyfastTestServer, count: int) -> None:
    """The next ``count`` requests, whichever they are, get a 429 asking to retry at once."""
    server.enqueue(*[ErrorReply(status=429, headers={"Retry-After": "0"}) for _ in range(count)])


def sent_to(server: AnyfastTestServer, endpoint: str) -> list[Any]:
    return [r for r in server.requests if r.path.endswith(endpoint)]


def docs_recipes() -> types.ModuleType:
    """The imports, classes and functions of docs/scale.md's code blocks, as one module.

    The tests run the documented code itself, so the page cannot drift from what CI checks.
    The module is not in ``sys.modules``: Ray and Dask pickle its classes by value.
    """
    page = (Path(__file__).resolve().parents[2] / "docs" / "scale.md").read_text()
    module = types.ModuleType("scale_recipes")
    kept = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef)
    for block in re.findall(r"```python\n(.*?)```", page, re.DOTALL):
        tree = ast.parse(block)
        tree.body = [node for node in tree.body if isinstance(node, kept)]
        exec(compile(tree, "docs/scale.md", "exec"), module.__dict__)
    return module
