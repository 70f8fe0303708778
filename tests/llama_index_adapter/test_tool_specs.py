"""Tool specs are built once per tool, and rebuilt when the tool's metadata changes."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from llama_index.core.tools import FunctionTool, ToolMetadata

from llama_index_anyfast import Anyfast, _tool_specs
from llama_index_anyfast._tool_specs import tool_spec


def get_weather(city: str, days: int = 3) -> str:
    """Weather for a city."""
    return f"{city}: sunny for {days} days"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the tools whose spec was rendered from their schema."""
    rendered: list[str] = []
    original = ToolMetadata.to_openai_tool

    def counting(self: ToolMetadata, skip_length_check: bool = False) -> dict[str, Any]:
        rendered.append(self.name or "")
        return original(self, skip_length_check=skip_length_check)

    monkeypatch.setattr(ToolMetadata, "to_openai_tool", counting)
    return rendered


def test_the_spec_is_the_one_llama_index_builds(builds: list[str]) -> None:
    tool = FunctionTool.from_defaults(fn=get_weather)
    expected = tool.metadata.to_openai_tool(skip_length_check=True)
    assert tool_spec(tool) == expected
    assert tool_spec(tool) == expected
    assert builds == ["get_weather", "get_weather"]  # the direct call, then one for the cache


def test_chat_with_tools_renders_each_schema_once(builds: list[str]) -> None:
    llm = Anyfast(api_key="sk-test")
    tools = [FunctionTool.from_defaults(fn=get_weather, name=f"tool_{i}") for i in range(3)]
    first = llm._prepare_chat_with_tools(tools, user_msg="Weather?")
    second = llm._prepare_chat_with_tools(tools, user_msg="And tomorrow?")
    assert first["tools"] == second["tools"]
    assert [spec["function"]["name"] for spec in second["tools"]] == ["tool_0", "tool_1", "tool_2"]
    assert builds == ["tool_0", "tool_1", "tool_2"]


def test_edited_or_replaced_metadata_gets_a_new_spec(builds: list[str]) -> None:
    tool = FunctionTool.from_defaults(fn=get_weather)
    tool_spec(tool)
    tool.metadata.description = "Forecast."
    assert tool_spec(tool)["function"]["description"] == "Forecast."
    tool._metadata = ToolMetadata(name="forecast", description="Days ahead.")
    assert tool_spec(tool)["function"]["name"] == "forecast"
    assert builds == ["get_weather", "get_weather", "forecast"]


def test_changing_a_returned_spec_leaves_the_next_one_alone() -> None:
    tool = FunctionTool.from_defaults(fn=get_weather)
    spec = tool_spec(tool)
    spec["function"]["parameters"]["properties"].clear()
    assert "city" in tool_spec(tool)["function"]["parameters"]["properties"]


def test_the_cache_does_not_keep_tools_alive() -> None:
    tool = FunctionTool.from_defaults(fn=get_weather)
    tool_spec(tool)
    assert tool in _tool_specs._specs
    alive = weakref.ref(tool)
    del tool
    gc.collect()
    # Only this tool is followed: tools of earlier tests may be collected at the same time.
    assert alive() is None
