"""Every example runs as a user would run it, with no key: against the local test server.

Offline, the answers come from the server's simulation; what is checked is what the example's
own data decide: the tool's arguments and result, the passage retrieved, the fields extracted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
# What a newcomer reading each example's output would look for.
EXPECTED = {
    "langchain_agent.py": [
        "city: Lisbon",
        "It is sunny and 22 °C in Lisbon.",
        "City(name='Lima', country='Peru')",
    ],
    "llama_index_agent.py": ["'amount': 100, 'currency': 'USD'", "100 USD = 92.00 EUR"],
    "llama_index_chat.py": ["(1 image attached)", "City(name='Paris', country='France')"],
    "quickstart.py": ['following "Why is the sky blue?"', "Name three primary colours."],
    "rag_langchain.py": [
        "Retrieved: ['Embeddings are served under /api/v3",
        "Answer: From the context: Embeddings are served under /api/v3",
    ],
    "rag_llama_index.py": [
        "Retrieved: ['Embeddings are served under /api/v3",
        "Answer: From the context: Embeddings are served under /api/v3",
    ],
}


def test_every_example_has_expectations() -> None:
    assert sorted(EXPECTED) == [script.name for script in EXAMPLES]


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANYFAST_")}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "using the local test server" in done.stdout
    assert "Traceback" not in done.stderr
    for expected in EXPECTED.get(script.name, []):
        assert expected in done.stdout, done.stdout[-2000:]
