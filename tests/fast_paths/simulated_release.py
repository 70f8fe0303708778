"""A later langchain-core, simulated: one private attribute more on two classes.

:func:`add_private_attribute` must run before ``langchain_core`` is imported: the
modules that define ``AIMessageChunk`` and ``ChatGenerationChunk`` are then read
with one line added to each class's body, as a release that adds a private
attribute would define them (pydantic then initialises it in every validated
instance). The benchmark's ``--simulate-private-attr`` uses it too.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType

__all__ = ["ATTRIBUTE", "CLASSES", "DEFAULT", "add_private_attribute"]

ATTRIBUTE = "_simulated_release"
DEFAULT = 7
# module -> the classes in it that get the attribute
CLASSES = {
    "langchain_core.messages.ai": ("AIMessageChunk",),
    "langchain_core.outputs.chat_generation": ("ChatGenerationChunk",),
}
_LINE = f"    {ATTRIBUTE}: int = __import__('pydantic').PrivateAttr(default={DEFAULT})"


def add_private_attribute() -> None:
    """Have the classes in :data:`CLASSES` defined with the private attribute."""
    loaded = [name for name in CLASSES if name in sys.modules]
    if loaded:
        raise RuntimeError(f"already imported, too late to change: {', '.join(loaded)}")
    sys.meta_path.insert(0, _Finder())


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in CLASSES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None:
            return None
        spec.loader = _Loader(fullname, spec.origin)
        return spec


class _Loader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        # Always from the source (a cached bytecode file holds the classes unchanged).
        source = self.get_data(self.path).decode()
        return compile(_with_attribute(source, CLASSES[fullname]), self.path, "exec")


def _with_attribute(source: str, classes: tuple[str, ...]) -> str:
    """The source with the attribute's line after each class's docstring."""
    lines = source.splitlines()
    found = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.name in classes
    ]
    if len(found) != len(classes):
        raise RuntimeError(f"not all of {classes} are defined here")
    # From the last class up, so that earlier line numbers stay right.
    for node in sorted(found, key=lambda node: node.lineno, reverse=True):
        first = node.body[0]
        after = first.end_lineno if isinstance(first, ast.Expr) else first.lineno - 1
        lines.insert(after or node.lineno, _LINE)
    return "\n".join(lines) + "\n"
