"""Every ```python block of README.md and docs/*.md runs, so the docs cannot rot.

Blocks run against a local server started here, with ``ANYFAST_BASE_URL`` and
``ANYFAST_API_KEY`` pointing at it, so they read as a user writes them
(``ChatAnyfast()``, no URL); the server takes any key, so ``api_key="..."`` works too. Each
block runs in a fresh namespace, in this process, under a timeout, except two kinds that run
in a subprocess: a script (a block with an ``if __name__ == "__main__":`` guard, which worker
pools need to re-import it) runs as ``python block.py``, and a block that defines
``test_...`` functions is a test file that pytest runs, so its tests really run. A block opts
out with a first-line comment ``# doc-test: skip (reason)``: it is still compiled, and
reported as skipped with its reason.
Nothing here checks the model's wording: the simulated answers are not the point.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
import inspect
import os
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anyfast_client.testing import AnyfastTestServer

REPO = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
PACKAGES = frozenset({"anyfast_client", "langchain_anyfast", "llama_index_anyfast"})
SKIP = re.compile(r"^#\s*doc-test:\s*skip\s*\((?P<reason>[^)]+)\)")
TEST_FUNCTION = re.compile(r"^(async\s+)?def\s+test_", re.M)
MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*[\"']__main__[\"']\s*:", re.M)
# Seconds a block may take: a guard against hangs (the scale recipes take tens of seconds).
BLOCK_TIMEOUT = 170
# Any request that leaves 127.0.0.1 goes to a proxy that does not exist, and fails at once.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


@dataclass(frozen=True)
class Block:
    """One fenced code block of a markdown file."""

    path: Path
    line: int
    language: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def skip_reason(self) -> str | None:
        first = self.code.lstrip().partition("\n")[0]
        match = SKIP.match(first)
        return match.group("reason") if match else None


def code_blocks(path: Path) -> Iterator[Block]:
    """Every fenced block of ``path`` (indented ones too, as inside a list item)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        number += 1
        if opening is None:
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent"))
        start, body = number, []
        while number < len(lines) and not _closes(lines[number], fence):
            body.append(
                lines[number][indent:] if lines[number][:indent].isspace() else lines[number]
            )
            number += 1
        number += 1
        yield Block(path, start, opening.group("info").lower(), textwrap.dedent("\n".join(body)))


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def doc_pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def python_blocks() -> list[Block]:
    return [b for page in doc_pages() for b in code_blocks(page) if b.language in ("python", "py")]


BLOCKS = python_blocks()


# --------------------------------------------------------------------------- the runner


@pytest.fixture(scope="module")
def docs_server() -> Iterator[AnyfastTestServer]:
    with AnyfastTestServer(api_key=None) as server:
        yield server


