"""Where a warning points: at the user's line, not inside a framework or this project.

Frameworks put a varying number of frames between the user's call and the request
the adapters build, so no fixed ``stacklevel`` fits every path. This walks out of
the packages named instead (what Python 3.12's ``skip_file_prefixes`` does).
"""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from pathlib import Path
from types import FrameType

__all__ = ["package_folder", "user_stacklevel", "walk_out_of"]


def package_folder(package: str, *, up: int = 0) -> str:
    """The folder a package is installed in (``up`` levels above), as a path prefix."""
    try:
        spec = find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin:
        return os.sep + "\0"  # matches no file: the package is not installed
    return str(Path(spec.origin).parents[up]) + os.sep


OWN_FOLDER = package_folder("anyfast_client")

# Folders every warning walks out of, whoever issues it: an adapter names its framework's
# and its own when imported, so a warning the core issues under ChatAnyfast or Anyfast
# (one per client, say) points at the user's line, not at the adapter's.
_walked_out_of: tuple[str, ...] = ()


def walk_out_of(prefixes: tuple[str, ...]) -> None:
    """Add ``prefixes`` (see :func:`package_folder`) to what every warning walks out of."""
    global _walked_out_of
    _walked_out_of = tuple(dict.fromkeys((*_walked_out_of, *prefixes)))


def user_stacklevel(internal: tuple[str, ...], *, skip: int = 0) -> int:
    """The ``stacklevel`` that makes a warning issued in our caller point at the user's code.

    ``internal`` holds path prefixes to walk out of (see :func:`package_folder`); this
    package is always among them. ``skip`` counts wrappers between the caller and here.
    Falls back to the caller when no outside frame is found.
    """
    prefixes = (*internal, *_walked_out_of, OWN_FOLDER)
    frame: FrameType | None = sys._getframe(2 + skip)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(prefixes):
        frame, level = frame.f_back, level + 1
    return level if frame is not None else 1
