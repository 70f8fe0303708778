"""Fixtures for the LangChain adapter: models on the local server, sync/async drivers, cassettes.

Cassettes live in ``cassettes/<test module>/``. They match on method, path, query and body:
the host and port are left out on purpose, so a recording made against the local server on
a random port (or against the live API) replays anywhere, with no server running.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anyfast_client.testing import AnyfastTestServer
from langchain_anyfast import ChatAnyfast

from ._support import Driver

REPO = Path(__file__).resolve().parents[2]

MakeModel = Callable[..., ChatAnyfast]


@pytest.fixture
def make_model(anyfast_server: AnyfastTestServer, closing: Callable[..., Any]) -> MakeModel:
    """Builds models pointed at the local server and closes their pools afterwards."""

    def make(**settings: Any) -> ChatAnyfast:
        defaults = {
            "base_url": anyfast_server.base_url,
            "api_key": anyfast_server.api_key,
            "max_retries": 0,
        }
        model: ChatAnyfast = closing(ChatAnyfast, **{**defaults, **settings})
        return model

    return make


@pytest.fixture(params=["sync", "async"])
def drive(request: pytest.FixtureRequest) -> Driver:
    return Driver(request.param)


# --------------------------------------------------------------------------- cassettes


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(REPO / "cassettes" / request.module.__name__.rpartition(".")[2])


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _stable_uuids(request: Any) -> Any:
    """Random UUIDs in a request body (langchain's few-shot helpers make tool-call ids with
    uuid4) become numbered placeholders, in recordings and in matching alike."""
    body = request.body
    if not isinstance(body, bytes) or not _UUID.search(body):
        return request
    seen: dict[bytes, bytes] = {}

    def number(match: re.Match[bytes]) -> bytes:
        return seen.setdefault(match.group(), b"uuid-%d" % len(seen))

    request = copy.deepcopy(request)
    request.body = _UUID.sub(number, body)
    return request


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **vcr_config,
        "before_record_request": _stable_uuids,
        # test_stream_time replays one recording many times.
        "allow_playback_repeats": True,
    }