@pytest.fixture
def doc_env(docs_server: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a block sees: the local server, no real key, no way out."""
    for name in [name for name in os.environ if name.startswith("ANYFAST_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ANYFAST_BASE_URL", docs_server.base_url)
    monkeypatch.setenv("ANYFAST_API_KEY", "docs-test-key")
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
        monkeypatch.setenv(name.lower(), value)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    docs_server.reset()


def run_in_process(block: Block) -> None:
    """Runs the block as a script in a fresh namespace; globals it may change are restored."""
    from llama_index.core import Settings

    saved_settings, saved_environ = dict(vars(Settings)), dict(os.environ)
    namespace: dict[str, object] = {"__name__": "__main__"}
    try:
        with warnings.catch_warnings():
            # Warnings show as they would for a user running the block as a script, except
            # that a deprecation the block's own code triggers fails it: docs must not teach
            # what is going away.
            warnings.simplefilter("default")
            warnings.simplefilter("ignore", ResourceWarning)
            warnings.filterwarnings("error", category=DeprecationWarning, module="__main__")
            exec(compile(block.code, block.id, "exec"), namespace)
    finally:
        vars(Settings).update(saved_settings)
        os.environ.clear()
        os.environ.update(saved_environ)
        _release(namespace)
        _stop_ray()


def _stop_ray() -> None:
    """A Ray runtime the block started would otherwise keep its processes for the session."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


def _release(namespace: dict[str, object]) -> None:
    """Closes the pools the block left open, so no socket outlives it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for value in namespace.values():
            if type(value).__module__.partition(".")[0] in PACKAGES:
                _close(value)
        namespace.clear()
        gc.collect()


def _close(value: object) -> None:
    for name in ("close", "aclose"):
        method = getattr(value, name, None)
        if callable(method):
            result = method()
            if inspect.iscoroutine(result):
                asyncio.run(result)


def run_as_script(block: Block, tmp_path: Path) -> None:
    """A script runs as ``python block.py``, so its worker processes can re-import it."""
    script = tmp_path / f"{block.path.stem}_{block.line}.py"
    script.write_text(block.code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{block.id} failed:\n{done.stderr[-3000:]}"


def run_as_test_file(block: Block, tmp_path: Path) -> None:
    """A block of tests is a test file: pytest runs it and every test in it must pass."""
    script = tmp_path / f"test_{block.path.stem}_{block.line}.py"
    script.write_text(block.code, encoding="utf-8")
    # Only the plugins a reader's test needs: the others cost seconds of start-up per block.
    plugins = ["-p", _plugin_module("anyfast"), "-p", _plugin_module("asyncio")]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins]
    env = os.environ | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [*command, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{block.id} failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
    assert re.search(r"\b\d+ passed\b", done.stdout), done.stdout[-2000:]


def _plugin_module(name: str) -> str:
    """The module an installed pytest plugin registers under ``name``."""
    (plugin,) = importlib.metadata.entry_points(group="pytest11", name=name)
    return plugin.value


@pytest.mark.timeout(BLOCK_TIMEOUT + 10)
@pytest.mark.usefixtures("doc_env")
@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_code_block_runs(block: Block, tmp_path: Path) -> None:
    code = compile(block.code, block.id, "exec")  # a skipped block must still be valid Python
    assert code is not None
    reason = block.skip_reason
    if reason is not None:
        pytest.skip(f"{block.id}: {reason}")
    if TEST_FUNCTION.search(block.code):
        run_as_test_file(block, tmp_path)
    elif MAIN_GUARD.search(block.code):
        run_as_script(block, tmp_path)
    else:
        run_in_process(block)


# --------------------------------------------------------------------------- the rules


def test_readme_and_docs_have_code_to_run() -> None:
    pages = {block.path.name for block in BLOCKS}
    assert "README.md" in pages
    assert {"chat_anyfast.md", "anyfast_llamaindex.md", "embeddings.md", "testing.md"} <= pages


def test_skipped_blocks_are_rare() -> None:
    skipped = [block.id for block in BLOCKS if block.skip_reason is not None]
    assert len(skipped) <= max(2, len(BLOCKS) // 5), skipped


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = {line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()}
    shell = [b.code for b in code_blocks(REPO / "README.md") if b.language in ("bash", "sh")]
    commands = {line for code in shell for line in code.splitlines() if "-m pytest" in line}
    assert commands & ci, sorted(commands)


def test_every_docs_page_is_linked_from_the_index() -> None:
    index = (REPO / "docs" / "index.md").read_text(encoding="utf-8")
    pages = {path.name for path in (REPO / "docs").glob("*.md")} - {"index.md"}
    missing = sorted(name for name in pages if f"({name})" not in index)
    assert not missing, missing


def test_relative_links_resolve() -> None:
    broken = [
        f"{page.relative_to(REPO)} -> {target}"
        for page in doc_pages()
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8"))
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert not broken, broken


def test_block_extraction(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n```python\nprint(1)\n```\n"
        "- item\n\n  ```python\n  # doc-test: skip (needs a real key)\n  x = 1\n  ```\n"
        "````bash\n```python\nnot python\n```\n````\n~~~py\ny = 2\n~~~\n",
        encoding="utf-8",
    )
    blocks = list(code_blocks(page))
    assert [(b.language, b.code) for b in blocks] == [
        ("python", "print(1)"),
        ("python", "# doc-test: skip (needs a real key)\nx = 1"),
        ("bash", "```python\nnot python\n```"),
        ("py", "y = 2"),
    ]
    assert [b.skip_reason for b in blocks] == [None, "needs a real key", None, None]
