"""The adapters reach the core's private modules through one door, ``anyfast_client._adapter``.

What an adapter needs from the core beyond its public names is listed there, so that
what the adapters share is visible in one place and a private module can move without
the adapters noticing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ADAPTER_MODULES = sorted(
    path.relative_to(REPO).as_posix()
    for package in ("langchain_anyfast", "llama_index_anyfast")
    for path in (REPO / package).rglob("*.py")
)
DOOR = "anyfast_client._adapter"


def _private_core_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # "from anyfast_client import _x" imports the module _x
            modules = [f"{node.module}.{alias.name}" for alias in node.names]
            if node.module != "anyfast_client":
                modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [module for module in modules if _private(module)]
    return found


def _private(module: str) -> bool:
    """A private core module other than the door (``__version__`` is public)."""
    package, _, rest = module.partition(".")
    first = rest.partition(".")[0]
    return (
        package == "anyfast_client"
        and first[:1] == "_"
        and first[:2] != "__"
        and (module != DOOR and not module.startswith(DOOR + "."))
    )


@pytest.mark.parametrize("path", ADAPTER_MODULES)
def test_an_adapter_module_imports_core_internals_only_through_the_adapter_module(
    path: str,
) -> None:
    assert _private_core_imports(REPO / path) == [], (
        f"{path} imports a private core module directly: export what it needs from "
        f"{DOOR} and import it from there"
    )


def test_the_check_sees_a_direct_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "from anyfast_client._adapter import X\nfrom anyfast_client._models import Y\n"
        "import anyfast_client._stream\nfrom anyfast_client import _template\n"
    )
    assert _private_core_imports(module) == [
        "anyfast_client._models",
        "anyfast_client._stream",
        "anyfast_client._template",
    ]
