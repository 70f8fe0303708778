"""langchain-tests' standard embeddings suites for AnyfastEmbeddings.

The integration suite replays cassettes/test_embeddings_standard/ and needs no server. To
record again: ``pytest tests/langchain_adapter/test_embeddings_standard.py --record-mode=rewrite``
records from the live API when ANYFAST_API_KEY is set, else from the local test server.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_anyfast import AnyfastEmbeddings

_CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
# Replay never connects: the cassette answers, whatever the host.
_REPLAY_BASE_URL = "http://127.0.0.1:9/v1"


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(_CASSETTES / request.module.__name__.rpartition(".")[2])


def _recording_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Where the requests go: nowhere on replay, the live API or else the local server."""
    if request.config.getoption("--record-mode") in (None, "none"):
        return {"base_url": _REPLAY_BASE_URL, "api_key": "test-key"}
    if os.environ.get("ANYFAST_API_KEY"):
        return {}
    server = request.getfixturevalue("anyfast_server")
    return {"base_url": server.base_url, "api_key": server.api_key}


class TestAnyfastEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[AnyfastEmbeddings]:
        return AnyfastEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "doubao-embedding", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"ANYFAST_API_KEY": "env-key"},
            {"model": "doubao-embedding"},
            {"api_key": "env-key", "model": "doubao-embedding"},
        )


@pytest.mark.vcr
class TestAnyfastEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[AnyfastEmbeddings]:
        return AnyfastEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "doubao-embedding"}

    @pytest.fixture
    async def model(self, request: pytest.FixtureRequest) -> AsyncIterator[AnyfastEmbeddings]:
        model = AnyfastEmbeddings(**self.embedding_model_params, **_recording_settings(request))
        yield model
        model.close()
        await model.aclose()
