"""End-to-end tests replayed from ``cassettes/test_llama_index_recorded/``.

Re-record against the local server with ``pytest --record-mode=rewrite`` on this module, or
against the live API by also setting ``ANYFAST_API_KEY``. The assertions hold for any
faithful answer, not only the local server's.
"""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llama_index_anyfast import Anyfast

pytestmark = pytest.mark.vcr


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny in {city}"


def test_chat_with_thinking(recorded_llm: Anyfast) -> None:
    message = ChatMessage(role="user", content="In one sentence: why is the sky blue?")
    response = recorded_llm.chat([message], enable_thinking=True, max_tokens=2000)
    thinking, text = response.message.blocks[:2]
    assert isinstance(thinking, ThinkingBlock) and thinking.content
    assert isinstance(text, TextBlock) and text.text
    assert response.additional_kwargs["total_tokens"] > 0


async def test_stream_with_thinking(recorded_llm: Anyfast) -> None:
    message = ChatMessage(role="user", content="Name three primary colours, briefly.")
    stream = await recorded_llm.astream_chat([message], enable_thinking=True, max_tokens=2000)
    responses = [r async for r in stream]
    assert any(r.additional_kwargs.get("thinking_delta") for r in responses)
    answer = "".join(r.delta or "" for r in responses)
    assert answer and responses[-1].message.content == answer
    assert responses[-1].additional_kwargs["completion_tokens"] > 0


def test_chat_with_tools(recorded_llm: Anyfast) -> None:
    tool = FunctionTool.from_defaults(fn=get_weather)
    response = recorded_llm.chat_with_tools([tool], user_msg="Use get_weather for Paris.")
    calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert [c.tool_name for c in calls] == ["get_weather"]
    (selection,) = recorded_llm.get_tool_calls_from_response(response)
    assert isinstance(selection.tool_kwargs.get("city"), str)
