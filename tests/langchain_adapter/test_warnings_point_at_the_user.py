"""Every AnyfastWarning points at the user's own line, whatever LangChain path made the call."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from anyfast_client import AnyfastWarning
from anyfast_client.testing import AnyfastTestServer, Reply, ScriptedToolCall

from .conftest import MakeModel

HERE = Path(__file__).name


class Answer(BaseModel):
    value: int


def forced_tool(model: Any) -> Any:
    return model.bind_tools([Answer], tool_choice="any", forced_tool_thinking="off")


CALLS: dict[str, Callable[[Any], Any]] = {
    "invoke": lambda m: forced_tool(m).invoke("What is 3?"),
    "stream": lambda m: list(forced_tool(m).stream("What is 3?")),
    "batch": lambda m: forced_tool(m).batch(["What is 3?"]),
    "budget_spent": lambda m: m.bind(max_tokens=3, tool_choice=None).invoke("Explain it all"),
}


@pytest.mark.parametrize("path", sorted(CALLS))
def test_warning_points_at_the_calling_line(make_model: MakeModel, path: str) -> None:
    model = make_model(enable_thinking=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CALLS[path](model)
    ours = [w for w in caught if issubclass(w.category, AnyfastWarning)]
    assert ours, f"{path}: no AnyfastWarning"
    assert [(Path(w.filename).name, w.category) for w in ours] == [(HERE, AnyfastWarning)] * len(
        ours
    )


def test_async_calls_warn_too(make_model: MakeModel) -> None:
    # langchain-core runs async generations in tasks of their own, so the user's line is
    # not on the stack to point at; the warning still comes, once.
    model = make_model(enable_thinking=True)
    with pytest.warns(AnyfastWarning, match="Thinking is turned off") as caught:
        asyncio.run(forced_tool(model).ainvoke("What is 3?"))
    assert len([w for w in caught if issubclass(w.category, AnyfastWarning)]) == 1


def test_structured_output_keeps_thinking_without_a_warning(
    make_model: MakeModel, anyfast_server: AnyfastTestServer
) -> None:
    anyfast_server.enqueue(Reply(tool_calls=[ScriptedToolCall("Answer", {"value": 3})]))
    model = make_model(enable_thinking=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AnyfastWarning)
        assert model.with_structured_output(Answer).invoke("What is 3?") == Answer(value=3)
