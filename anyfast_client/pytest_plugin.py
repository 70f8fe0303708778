"""Pytest fixtures for the local Anyfast-compatible server, registered on install."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from anyfast_client.testing import AnyfastTestServer


@pytest.fixture(scope="session")
def anyfast_server_session() -> Iterator[AnyfastTestServer]:
    """One server for the whole session."""
    from anyfast_client.testing import AnyfastTestServer

    with AnyfastTestServer() as server:
        yield server


@pytest.fixture
def anyfast_server(anyfast_server_session: AnyfastTestServer) -> AnyfastTestServer:
    """The session's server, reset to its defaults for this test."""
    anyfast_server_session.reset()
    return anyfast_server_session
