"""Every recorded cassette is free of credentials, and replays on every Python version."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
import yaml
from vcr.request import Request

from .conftest import same_json_body

CASSETTES = sorted((Path(__file__).resolve().parents[1] / "cassettes").rglob("*.yaml"))
# What a credential looks like on this wire, and the test server's own key.
SECRET = re.compile(r"authorization|bearer\s|api[-_]key:|x-api-key|\bsk-[a-z0-9]|test-key", re.I)


def test_there_are_cassettes_for_each_recorded_suite() -> None:
    suites = {path.parent.name for path in CASSETTES}
    assert {"test_standard", "test_embeddings_standard", "test_llama_index_recorded"} <= suites


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cassette_holds_no_credential(path: Path) -> None:
    match = SECRET.search(path.read_text())
    assert match is None, f"{path}: {match.group(0) if match else ''}"


def _recorded_request(name: str) -> Request:
    path = Path(__file__).resolve().parents[1] / "cassettes" / "test_standard" / name
    recorded = yaml.safe_load(path.read_text())["interactions"][0]["request"]
    return Request(recorded["method"], recorded["uri"], recorded["body"], {})


def test_a_tool_recorded_on_python_3_11_matches_what_python_3_13_sends() -> None:
    # Python 3.13 strips a docstring's indentation when compiling it, so a tool's
    # description (from its docstring) reaches the wire unindented.
    recorded = _recorded_request("TestChatAnyfastIntegration.test_tool_message_error_status.yaml")
    body = json.loads(recorded.body)
    for tool in body["tools"]:
        tool["function"]["description"] = inspect.cleandoc(tool["function"]["description"])
    sent = Request("POST", recorded.uri, json.dumps(body), {})
    assert json.loads(sent.body) != json.loads(recorded.body)
    same_json_body(recorded, sent)
    body["tools"][0]["function"]["description"] += " And more."
    with pytest.raises(AssertionError):
        same_json_body(recorded, Request("POST", recorded.uri, json.dumps(body), {}))
