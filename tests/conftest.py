"""Fixtures every test folder shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from anyfast_client._adapter import ClientOwner
from anyfast_client.testing import AnyfastTestServer


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Cassettes never hold a credential header; a request matches on its body, not on the
    host and port, so a recording from a server on a random port replays anywhere."""
    return {
        "filter_headers": ["authorization", "api-key", "x-api-key"],
        "match_on": ("method", "path", "query", "body"),
        "decode_compressed_response": True,
    }


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
