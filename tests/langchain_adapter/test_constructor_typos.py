"""A constructor keyword one slip away from a setting is refused naming the setting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from anyfast_client.testing import AnyfastTestServer, Reply
from langchain_anyfast import ChatAnyfast


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("temprature", "temperature"),
        ("enable_thinkng", "enable_thinking"),
        ("max_token", "max_tokens"),
        ("presense_penalty", "presence_penalty"),
        ("stop_sequence", "stop_sequences"),
        ("api_ky", "api_key"),
    ],
)
def test_a_near_miss_is_refused_with_the_setting_it_misses(
    anyfast_server: AnyfastTestServer, typed: str, meant: str
) -> None:
    with pytest.raises(TypeError, match=f"'{typed}'.*did you mean '{meant}'\\?"):
        ChatAnyfast(base_url=anyfast_server.base_url, api_key="k", **{typed: 1})
    assert anyfast_server.requests == []


def test_enable_thinkng_never_reaches_the_wire_as_thinking_off(
    anyfast_server: AnyfastTestServer,
) -> None:
    # Before: the body carried "enable_thinking": false and "enable_thinkng": true.
    with pytest.raises(TypeError, match="did you mean 'enable_thinking'"):
        ChatAnyfast(base_url=anyfast_server.base_url, api_key="k", enable_thinkng=True)


def test_a_refused_typo_says_how_to_send_the_name_anyway() -> None:
    with pytest.raises(TypeError, match=r"extra_body=\{'temprature': \.\.\.\}"):
        ChatAnyfast(api_key="k", temprature=0.2)


def test_a_key_typo_is_never_offered_a_place_in_the_body() -> None:
    with pytest.raises(TypeError, match="did you mean 'api_key'") as refused:
        ChatAnyfast(api_ky="k")
    assert "extra_body" not in str(refused.value)


def test_a_call_keyword_and_a_constructor_keyword_get_the_same_suggestion(
    build_model: Callable[..., Any],
) -> None:
    model = build_model(ChatAnyfast)
    with pytest.raises(TypeError, match="did you mean 'temperature'") as at_call:
        model.invoke("hi", temprature=0.2)
    with pytest.raises(TypeError, match="did you mean 'temperature'") as at_build:
        ChatAnyfast(api_key="k", temprature=0.2)
    assert str(at_call.value).split(";")[1] == str(at_build.value).split(";")[1]


@pytest.mark.parametrize("name", ["vendor_flag", "top_k", "repetition_penalty"])
def test_a_new_name_still_goes_to_model_kwargs_with_a_warning_and_is_sent(
    anyfast_server: AnyfastTestServer, build_model: Callable[..., Any], name: str
) -> None:
    with pytest.warns(UserWarning, match=f"{name} was transferred to model_kwargs"):
        model = build_model(ChatAnyfast, **{name: 3})
    anyfast_server.enqueue(Reply(content="ok"))
    model.invoke("hi")
    assert anyfast_server.last_request.json[name] == 3
