"""The chunk models' natively checked first members read as the lenient readings alone."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from anyfast_client import ChatCompletionChunk, _models


# The chunk models read through the lenient readings alone, as they did before the
# natively checked first members were added to their field types.
class _Delta(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str | None = None
    content: Annotated[str | None, BeforeValidator(_models._as_joined_text)] = None
    reasoning_content: Annotated[str | None, BeforeValidator(_models._as_joined_text)] = None


class _Choice(BaseModel):
    model_config = ConfigDict(extra="allow")
    index: Annotated[int, BeforeValidator(lambda v: 0 if v is None else v)] = 0
    delta: Annotated[_Delta, BeforeValidator(lambda v: {} if v is None else v)] = Field(
        default_factory=_Delta
    )
    finish_reason: Annotated[str | None, BeforeValidator(_models._none_if_empty)] = None


class _Chunk(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Annotated[str, BeforeValidator(_models._as_text)] = ""
    created: Annotated[int, BeforeValidator(_models._as_total)] = 0
    model: Annotated[str, BeforeValidator(_models._as_text)] = ""
    choices: Annotated[list[_Choice], BeforeValidator(lambda v: [] if v is None else v)] = Field(
        default_factory=list
    )


ODD_VALUES = [
    None,
    "",
    "stop",
    "7",
    "7.5",
    7,
    7.9,
    True,
    ["a", {"text": "b"}, {"image": 1}],
    {"text": "x"},
    [],
]


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize(
    "where",
    ["id", "created", "model", "choices", "index", "delta", "finish_reason", "content"],
)
def test_chunk_fields_read_as_the_lenient_readings_alone(where: str, value: object) -> None:
    choice: dict[str, Any] = {"index": 0, "delta": {"content": "x"}, "finish_reason": None}
    chunk: dict[str, Any] = {"id": "c", "created": 1, "model": "m", "choices": [choice]}
    if where in ("index", "delta", "finish_reason"):
        choice[where] = value
    elif where == "content":
        choice["delta"] = {"content": value}
    else:
        chunk[where] = value
    text = json.dumps(chunk)
    try:
        expected = _Chunk.model_validate_json(text).model_dump()
    except ValidationError:
        with pytest.raises(ValidationError):
            ChatCompletionChunk.model_validate_json(text)
        return
    got = ChatCompletionChunk.model_validate_json(text).model_dump(
        exclude={"object", "usage", "error"}
    )
    for wire_choice in got["choices"]:
        wire_choice["delta"] = {k: v for k, v in wire_choice["delta"].items() if k != "tool_calls"}
    assert got == expected
