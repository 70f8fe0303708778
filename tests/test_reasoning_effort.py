"""``reasoning_effort``, the name ChatOpenAI users bring, as a thinking control in both classes.

It stands for ``enable_thinking`` and ``thinking_budget`` where it is given (the model or a
call), loses to either of them given beside it, and never goes on the wire.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from anyfast_client.testing import AnyfastTestServer
from langchain_anyfast import ChatAnyfast
from llama_index_anyfast import Anyfast

OFF = {"enable_thinking": False}


def thinking(budget: int | None = None) -> dict[str, Any]:
    return {"enable_thinking": True} | ({"thinking_budget": budget} if budget else {})


def sent_by_both(
    server: AnyfastTestServer,
    closing: Callable[..., Any],
    settings: dict[str, Any],
    call: dict[str, Any],
) -> list[dict[str, Any]]:
    """The thinking part of the body each class sends, with warnings as errors."""
    chat = closing(ChatAnyfast, base_url=server.base_url, api_key=server.api_key, **settings)
    llm = closing(Anyfast, api_base=server.base_url, api_key=server.api_key, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chat.invoke("Hi", **call)
        llm.chat([ChatMessage(role=MessageRole.USER, content="Hi")], **call)
    bodies = [request.json for request in server.requests]
    assert all("reasoning_effort" not in body for body in bodies)
    names = ("enable_thinking", "thinking_budget")
    return [{name: body[name] for name in names if name in body} for body in bodies]


@pytest.mark.parametrize(
    ("settings", "call", "sent"),
    [
        ({"reasoning_effort": "none"}, {}, OFF),
        ({"reasoning_effort": "minimal"}, {}, OFF),
        ({"reasoning_effort": "low"}, {}, thinking(1024)),
        ({"reasoning_effort": "medium"}, {}, thinking(8192)),
        ({"reasoning_effort": "high"}, {}, thinking()),
        ({"reasoning_effort": "xhigh"}, {}, thinking()),
        # enable_thinking or thinking_budget given beside it win.
        ({"reasoning_effort": "high", "thinking_budget": 300}, {}, thinking(300)),
        ({"reasoning_effort": "low", "enable_thinking": False}, {}, OFF),
        ({"reasoning_effort": "none", "enable_thinking": True}, {}, thinking()),
        # A call's effort wins over the model's settings, as any call keyword does.
        ({"reasoning_effort": "low"}, {"reasoning_effort": "high"}, thinking()),
        ({"enable_thinking": True, "thinking_budget": 50}, {"reasoning_effort": "none"}, OFF),
        ({}, {"reasoning_effort": "medium"}, thinking(8192)),
        # ...and a call's own thinking settings win over the model's effort.
        ({"reasoning_effort": "high"}, {"thinking_budget": 64}, thinking(64)),
        ({"reasoning_effort": "medium"}, {"enable_thinking": False}, OFF),
    ],
)
def test_both_classes_send_the_same_thinking_for_an_effort(
    anyfast_server: AnyfastTestServer,
    closing: Callable[..., Any],
    settings: dict[str, Any],
    call: dict[str, Any],
    sent: dict[str, Any],
) -> None:
    assert sent_by_both(anyfast_server, closing, settings, call) == [sent, sent]


def test_an_effort_in_the_extra_body_settings_is_read_too(
    anyfast_server: AnyfastTestServer, closing: Callable[..., Any]
) -> None:
    chat = {"extra_body": {"reasoning_effort": "low"}}
    llm = {"additional_kwargs": {"reasoning_effort": "low"}}
    bodies = []
    for cls, url, settings in ((ChatAnyfast, "base_url", chat), (Anyfast, "api_base", llm)):
        model = closing(
            cls, **{url: anyfast_server.base_url}, api_key=anyfast_server.api_key, **settings
        )
        if cls is ChatAnyfast:
            model.invoke("Hi")
        else:
            model.chat([ChatMessage(role=MessageRole.USER, content="Hi")])
        bodies.append(anyfast_server.last_request.json)
    for body in bodies:
        assert "reasoning_effort" not in body
        assert (body["enable_thinking"], body["thinking_budget"]) == (True, 1024)


@pytest.mark.parametrize("cls", [ChatAnyfast, Anyfast])
@pytest.mark.parametrize("value", ["max", "LOW", "", 3])
def test_an_unknown_effort_is_refused_naming_the_values(
    cls: type[Any], value: object, anyfast_server: AnyfastTestServer
) -> None:
    with pytest.raises(ValueError, match=r"reasoning_effort=.* must be one of 'none', 'minimal'"):
        cls(api_key="k", reasoning_effort=value)


def test_an_unknown_effort_in_a_call_is_refused_before_any_request(
    anyfast_server: AnyfastTestServer, closing: Callable[..., Any]
) -> None:
    chat = closing(ChatAnyfast, base_url=anyfast_server.base_url, api_key="k")
    llm = closing(Anyfast, api_base=anyfast_server.base_url, api_key="k")
    with pytest.raises(ValueError, match="reasoning_effort='max'"):
        chat.invoke("Hi", reasoning_effort="max")
    with pytest.raises(ValueError, match="reasoning_effort='max'"):
        llm.chat([ChatMessage(role=MessageRole.USER, content="Hi")], reasoning_effort="max")
    assert anyfast_server.requests == []


def test_the_effort_is_a_field_of_both_classes() -> None:
    assert ChatAnyfast(api_key="k", reasoning_effort="low").reasoning_effort == "low"
    assert Anyfast(api_key="k", reasoning_effort="low").reasoning_effort == "low"
