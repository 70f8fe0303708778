"""Constructor builds exactly what validation builds: without it once its first call proves
that changes nothing, with it when anything it relies on fails (both sides of each check)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from anyfast_client import _construct
from anyfast_client._construct import Constructor
from anyfast_client._fast import FAST_PATHS_VARIABLE, stood_down, taken_up

from ._support import same

_MESSAGE = AIMessageChunk(content="Hi", response_metadata={"model_provider": "anyfast"})

# The framework classes the adapters build with a Constructor, with the kind of values they
# give; and the LlamaIndex blocks they build validated, which a Constructor builds all the same.
FRAMEWORK = [
    (AIMessageChunk, {"content": "x", "response_metadata": {"model_provider": "anyfast"}}),
    (
        AIMessageChunk,
        {
            "content": "",
            "additional_kwargs": {"reasoning_content": "Hm"},
            "response_metadata": {"model_provider": "anyfast"},
        },
    ),
    (ChatGenerationChunk, {"message": _MESSAGE, "text": _MESSAGE.text}),
    (TextBlock, {"text": "Hello"}),
    (ThinkingBlock, {"content": "Hm", "num_tokens": 3}),
    (ToolCallBlock, {"tool_call_id": "c", "tool_name": "f", "tool_kwargs": {"a": 1}}),
    (ToolCallBlock, {"tool_call_id": None, "tool_name": "f", "tool_kwargs": '{"a"'}),
    (
        ChatMessage,
        {"role": MessageRole.ASSISTANT, "blocks": [TextBlock(text="a")], "additional_kwargs": {}},
    ),
    (ChatResponse, {"message": ChatMessage(), "delta": "x", "raw": None, "additional_kwargs": {}}),
]


@pytest.mark.parametrize(("model", "fields"), FRAMEWORK)
def test_framework_classes_are_built_without_validation_as_validation_builds_them(
    model: type[BaseModel], fields: dict[str, Any]
) -> None:
    constructor = Constructor(model)
    build = constructor.taking(*fields)
    assert constructor.on_fast_path(*fields) is None  # not settled before its first call
    same(build(**fields), model(**fields))
    assert constructor.on_fast_path(*fields) is True
    same(build(**fields), model(**fields))
    same(constructor(**fields), model(**fields))


def test_builders_take_exactly_their_fields() -> None:
    build = Constructor(TextBlock).taking("text")
    build(text="a")
    with pytest.raises(TypeError):
        build(text="a", block_type="text")
    with pytest.raises(TypeError):
        build()


class _Shadowing(BaseModel):
    instance: int
    model: str = "m"
    build: str = "b"
    tags: dict[str, str] = Field(default_factory=dict)


def test_builders_handle_fields_named_like_their_own_names() -> None:
    constructor = Constructor(_Shadowing)
    for _ in range(2):  # the first call settles, the second builds without validation
        built = constructor.taking("instance", "model", "build")(instance=3, model="x", build="y")
        same(built, _Shadowing(instance=3, model="x", build="y"))
    assert constructor.on_fast_path("instance", "model", "build") is True


def test_each_instance_gets_its_own_defaults() -> None:
    build = Constructor(AIMessageChunk).taking("content")
    first, second, third = build(content="a"), build(content="b"), build(content="c")
    second.tool_calls.append({"name": "f", "args": {}, "id": None, "type": "tool_call"})
    assert first.tool_calls == third.tool_calls == []


def test_a_class_that_proves_out_is_taken_up_and_not_stood_down() -> None:
    class Plain(BaseModel):
        name: str = "a"

    build = Constructor(Plain).taking("name")
    same(build(name="b"), Plain(name="b"))
    assert _label(Plain, "name") in taken_up()
    assert _label(Plain, "name") not in stood_down()


class _Private(BaseModel):
    name: str = "a"
    _secret: str = PrivateAttr(default="hidden")


class _PostInit(BaseModel):
    name: str = "a"

    def model_post_init(self, context: Any, /) -> None:
        self.name = self.name.upper()


class _Normalising(BaseModel):
    name: str = "a"

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class _Converting(BaseModel):
    role: MessageRole = MessageRole.USER


class _MutableDefault(BaseModel):
    tags: list[str] = ["a"]  # pydantic copies it per instance


class _FactoryOfData(BaseModel):
    name: str = "a"
    label: str = Field(default_factory=lambda data: data["name"] + "!")


class _Required(BaseModel):
    name: str
    size: int


class _Ignoring(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = "a"


# Each thing a builder relies on, broken: (model, the call's fields, the reason given).
BROKEN = [
    (_Private, {"name": "b"}, "private attributes"),
    (_PostInit, {"name": "b"}, "values"),
    (_Normalising, {"name": " b "}, "values"),
    (_Converting, {"role": "assistant"}, "value types"),  # validation makes it a MessageRole
    (_MutableDefault, {}, "mutable default"),
    (_FactoryOfData, {"name": "b"}, "the check failed"),
]


@pytest.mark.parametrize(("model", "fields", "reason"), BROKEN)
def test_a_builder_whose_check_fails_validates_and_says_why_once(
    model: type[BaseModel], fields: dict[str, Any], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    constructor = Constructor(model)
    build = constructor.taking(*fields)
    with caplog.at_level(logging.DEBUG, logger="anyfast_client"):
        for _ in range(3):
            same(build(**fields), model(**fields))
    assert constructor.on_fast_path(*fields) is False
    label = _label(model, *fields)
    assert reason in stood_down()[label]
    assert label not in taken_up()
    logged = [record for record in caplog.records if label in record.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.DEBUG


def test_the_same_values_on_a_class_that_proves_out_go_fast() -> None:
    # The other side of _Normalising: a value the validator keeps as it is.
    constructor = Constructor(_Normalising)
    same(constructor.taking("name")(name="b"), _Normalising(name="b"))
    assert constructor.on_fast_path("name") is True


def test_names_that_are_not_fields_or_not_parameters_are_validated() -> None:
    built = Constructor(_Ignoring).taking("no_such_field")(no_such_field=1)
    same(built, _Ignoring(no_such_field=1))  # type: ignore[call-arg]
    assert "not fields" in stood_down()["_Ignoring(no_such_field)"]
    built = Constructor(TextBlock).taking("text", "_odd")(text="a", _odd=1)
    same(built, TextBlock(text="a", _odd=1))
    assert "keyword parameters" in stood_down()["TextBlock(text, _odd)"]


def test_a_required_field_left_out_is_refused_as_validation_refuses_it() -> None:
    build = Constructor(_Required).taking("name")
    with pytest.raises(ValidationError):
        build(name="a")
    with pytest.raises(ValidationError):
        build(name="a")  # still unsettled: the values were not ones to prove anything with


def test_values_validation_refuses_leave_the_builder_to_its_next_call() -> None:
    class Sized(BaseModel):
        size: int = 0

    constructor = Constructor(Sized)
    build = constructor.taking("size")
    with pytest.raises(ValidationError):
        build(size="many")
    assert constructor.on_fast_path("size") is None
    same(build(size=3), Sized(size=3))
    assert constructor.on_fast_path("size") is True


def test_pydantic_slots_that_moved_send_builders_to_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Slotted(BaseModel):
        name: str = "a"

    monkeypatch.setitem(_construct._SLOTS, "_extra", "__pydantic_extras_renamed__")
    _construct.slot_setters.cache_clear()  # looked up again, as in a new process
    try:
        constructor = Constructor(Slotted)
        same(constructor.taking("name")(name="b"), Slotted(name="b"))
    finally:
        _construct.slot_setters.cache_clear()
    assert constructor.on_fast_path("name") is False
    assert "slots are not where expected" in stood_down()[_label(Slotted, "name")]


def test_the_switch_sends_every_new_builder_to_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    class Switched(BaseModel):
        name: str = "a"

    monkeypatch.setenv(FAST_PATHS_VARIABLE, "0")
    constructor = Constructor(Switched)
    same(constructor.taking("name")(name="b"), Switched(name="b"))
    assert constructor.on_fast_path("name") is False
    assert stood_down()[_label(Switched, "name")] == f"{FAST_PATHS_VARIABLE} is set"


def test_importing_the_core_reads_nothing_of_pydantic_models() -> None:
    # A builder handed out (as the adapters take theirs at import) has looked at nothing.
    class Untouched(BaseModel):
        name: str = "a"

    constructor = Constructor(Untouched)
    constructor.taking("name")
    assert constructor.on_fast_path("name") is None
    assert _label(Untouched, "name") not in {*stood_down(), *taken_up()}


def _label(model: type[BaseModel], *names: str) -> str:
    """The name a builder is recorded by (see anyfast_client._fast)."""
    return f"{model.__qualname__}({', '.join(names)})"


# --------------------------------------------------------------------------- str_maker


class _Accessor(str):
    """A framework's ``str`` subclass that holds nothing else, as LangChain's text is."""

    __slots__ = ()


class _WithState(str):
    """One whose instances carry a ``__dict__``: what ``__new__`` may set would be lost."""


class _Upper(str):
    def __new__(cls, value: str) -> _Upper:
        return str.__new__(cls, value.upper())


def test_str_maker_makes_the_framework_type_it_proved() -> None:
    make = _construct.str_maker(_Accessor("hi"), "hi")
    assert make is not None
    made = make("there")
    assert made == "there" and type(made) is _Accessor
    assert "_Accessor(text)" in taken_up()


@pytest.mark.parametrize(
    ("made", "reason"),
    [
        (_WithState("hi"), "differs"),  # instances with a __dict__ are never made so
        (_Upper("hi"), "differs"),  # its own __new__ does more than str.__new__
    ],
)
def test_str_maker_refuses_what_it_cannot_make_alike(made: str, reason: str) -> None:
    assert _construct.str_maker(made, "hi") is None
    assert reason in stood_down()[f"{type(made).__name__}(text)"]


def test_str_maker_stands_down_with_the_switch_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAST_PATHS_VARIABLE, "0")
    assert _construct.str_maker(_Accessor("hi"), "hi") is None
    assert stood_down()["_Accessor(text)"] == f"{FAST_PATHS_VARIABLE} is set"
