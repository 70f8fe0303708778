"""Constructor builds exactly what model_construct builds, or leaves the class to it."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from pydantic import BaseModel, Field, PrivateAttr

from anyfast_client._construct import Constructor

from ._support import same


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (AIMessageChunk, {"content": "x", "response_metadata": {"model_provider": "anyfast"}}),
        (TextBlock, {"text": "Hello"}),
        (ThinkingBlock, {"content": "Hm", "num_tokens": 3}),
        (ToolCallBlock, {"tool_call_id": "c", "tool_name": "f", "tool_kwargs": {"a": 1}}),
        (ChatMessage, {"role": "assistant", "blocks": [], "additional_kwargs": {}}),
        (ChatResponse, {"message": ChatMessage(), "delta": "x", "raw": None}),
    ],
)
def test_constructor_equals_model_construct(model: type[BaseModel], fields: dict[str, Any]) -> None:
    same(Constructor(model)(**fields), model.model_construct(**fields))
    same(Constructor(model).taking(*fields)(**fields), model.model_construct(**fields))


def test_constructor_builders_take_exactly_their_fields() -> None:
    build = Constructor(TextBlock).taking("text")
    with pytest.raises(TypeError):
        build(text="a", block_type="text")
    with pytest.raises(TypeError):
        build()
    # Names that are not plain fields go through model_construct, which keeps them out.
    odd = Constructor(TextBlock).taking("no_such_field")(no_such_field=1)
    same(odd, TextBlock.model_construct(no_such_field=1))


class _Shadowing(BaseModel):
    instance: int
    model: str = "m"
    tags: dict[str, str] = Field(default_factory=dict)


def test_constructor_builders_handle_fields_named_like_their_own_locals() -> None:
    built = Constructor(_Shadowing).taking("instance", "model")(instance=3, model="x")
    same(built, _Shadowing.model_construct(instance=3, model="x"))


def test_constructor_gives_each_instance_its_own_defaults() -> None:
    build = Constructor(AIMessageChunk)
    first, second = build(content="a"), build(content="b")
    first.tool_calls.append({"name": "f", "args": {}, "id": None, "type": "tool_call"})
    assert second.tool_calls == []


class _Private(BaseModel):
    name: str = "a"
    _secret: str = PrivateAttr(default="hidden")


class _MutableDefault(BaseModel):
    tags: list[str] = ["a"]  # pydantic copies it per instance
    other: list[str] = Field(default_factory=list)


@pytest.mark.parametrize("model", [_Private, _MutableDefault])
def test_constructor_leaves_what_it_cannot_mirror_to_pydantic(model: type[BaseModel]) -> None:
    built = Constructor(model)()
    same(built, model.model_construct())
    if isinstance(built, _MutableDefault):
        built.tags.append("b")
        assert _MutableDefault.model_construct().tags == ["a"]
