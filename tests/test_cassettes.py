"""Every recorded cassette is free of credentials."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
