"""Fixtures every test folder shares."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import pytest

from anyfast_client._adapter import ClientOwner
from anyfast_client.testing import AnyfastTestServer

if TYPE_CHECKING:  # vcrpy is needed only where cassettes are replayed
    from vcr import VCR
    from vcr.request import Request


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Cassettes never hold a credential header; a request matches on its body, not on the
    host and port, so a recording from a server on a random port replays anywhere."""
    return {
        "filter_headers": ["authorization", "api-key", "x-api-key"],
        "match_on": ("method", "path", "query", "json_body"),
        "decode_compressed_response": True,
    }


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: VCR) -> None:
    vcr.register_matcher("json_body", same_json_body)


def same_json_body(recorded: Request, sent: Request) -> None:
    """vcr's ``body`` matcher, with every ``description`` read as ``inspect.cleandoc`` does.

    A tool's description comes from its docstring, which Python 3.13 stores with the
    indentation already stripped: the same tool sends other bytes than on 3.11 or 3.12.
    """
    assert _comparable(recorded.body) == _comparable(sent.body), "the request bodies differ"


def _comparable(body: bytes | str | None) -> Any:
    try:
        return _clean_descriptions(json.loads(body or b""))
    except ValueError:  # not JSON: compared as it is
        return body


def _clean_descriptions(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: inspect.cleandoc(item)
            if key == "description" and isinstance(item, str)
            else _clean_descriptions(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_clean_descriptions(item) for item in value]
    return value


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run the test body once through the sync API and once through the async one."""
    return str(request.param)


@pytest.fixture
async def closing() -> AsyncIterator[Callable[..., Any]]:
    """``closing(cls, **settings)``: a model built as given, its pools closed afterwards."""
    made: list[ClientOwner] = []

    def build(cls: type[Any], **settings: Any) -> Any:
        model = cls(**settings)
        made.append(model)
        return model

    yield build
    for model in made:
        model.close()
        await model.aclose()


@pytest.fixture
def build_model(
    anyfast_server: AnyfastTestServer, closing: Callable[..., Any]
) -> Callable[..., Any]:
    """``build_model(cls, **settings)``: a model pointed at the local server, closed afterwards."""

    def build(cls: type[Any], **settings: Any) -> Any:
        defaults = {"base_url": anyfast_server.base_url, "api_key": anyfast_server.api_key}
        return closing(cls, **{**defaults, **settings})

    return build
