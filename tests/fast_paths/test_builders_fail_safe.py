"""Which framework classes stream on a fast path, and what happens when one cannot.

Each run streams from the local server in a process of its own (``stream_child``):
with today's versions every class the adapters build per chunk must be on its fast
path, so that an upgrade that breaks one fails here instead of slowing users down;
with ``ANYFAST_FAST_PATHS=0`` every one is validated and the streams are the same;
with a simulated later langchain-core (a private attribute added to ``AIMessageChunk``
and ``ChatGenerationChunk`` before import) those two are validated, their private
attributes set, and everything else is unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from anyfast_client._fast import FAST_PATHS_VARIABLE

from .simulated_release import ATTRIBUTE, DEFAULT

_ROOT = Path(__file__).resolve().parents[2]

# Each class a stream builds on a fast path, by the name its builders are recorded by
# (``Class(fields)``); the core's chunks are built through the stream's event templates.
LANGCHAIN = ["AIMessageChunk", "ChatGenerationChunk"]
# A generation's text, LangChain's str subclass made with str.__new__ (``str_maker``).
LANGCHAIN_TEXT = ["TextAccessor"]
LLAMA_INDEX = ["ThinkingBlock", "ToolCallBlock", "ChatMessage", "ChatResponse"]
CORE = "event templates"
# Built validated: a builder saves next to nothing on it (see benchmarks/README.md).
VALIDATED = ["TextBlock"]


def _run(*arguments: str, fast_paths: str | None = None) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if key != FAST_PATHS_VARIABLE}
    if fast_paths is not None:
        env[FAST_PATHS_VARIABLE] = fast_paths
    done = subprocess.run(
        [sys.executable, "-m", "tests.fast_paths.stream_child", *arguments],
        cwd=_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def fast() -> dict[str, Any]:
    return _run()


@pytest.fixture(scope="module")
def switched_off() -> dict[str, Any]:
    return _run(fast_paths="0")


@pytest.fixture(scope="module")
def later_release() -> dict[str, Any]:
    return _run("--simulate-private-attr")


def _classes(names: list[str] | dict[str, str]) -> set[str]:
    return {name.split("(")[0] for name in names}


@pytest.mark.parametrize("cls", LANGCHAIN + LANGCHAIN_TEXT + LLAMA_INDEX)
def test_each_framework_class_streams_on_its_fast_path(fast: dict[str, Any], cls: str) -> None:
    assert cls in _classes(fast["taken_up"])
    assert cls not in _classes(fast["stood_down"])


@pytest.mark.parametrize("cls", VALIDATED)
def test_classes_a_builder_does_not_pay_for_are_validated(fast: dict[str, Any], cls: str) -> None:
    names = [*fast["taken_up"], *fast["stood_down"]]
    assert cls not in _classes(names)
    assert any(cls in seen["blocks"] for seen in fast["llama_index"])  # built all the same


def test_the_cores_chunks_are_read_through_their_templates(fast: dict[str, Any]) -> None:
    assert CORE not in _classes(fast["stood_down"])
    assert fast["template_reads"] > 0


def test_nothing_stands_down_with_todays_versions(fast: dict[str, Any]) -> None:
    assert fast["stood_down"] == {}


def test_with_the_switch_off_everything_is_validated_and_streams_the_same(
    fast: dict[str, Any], switched_off: dict[str, Any]
) -> None:
    assert switched_off["taken_up"] == []
    assert _classes(switched_off["stood_down"]) == {*LANGCHAIN, *LANGCHAIN_TEXT, *LLAMA_INDEX, CORE}
    assert set(switched_off["stood_down"].values()) == {f"{FAST_PATHS_VARIABLE} is set"}
    assert switched_off["template_reads"] == 0
    assert switched_off["langchain"] == fast["langchain"]
    assert switched_off["llama_index"] == fast["llama_index"]


def test_a_release_with_a_private_attribute_gets_the_validated_constructor(
    fast: dict[str, Any], later_release: dict[str, Any]
) -> None:
    stood_down = later_release["stood_down"]
    assert _classes(stood_down) == set(LANGCHAIN)
    assert all("private attributes" in reason for reason in stood_down.values())
    assert set(LANGCHAIN).isdisjoint(_classes(later_release["taken_up"]))
    assert {*LANGCHAIN_TEXT, *LLAMA_INDEX} <= _classes(later_release["taken_up"])
    # Every object has the attribute set, as validation sets it; nothing else changed.
    streamed = later_release["langchain"]
    assert streamed and all(seen["privates"] == [{ATTRIBUTE: DEFAULT}] * 2 for seen in streamed)
    assert [_without_privates(seen) for seen in streamed] == [
        _without_privates(seen) for seen in fast["langchain"]
    ]
    assert later_release["llama_index"] == fast["llama_index"]


def test_todays_langchain_objects_have_no_private_attributes(fast: dict[str, Any]) -> None:
    # The other side of the check above: nothing to set, and nothing set.
    assert all(seen["privates"] == [None, None] for seen in fast["langchain"])


def _without_privates(seen: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in seen.items() if key != "privates"}
