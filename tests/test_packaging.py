"""The distribution as a user gets it: sdist and wheel build offline, install into a fresh venv,
the LlamaIndex import paths and the quickstart work from there, and ``[all]`` covers the examples.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(180)


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=150
    )
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from that sdist, as ``python -m build`` makes them."""
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"):
        shutil.copy(ROOT / name, source)
    for package in ("anyfast_client", "langchain_anyfast", "llama_index_anyfast", "llama_index"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__py*"))
    for folder in ("examples", "tests", "cassettes"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__py*"))
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source, cwd=out)
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; the third-party libraries come from this run's."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "-q",
        wheel,
        cwd=home,
    )
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=home
        ).strip()
    )
    # A .pth line adds a folder but runs none of its own .pth files: the editable
    # install of the source tree stays out.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANYFAST_", "PYTHON"))}


def test_wheel_ships_the_namespace_packages_without_claiming_the_namespace(dist: Path) -> None:
    names = zipfile.ZipFile(next(dist.glob("*.whl"))).namelist()
    assert "llama_index/llms/anyfast/__init__.py" in names
    assert "llama_index/embeddings/anyfast/__init__.py" in names
    for shared in ("llama_index/", "llama_index/llms/", "llama_index/embeddings/"):
        assert f"{shared}__init__.py" not in names
    assert any(re.search(r"\.dist-info/licenses/LICENSE$", name) for name in names)


def test_sdist_carries_license_changelog_examples_and_tests(dist: Path) -> None:
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "examples/quickstart.py", "tests/conftest.py"} <= names


def test_llama_index_import_paths_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    code = (
        "import llama_index.core, llama_index_anyfast\n"
        "from llama_index.llms.anyfast import Anyfast\n"
        "from llama_index.embeddings.anyfast import AnyfastEmbedding\n"
        "assert Anyfast is llama_index_anyfast.Anyfast\n"
        "assert AnyfastEmbedding is llama_index_anyfast.AnyfastEmbedding\n"
        "import llama_index.llms.anyfast as m\n"
        "print(m.__file__)\n"
        "print(llama_index_anyfast.__file__)\n"
    )
    files = _run(installed, "-c", code, cwd=tmp_path, env=_clean_env()).split()
    venv_home = str(installed.parents[1])
    assert all(f.startswith(venv_home) for f in files), files


def test_quickstart_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    script = shutil.copy(ROOT / "examples" / "quickstart.py", tmp_path)
    out = _run(installed, "-X", "dev", script, cwd=tmp_path, env=_clean_env())
    assert out.strip() and "using the local test server" not in out  # the notice: stderr
    where = _run(
        installed, "-c", "import anyfast_client; print(anyfast_client.__file__)", cwd=tmp_path
    )
    assert where.startswith(str(installed.parents[1]))


def _imported_top_levels(script: Path) -> set[str]:
    tree = ast.parse(script.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _closure(requirements: list[Requirement], extras: set[str]) -> set[str]:
    """Distribution names ``requirements`` pull in, transitively, with these extras."""
    seen: set[str] = set()
    todo = [r for r in requirements if _applies(r, extras)]
    while todo:
        req = todo.pop()
        name = req.name.lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        subs = [Requirement(line) for line in metadata.requires(req.name) or []]
        todo += [sub for sub in subs if _applies(sub, req.extras)]
    return seen


def _applies(req: Requirement, extras: set[str]) -> bool:
    return not req.marker or any(req.marker.evaluate({"extra": e}) for e in extras | {""})


def test_all_extra_installs_what_every_example_imports() -> None:
    ours = [Requirement(line) for line in metadata.requires("anyfast-integrations") or []]
    available = _closure(ours, {"all"})
    own = {"anyfast_client", "langchain_anyfast", "llama_index_anyfast", "llama_index"}
    providers = metadata.packages_distributions()
    for script in sorted((ROOT / "examples").glob("*.py")):
        for module in _imported_top_levels(script):
            top = module.split(".")[0]
            if (
                top in sys.stdlib_module_names
                or top == "__future__"
                or module.startswith(("llama_index.llms.anyfast", "llama_index.embeddings.anyfast"))
            ):
                continue
            if top in own and top != "llama_index":
                continue
            dists = _providers(module, providers)
            assert dists & available, (
                f"{script.name} imports {module}, which [all] does not install"
            )


def _providers(module: str, providers: dict[str, list[str]]) -> set[str]:
    parts = module.split(".")
    if parts[0] == "llama_index":  # a shared namespace: llama_index.core is llama-index-core
        return {
            "-".join(["llama-index", *parts[1:3]]) if parts[1] != "core" else "llama-index-core"
        }
    return {n.lower().replace("_", "-") for n in providers.get(parts[0], [])}


def test_init_chat_model_cannot_take_anyfast_as_docs_faq_says() -> None:
    from langchain.chat_models import init_chat_model

    with pytest.raises(ValueError, match="anyfast"):
        init_chat_model("qwen3.6-flash", model_provider="anyfast")
