"""Where an ``AnyfastWarning`` points: at the user's line, not inside LangChain or here."""

from __future__ import annotations

from anyfast_client._adapter import package_folder, walk_out_of
from anyfast_client._adapter import user_stacklevel as _user_stacklevel

__all__ = ["user_stacklevel"]

# Runnables, chains, agents and graphs stand between the user and the request.
_INTERNAL = (
    package_folder("langchain_core"),
    package_folder("langchain"),
    package_folder("langgraph"),
    package_folder(__package__ or "langchain_anyfast"),
)
# Warnings the core issues under this adapter (once per client, say) walk out of these too.
walk_out_of(_INTERNAL)


def user_stacklevel() -> int:
    return _user_stacklevel(_INTERNAL, skip=1)
