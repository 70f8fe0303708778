"""The same conversation written in LangChain and in LlamaIndex sends the same bytes.

Each row is one conversation and one set of settings, written once per framework. Both
adapters send it through the local server in every mode (sync, async, stream, async
stream); the recorded request bodies must be byte-identical, the warnings the same,
and the wire messages what the row says the conversation means.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from anyfast_client.testing import AnyfastTestServer, Reply
from langchain_anyfast import ChatAnyfast
from llama_index_anyfast import Anyfast

PNG = b"\x89PNG\r\n\x1a\n-not-really-an-image"
MP4 = b"\x00\x00\x00\x18ftypmp42-not-really-a-video"
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
MP4_URI = "data:video/mp4;base64," + base64.b64encode(MP4).decode()
WEATHER = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
USER, SYSTEM, ASSISTANT, TOOL = (
    MessageRole.USER,
    MessageRole.SYSTEM,
    MessageRole.ASSISTANT,
    MessageRole.TOOL,
)


def li(role: MessageRole, *blocks: Any, **extra: Any) -> ChatMessage:
    return ChatMessage(role=role, blocks=list(blocks), additional_kwargs=extra)


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


@dataclass
class Row:
    """One conversation: LangChain messages, LlamaIndex messages, the wire messages."""

    name: str
    langchain: list[BaseMessage]
    llama_index: list[ChatMessage]
    wire: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    call: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    scripted: bool = True
    """False: the simulation answers, which does what the thinking-kept request asks."""


TWO_CALLS = [
    {"id": "call_1", "name": "weather", "args": {"city": "Oslo"}},
    {"id": "call_2", "name": "weather", "args": {"city": "Rome"}},
]
WIRE_CALLS = [
    {
        "id": f"call_{n}",
        "type": "function",
        "function": {"name": "weather", "arguments": json.dumps({"city": city})},
    }
    for n, city in ((1, "Oslo"), (2, "Rome"))
]
SAMPLING = {
    "enable_thinking": True,
    "thinking_budget": 100,
    "temperature": 0.3,
    "top_p": 0.9,
    "max_tokens": 50,
    "frequency_penalty": 0.1,
    "presence_penalty": -0.1,
    "stop": "END",
}

# The same past turn with its reasoning, in each framework's words.
_REASONED_HISTORY = (
    [
        HumanMessage("2+2?"),
        AIMessage("4", additional_kwargs={"reasoning_content": "Add."}),
        HumanMessage("And 3+3?"),
    ],
    [
        ChatMessage(role=USER, content="2+2?"),
        li(ASSISTANT, ThinkingBlock(content="Add."), TextBlock(text="4")),
        ChatMessage(role=USER, content="And 3+3?"),
    ],
)

ROWS = [
    Row(
        "system and user text",
        [SystemMessage("Be brief."), HumanMessage("Hi")],
        [ChatMessage(role=SYSTEM, content="Be brief."), ChatMessage(role=USER, content="Hi")],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    ),
    Row(
        "text blocks",
        [
            SystemMessage([text("Be brief."), text("Be kind.")]),
            HumanMessage([text("A"), text("B")]),
        ],
        [
            li(SYSTEM, TextBlock(text="Be brief."), TextBlock(text="Be kind.")),
            li(USER, TextBlock(text="A"), TextBlock(text="B")),
        ],
        [
            {"role": "system", "content": "Be brief.\nBe kind."},
            {"role": "user", "content": [text("A"), text("B")]},
        ],
    ),
    Row(
        "image by URL and as a data URI",
        [
            HumanMessage(
                [
                    text("Same?"),
                    {"type": "image", "url": "https://example.com/cat.png"},
                    {
                        "type": "image",
                        "base64": base64.b64encode(PNG).decode(),
                        "mime_type": "image/png",
                    },
                ]
            )
        ],
        [
            li(
                USER,
                TextBlock(text="Same?"),
                ImageBlock(url="https://example.com/cat.png"),
                ImageBlock(image=PNG, image_mimetype="image/png"),
            )
        ],
        [
            {
                "role": "user",
                "content": [
                    text("Same?"),
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                    {"type": "image_url", "image_url": {"url": PNG_URI}},
                ],
            }
        ],
    ),
    Row(
        "video by URL with fps and as a data URI",
        [
            HumanMessage(
                [
                    {"type": "video", "url": "https://example.com/run.mp4", "extras": {"fps": 2}},
                    {
                        "type": "video",
                        "base64": base64.b64encode(MP4).decode(),
                        "mime_type": "video/mp4",
                    },
                ]
            )
        ],
        [
            li(
                USER,
                VideoBlock(url="https://example.com/run.mp4", fps=2),
                VideoBlock(video=MP4, video_mimetype="video/mp4"),
            )
        ],
        [
            {
                "role": "user",
                "content": [
                    {
                        "type": "video_url",
                        "video_url": {"url": "https://example.com/run.mp4", "fps": 2.0},
                    },
                    {"type": "video_url", "video_url": {"url": MP4_URI}},
                ],
            }
        ],
    ),
    Row(
        "a tool round trip with parallel calls",
        [
            HumanMessage("Weather in Oslo and Rome?"),
            AIMessage("", tool_calls=TWO_CALLS),
            ToolMessage("3C", tool_call_id="call_1"),
            ToolMessage("15C", tool_call_id="call_2"),
        ],
        [
            ChatMessage(role=USER, content="Weather in Oslo and Rome?"),
            li(
                ASSISTANT,
                *(
                    ToolCallBlock(tool_call_id=c["id"], tool_name=c["name"], tool_kwargs=c["args"])
                    for c in TWO_CALLS
                ),
            ),
            li(TOOL, TextBlock(text="3C"), tool_call_id="call_1"),
            li(TOOL, TextBlock(text="15C"), tool_call_id="call_2"),
        ],
        [
            {"role": "user", "content": "Weather in Oslo and Rome?"},
            {"role": "assistant", "tool_calls": WIRE_CALLS},
            {"role": "tool", "content": "3C", "tool_call_id": "call_1"},
            {"role": "tool", "content": "15C", "tool_call_id": "call_2"},
        ],
        call={"tools": [WEATHER], "tool_choice": "auto", "parallel_tool_calls": True},
        body={"tool_choice": "auto", "parallel_tool_calls": True},
    ),
    Row(
        "a tool call without an id, forced by name",
        [
            HumanMessage("Oslo?"),
            AIMessage("Looking.", tool_calls=[{"id": None, "name": "weather", "args": {}}]),
            ToolMessage("3C", tool_call_id=""),
        ],
        [
            ChatMessage(role=USER, content="Oslo?"),
            li(
                ASSISTANT,
                TextBlock(text="Looking."),
                ToolCallBlock(tool_name="weather", tool_kwargs={}),
            ),
            li(TOOL, TextBlock(text="3C")),
        ],
        [
            {"role": "user", "content": "Oslo?"},
            {
                "role": "assistant",
                "content": "Looking.",
                "tool_calls": [
                    {
                        "id": "call_0",
                        "type": "function",
                        "function": {"name": "weather", "arguments": "{}"},
                    },
                ],
            },
            {"role": "tool", "content": "3C", "tool_call_id": "call_0"},
        ],
        call={"tools": [WEATHER], "tool_choice": "weather"},
        body={"tool_choice": {"type": "function", "function": {"name": "weather"}}},
    ),
    Row(
        "reasoning in history, not sent back",
        *_REASONED_HISTORY,
        [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "And 3+3?"},
        ],
        settings={"enable_thinking": True},
    ),
    Row(
        "reasoning in history, sent back with preserve_thinking",
        *_REASONED_HISTORY,
        [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4", "reasoning_content": "Add."},
            {"role": "user", "content": "And 3+3?"},
        ],
        settings={"enable_thinking": True, "preserve_thinking": True},
        body={"preserve_thinking": True},
    ),
    Row(
        "every sampling setting on the model",
        [HumanMessage("Hi")],
        [ChatMessage(role=USER, content="Hi")],
        [{"role": "user", "content": "Hi"}],
        settings=SAMPLING,
        call={"seed": 7, "extra_body": {"top_k": 20}},
        body={"thinking_budget": 100, "max_completion_tokens": 50, "stop": ["END"], "top_k": 20},
    ),
    Row(
        "call keywords over model settings",
        [HumanMessage("Hi")],
        [ChatMessage(role=USER, content="Hi")],
        [{"role": "user", "content": "Hi"}],
        settings=SAMPLING,
        call={"max_tokens": 5, "temperature": 0, "stop": ["A", "B"], "enable_thinking": False},
        body={"max_completion_tokens": 5, "temperature": 0.0, "stop": ["A", "B"]},
    ),
    Row(
        "JSON mode while thinking",
        [HumanMessage("Name a colour.")],
        [ChatMessage(role=USER, content="Name a colour.")],
        [
            {"role": "system", "content": "Respond in JSON."},
            {"role": "user", "content": "Name a colour."},
        ],
        settings={"enable_thinking": True},
        call={"response_format": {"type": "json_object"}},
        body={"enable_thinking": False},
    ),
    Row(
        "JSON mode while thinking, answered as asked: the request that keeps thinking",
        [HumanMessage("Name a colour.")],
        [ChatMessage(role=USER, content="Name a colour.")],
        [
            {"role": "system", "content": "Answer with one JSON object and nothing else."},
            {"role": "user", "content": "Name a colour."},
        ],
        settings={"enable_thinking": True},
        call={"response_format": {"type": "json_object"}},
        body={"enable_thinking": True, "response_format": None, "tool_choice": None},
        scripted=False,
    ),
]

MODES = ("sync", "async", "stream", "astream")


async def send_langchain(model: ChatAnyfast, row: Row, mode: str) -> None:
    messages, kwargs = row.langchain, row.call
    if mode == "sync":
        model.invoke(messages, **kwargs)
    elif mode == "async":
        await model.ainvoke(messages, **kwargs)
    elif mode == "stream":
        list(model.stream(messages, **kwargs))
    else:
        [chunk async for chunk in model.astream(messages, **kwargs)]


async def send_llama_index(llm: Anyfast, row: Row, mode: str) -> None:
    messages, kwargs = row.llama_index, row.call
    if mode == "sync":
        llm.chat(messages, **kwargs)
    elif mode == "async":
        await llm.achat(messages, **kwargs)
    elif mode == "stream":
        list(llm.stream_chat(messages, **kwargs))
    else:
        [chunk async for chunk in await llm.astream_chat(messages, **kwargs)]


async def capture(
    server: AnyfastTestServer, send: Callable[[], Any], *, scripted: bool = True
) -> tuple[bytes, list[str]]:
    """The body the server received last and the warnings the call gave."""
    if scripted:
        server.enqueue(Reply(content="ok"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await send()
    return server.last_request.body, [str(w.message) for w in caught]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_both_adapters_send_the_same_bytes(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any], row: Row, mode: str
) -> None:
    chat = build_model(ChatAnyfast, **row.settings)
    llm = build_model(Anyfast, **row.settings)

    lc_body, lc_warnings = await capture(
        anyfast_server, lambda: send_langchain(chat, row, mode), scripted=row.scripted
    )
    li_body, li_warnings = await capture(
        anyfast_server, lambda: send_llama_index(llm, row, mode), scripted=row.scripted
    )

    assert lc_body == li_body
    assert lc_warnings == li_warnings
    sent = json.loads(lc_body)
    assert sent["messages"] == row.wire
    assert {k: sent.get(k) for k in row.body} == row.body
    assert sent.get("stream", False) is mode.endswith("stream")


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_call_keyword_is_the_same_error_in_both(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any], mode: str
) -> None:
    chat = build_model(ChatAnyfast)
    llm = build_model(Anyfast)
    row = Row(
        "typo",
        [HumanMessage("Hi")],
        [ChatMessage(role=USER, content="Hi")],
        [],
        call={"temprature": 0.2},
    )
    expected = (
        r"call got an unknown keyword 'temprature'; did you mean 'temperature'\? "
        r".*extra_body=\{'temprature': \.\.\.\}"
    )
    with pytest.raises(TypeError, match=expected):
        await send_langchain(chat, row, mode)
    with pytest.raises(TypeError, match=expected):
        await send_llama_index(llm, row, mode)
    assert anyfast_server.requests == []


@pytest.mark.parametrize(
    ("langchain_block", "llama_index_block", "expected"),
    [
        (
            {"type": "image_url", "image_url": {"url": PNG_URI, "detail": "medium"}},
            ImageBlock(url=PNG_URI, detail="medium"),
            r"An image's detail must be one of \('auto', 'low', 'high'\), not 'medium'",
        ),
        (
            {"type": "video_url", "video_url": {"url": MP4_URI, "fps": -1}},
            VideoBlock(url=MP4_URI, fps=-1),
            r"A video's fps must be a number > 0, not -1",
        ),
    ],
)
async def test_a_bad_media_setting_is_the_same_error_in_both(
    anyfast_server: AnyfastTestServer,
    build_model: Callable[..., Any],
    langchain_block: dict[str, Any],
    llama_index_block: Any,
    expected: str,
) -> None:
    row = Row(
        "bad media",
        [HumanMessage(content=[langchain_block])],
        [li(USER, llama_index_block)],
        [],
    )
    with pytest.raises(ValueError, match=expected):
        await send_langchain(build_model(ChatAnyfast), row, "sync")
    with pytest.raises(ValueError, match=expected):
        await send_llama_index(build_model(Anyfast), row, "sync")
    assert anyfast_server.requests == []


async def test_an_image_block_without_a_url_is_named(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any]
) -> None:
    row = Row("no url", [HumanMessage(content=[{"type": "image_url", "image_url": {}}])], [], [])
    with pytest.raises(ValueError, match="The image part needs a URL or a data URL, not None"):
        await send_langchain(build_model(ChatAnyfast), row, "sync")
    assert anyfast_server.requests == []


async def test_framework_control_keywords_are_never_sent(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any]
) -> None:
    chat = build_model(ChatAnyfast)
    llm = build_model(Anyfast)
    anyfast_server.enqueue(Reply(content="a"), Reply(content="b"))
    list(chat.stream("Hi", stream_usage=False))
    lc_body = anyfast_server.last_request.json
    llm.chat(
        [ChatMessage(role=USER, content="Hi")], tool_required=False, allow_parallel_tool_calls=True
    )
    li_body = anyfast_server.last_request.json
    assert "stream_usage" not in lc_body and "stream_options" not in lc_body
    assert li_body == {
        "model": "qwen3.6-flash",
        "messages": [{"role": "user", "content": "Hi"}],
        "enable_thinking": False,
    }


# llama-index's workflow package inspects its own classes through pydantic's old API.
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")
async def test_a_llama_index_agent_runs_a_tool_round_trip(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any]
) -> None:
    # FunctionAgent passes its own keywords (allow_parallel_tool_calls, tool_required...)
    # through chat: they must steer the call and never be sent or refused.
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.tools import FunctionTool

    from anyfast_client.testing import ScriptedToolCall

    def weather(city: str) -> str:
        """The weather in a city."""
        return f"3C in {city}"

    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(weather)], llm=build_model(Anyfast), verbose=False
    )
    anyfast_server.enqueue(
        Reply(tool_calls=[ScriptedToolCall("weather", {"city": "Oslo"}, id="call_7")]),
        Reply(content="It is 3C in Oslo."),
    )
    answer = await agent.run(user_msg="Weather in Oslo?")
    assert str(answer) == "It is 3C in Oslo."
    first, second = (r.json for r in anyfast_server.requests)
    assert first["tools"][0]["function"]["name"] == "weather"
    assert "allow_parallel_tool_calls" not in first and "tool_required" not in first
    assert second["messages"][-1] == {
        "role": "tool",
        "content": "3C in Oslo",
        "tool_call_id": "call_7",
    }
