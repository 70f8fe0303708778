"""Pytest fixtures for the local Anyfast test server (registered as a ``pytest11`` plugin).

Each test gets the session's server freshly reset:

    def test_hello(anyfast_server):
        anyfast_server.enqueue(Reply(content="hi"))
        ...  # a client at anyfast_server.base_url with api_key=anyfast_server.api_key
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from anyfast_client.testing import AnyfastTestServer


@pytest.fixture(scope="session")
def anyfast_server_session() -> Iterator[AnyfastTestServer]:
    """One server for the whole session; its state carries over between tests."""
    # Imported here so loading the plugin does not import the package before coverage starts.
    from anyfast_client.testing import AnyfastTestServer

    with AnyfastTestServer() as server:
        yield server


@pytest.fixture
def anyfast_server(anyfast_server_session: AnyfastTestServer) -> AnyfastTestServer:
    """The session server, with an empty queue, no recorded requests and the default responder."""
    anyfast_server_session.reset()
    return anyfast_server_session
