"""Each tool's OpenAI-style spec, built once per tool rather than on every call.

``ToolMetadata.to_openai_tool`` renders the tool's pydantic schema to JSON schema,
which is nearly all the cost of a call that offers many tools. The spec is kept
beside the tool (weakly: the cache never keeps a tool alive) together with what it
was built from, so a tool whose metadata is replaced or edited gets a fresh one.
Callers get a copy: what they do to it never reaches the cache.
"""

from __future__ import annotations

import copy
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool, ToolMetadata

__all__ = ["tool_spec"]

_Key = tuple[int, str | None, str, object, bool]
_specs: weakref.WeakKeyDictionary[BaseTool, tuple[_Key, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def tool_spec(tool: BaseTool) -> dict[str, Any]:
    """``tool.metadata.to_openai_tool(skip_length_check=True)``, from the cache when it holds."""
    metadata = tool.metadata
    key = _key(metadata)
    try:
        cached = _specs.get(tool)
    except TypeError:  # a tool that cannot be weakly referenced or hashed
        return metadata.to_openai_tool(skip_length_check=True)
    if cached is None or cached[0] != key:
        cached = (key, metadata.to_openai_tool(skip_length_check=True))
        _specs[tool] = cached
    return copy.deepcopy(cached[1])


def _key(metadata: ToolMetadata) -> _Key:
    # The schema class is compared by identity: rebuilding the schema is what is saved.
    return (
        id(metadata),
        metadata.name,
        metadata.description,
        metadata.fn_schema,
        metadata.return_direct,
    )
