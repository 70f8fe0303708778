"""Where an ``AnyfastWarning`` points: at the user's line, not inside LlamaIndex or here.

LlamaIndex's decorators, programs and agents put a varying number of frames between the
user's call and the request we build, so no fixed ``stacklevel`` fits every method. This
walks out of them instead (what Python 3.12's ``skip_file_prefixes`` does).
"""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from pathlib import Path
from types import FrameType

__all__ = ["user_stacklevel"]


def _folder(package: str, *, up: int = 0) -> str:
    spec = find_spec(package)
    origin = Path(spec.origin if spec is not None and spec.origin else __file__)
    return str(origin.parents[up]) + os.sep


_INTERNAL = (
    _folder("llama_index.core", up=1),  # every llama_index.* package beside it
    _folder("llama_index_instrumentation"),
    _folder("wrapt"),
    _folder("anyfast_client"),
    _folder(__package__ or "llama_index_anyfast"),
)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning issued in our caller point at the user's code.

    Falls back to the caller itself when no frame outside these packages is on the stack.
    """
    frame: FrameType | None = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    return level if frame is not None else 1
