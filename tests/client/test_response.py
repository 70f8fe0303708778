"""The shared response helpers and the accumulator's rules, table-tested."""

from __future__ import annotations

import json
from typing import Any

import pytest

from anyfast_client import (
    AnyfastError,
    AnyfastWarning,
    ChatCompletion,
    ChatCompletionChunk,
    Usage,
)
from anyfast_client._response import (
    modality_counts,
    parse_tool_arguments,
    primary_choice,
    require_choices,
    usage_counts,
    warn_if_budget_spent_in,
)
from anyfast_client._stream import StreamAccumulator


def _completion(*choices: tuple[int, str], **extra: Any) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c1",
            "choices": [
                {"index": i, "message": {"content": text}, "finish_reason": "stop"}
                for i, text in choices
            ],
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("choices", "answer"),
    [
        ([(0, "A")], "A"),
        ([(1, "B"), (0, "A")], "A"),
        ([(2, "C"), (1, "B")], "B"),
    ],
)
def test_the_answering_choice_is_matched_by_index(
    choices: list[tuple[int, str]], answer: str
) -> None:
    assert primary_choice(_completion(*choices)).message.content == answer


def test_no_choices_is_a_clear_error() -> None:
    with pytest.raises(AnyfastError, match="no choices") as caught:
        require_choices(_completion(model="qwen3.6-flash"))
    assert "qwen3.6-flash" in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "args", "error"),
    [
        ('{"city": "Paris"}', {"city": "Paris"}, None),
        ("", {}, None),
        ("  ", {}, None),
        ('["Paris"]', None, "not an array"),
        ("42", None, "not a number"),
        (json.dumps('{"city": "Paris"}'), None, "not a string"),
        ('{"city": ', None, "not valid JSON"),
        ('{"n": ' + "1" * 5000 + "}", None, "not valid JSON"),
        ('{"n": ' + "[" * 100_000 + "]" * 100_000 + "}", None, "not valid JSON"),
    ],
)
def test_tool_arguments_never_raise(
    arguments: str, args: dict[str, Any] | None, error: str | None
) -> None:
    parsed = parse_tool_arguments(arguments)
    assert parsed.args == args
    assert (parsed.error is None) if error is None else (error in (parsed.error or ""))


def test_usage_counts_by_name_and_by_modality() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 10.0,
            "completion_tokens": "4",
            "total_tokens": None,
            "prompt_tokens_details": {"cached_tokens": 3, "text_tokens": 6, "image_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 2.0},
            "cost": 0.01,
        }
    )
    assert usage_counts(usage) == {
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "total_tokens": 14,
        "cached_tokens": 3,
        "text_tokens": 6,
        "image_tokens": 4,
        "reasoning_tokens": 2,
    }
    assert modality_counts(usage) == {"text": 6, "image": 4}
    assert usage_counts(None) == {}


@pytest.mark.parametrize(
    ("message", "enable_thinking", "warns"),
    [
        ({"content": "", "reasoning_content": "hmm"}, False, True),
        ({"content": ""}, True, True),
        ({"content": ""}, False, False),
        ({"content": "ok", "reasoning_content": "hmm"}, True, False),
    ],
)
def test_budget_warning_reads_the_completion(
    message: dict[str, Any], enable_thinking: bool, warns: bool
) -> None:
    completion = ChatCompletion.model_validate(
        {"choices": [{"index": 0, "message": message, "finish_reason": "length"}]}
    )
    if warns:
        with pytest.warns(AnyfastWarning, match="went to thinking"):
            warn_if_budget_spent_in(completion, enable_thinking=enable_thinking)
    else:
        warn_if_budget_spent_in(completion, enable_thinking=enable_thinking)


def _merged(*tool_deltas: dict[str, Any]) -> list[tuple[str, str, str]]:
    accumulator = StreamAccumulator()
    for delta in tool_deltas:
        chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [delta]}}]}
        accumulator.add(ChatCompletionChunk.model_validate(chunk))
    calls = accumulator.result().choices[0].message.tool_calls or []
    return [(c.id, c.function.name, c.function.arguments) for c in calls]


def _piece(name: str | None = None, arguments: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"function": {"name": name, "arguments": arguments}, **extra}


@pytest.mark.parametrize(
    ("deltas", "calls"),
    [
        pytest.param(
            [_piece("f", '{"a": 1}', id="x"), _piece("g", "{}", id="y")],
            [("x", "f", '{"a": 1}'), ("y", "g", "{}")],
            id="no index, new id",
        ),
        pytest.param(
            [_piece("f", '{"a":', id="x"), _piece(None, " 1}"), _piece("g", "{}")],
            [("x", "f", '{"a": 1}'), ("", "g", "{}")],
            id="no index, no id, new name after arguments",
        ),
        pytest.param(
            [_piece("f", "{}", id="x", index=0), _piece("g", "{}", id="y", index=0)],
            [("x", "f", "{}"), ("y", "g", "{}")],
            id="index 0 reused with a new id",
        ),
        pytest.param(
            [_piece("get_", None, id="x", index=0), _piece("time", None, index=0)],
            [("x", "get_time", "")],
            id="name in pieces",
        ),
        pytest.param(
            [_piece("f", '{"a":', id="x", index=0), _piece("f", " 1}", id="x", index=0)],
            [("x", "f", '{"a": 1}')],
            id="id and name repeated",
        ),
        pytest.param(
            [_piece(None, '{"a": 1}', id="x", index=0), _piece(None, "", id="other", index=0)],
            [("x", "", '{"a": 1}')],
            id="a stray new id without a name continues the call",
        ),
    ],
)
def test_tool_call_deltas_become_separate_calls_when_they_start_one(
    deltas: list[dict[str, Any]], calls: list[tuple[str, str, str]]
) -> None:
    assert _merged(*deltas) == calls


def test_usage_is_the_last_one_sent_never_a_sum() -> None:
    accumulator = StreamAccumulator()
    for total in (3, 7, None):
        usage = None if total is None else {"prompt_tokens": 1, "total_tokens": total}
        accumulator.add(ChatCompletionChunk.model_validate({"choices": [], "usage": usage}))
    assert accumulator.usage is not None and accumulator.usage.total_tokens == 7


def test_a_blank_finish_reason_does_not_finish_a_choice() -> None:
    accumulator = StreamAccumulator()
    accumulator.add(
        ChatCompletionChunk.model_validate(
            {"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": ""}]}
        )
    )
    assert not accumulator.finished
