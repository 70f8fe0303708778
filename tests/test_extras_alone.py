"""Each extra, installed alone from the clone into a fresh venv, runs the examples it advertises.

This is what a newcomer does: ``pip install -e ".[langchain]"`` and run a LangChain example.
Each example says which extra it needs at the top of its docstring ("Needs the [langchain]
extra"); the quickstart runs the half its framework allows and names the other extra.

Installing needs the package index (pip's cache makes it quicker the second time): the one
place the suite uses the network. Both venvs are built at once, and their examples run at
once: about a minute of CPU in all, the rest of the wall time waiting on the index (3.3
minutes measured with a warm cache on two cores shared with other work).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
EXTRAS = ("langchain", "llama-index")
OTHER = {"langchain": "llama-index", "llama-index": "langchain"}

pytestmark = [pytest.mark.extras, pytest.mark.timeout(420)]


def extras_of(script: Path) -> set[str]:
    """The extras an example's docstring says it needs."""
    docstring = ast.get_docstring(ast.parse(script.read_text())) or ""
    return set(re.findall(r"\[([\w-]+)\] extra", docstring))


def _clean_env() -> dict[str, str]:
    """No key (the examples go offline), nothing of this run's own venv or Python path."""
    dropped = ("ANYFAST_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}


def _venv_with(extra: str, home: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True, timeout=120)
    python = home / "bin" / "python"
    # --no-compile: byte-compiling every installed module is a third of the install's time.
    install = [str(python), "-m", "pip", "install", "-q", "--no-compile"]
    done = subprocess.run(
        [*install, "-e", f"{ROOT}[{extra}]"],
        env={**_clean_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert done.returncode == 0, f"pip install -e .[{extra}] failed:\n{done.stderr[-3000:]}"
    return python


@pytest.fixture(scope="module")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh venv per extra, each holding the package with that extra alone."""
    homes = [tmp_path_factory.mktemp(extra) for extra in EXTRAS]
    # The time goes on downloads and unpacking: building both at once halves it.
    with ThreadPoolExecutor(max_workers=len(EXTRAS)) as pool:
        pythons = list(pool.map(_venv_with, EXTRAS, homes))
    return dict(zip(EXTRAS, pythons, strict=True))


def _run(python: Path, script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), str(script)],
        cwd=script.parent,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _run_examples(extra: str, python: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    return {s.name: _run(python, s) for s in EXAMPLES if extra in extras_of(s)}


@pytest.fixture(scope="module")
def runs(venvs: dict[str, Path]) -> dict[str, dict[str, subprocess.CompletedProcess[str]]]:
    """Each extra's examples, run in its venv: both venvs at once."""
    with ThreadPoolExecutor(max_workers=len(venvs)) as pool:
        return dict(zip(venvs, pool.map(_run_examples, venvs, venvs.values()), strict=True))


def test_every_example_names_an_extra_it_runs_with() -> None:
    for script in EXAMPLES:
        assert extras_of(script) & set(EXTRAS), f"{script.name} names no extra at its top"


def test_each_extra_alone_runs_its_examples(
    runs: dict[str, dict[str, subprocess.CompletedProcess[str]]],
) -> None:
    failures = [
        f"[{extra}] {name}:\n{done.stderr[-1500:]}"
        for extra, done_by_name in runs.items()
        for name, done in done_by_name.items()
        if done.returncode != 0 or not done.stdout.strip()
    ]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("extra", EXTRAS)
def test_the_quickstart_runs_its_half_and_names_the_other_extra(
    runs: dict[str, dict[str, subprocess.CompletedProcess[str]]], extra: str
) -> None:
    done = runs[extra]["quickstart.py"]
    assert done.returncode == 0, done.stderr[-2000:]
    shown = {"langchain": "LangChain", "llama-index": "LlamaIndex"}
    assert shown[extra] in done.stdout
    assert shown[OTHER[extra]] not in done.stdout
    assert f"anyfast-integrations[{OTHER[extra]}]" in done.stderr
