"""Every example runs as a user would run it, with no key: against the local test server.

Offline, the answers come from the server's simulation, whose wording is no contract: what is
checked is the output's shape and what the example's own data decide (the tool called and
what it returned, the passage ranked first, the class filled), exit code 0, the offline
notice on stderr, and nothing on stdout but the example's output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
NOTICE = "ANYFAST_API_KEY is not set"
ANSWER = r".*\S"  # a line that says something
# Lines each example's output must have, as regular expressions matched line by line.
EXPECTED = {
    "langchain_agent.py": [
        r"Name: get_weather",  # the agent called the example's tool...
        r"It is sunny and 22 °C in Lisbon\.",  # ...with the city, and got its answer
        r"Structured: City\(name='.+', country='.+'\)",
    ],
    "llama_index_agent.py": [
        r"\[to_euros\(\{'amount': 100(\.0)?, 'currency': 'USD'\}\) -> 100 USD = 92\.00 EUR\]",
        rf"Final: {ANSWER}",
    ],
    "llama_index_chat.py": [
        r"Usage: \{.*'image_tokens': [1-9]\d*",
        r"Structured: City\(name='.+', country='.+'\)",
    ],
    "quickstart.py": [
        rf"\[answer\] {ANSWER}",
        rf"LangChain, follow-up: {ANSWER}",
        r"usage: \{'input_tokens': \d+",
        rf"LlamaIndex: {ANSWER}",
    ],
    "rag_langchain.py": [
        r"Retrieved: \['Embeddings are served under /api/v3",  # the passage ranked first
        rf"Answer: {ANSWER}",
    ],
    "rag_llama_index.py": [
        r"Retrieved: \['Embeddings are served under /api/v3",
        rf"Answer: {ANSWER}",
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
    assert "Traceback" not in done.stderr
    assert NOTICE in done.stderr
    assert NOTICE not in done.stdout
    lines = done.stdout.splitlines()
    for expected in EXPECTED[script.name]:
        assert any(re.match(expected, line) for line in lines), (expected, done.stdout[-2000:])
