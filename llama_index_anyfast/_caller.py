"""Where an ``AnyfastWarning`` points: at the user's line, not inside LlamaIndex or here."""

from __future__ import annotations

from anyfast_client._adapter import package_folder, walk_out_of
from anyfast_client._adapter import user_stacklevel as _user_stacklevel

__all__ = ["user_stacklevel"]

# LlamaIndex's decorators, programs and agents stand between the user and the request.
_INTERNAL = (
    package_folder("llama_index.core", up=1),  # every llama_index.* package beside it
    package_folder("llama_index_instrumentation"),
    package_folder("wrapt"),
    package_folder(__package__ or "llama_index_anyfast"),
)
# Warnings the core issues under this adapter (once per client, say) walk out of these too.
walk_out_of(_INTERNAL)


def user_stacklevel() -> int:
    return _user_stacklevel(_INTERNAL, skip=1)
