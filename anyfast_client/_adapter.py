"""Everything the framework adapters share and users never call: one import for them.

Request settling, conversation helpers, the clients a model owns, where warnings
point, the names every model class accepts for the same setting, how a stream is read
and what a response means. The adapters reach the core's private modules through this
one (a test checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._batching import (
    DEFAULT_EMBED_BATCH_SIZE,
    DEFAULT_EMBEDDING_MODEL,
    batch_vectors,
    embedding_requests,
)
from ._caller import package_folder, user_stacklevel, walk_out_of
from ._config import check_base_url, resolve_api_key
from ._construct import Constructor, str_maker
from ._conversation import (
    assistant_message,
    data_url,
    image_part,
    join_text,
    tool_call,
    tool_message,
    user_content,
    video_part,
)
from ._forced import (
    ForcedToolThinking,
    Plan,
    aanswer,
    answer,
    check_forced_tool_thinking,
    plan_chat_request,
)
from ._lazy import ClientOwner, LazyClients
from ._model_facts import model_facts
from ._models import normalize_stop
from ._request import (
    MODEL_BODY_FIELDS,
    REASONING_EFFORTS,
    UPSTREAM_NAMES,
    Layer,
    check_model_settings,
    check_typed_settings,
    close_match,
    drop_sibling_names,
    model_settings,
    tool_choice_to_wire,
    unknown_keyword,
    warn_if_budget_unused,
)
from ._response import (
    ANSWER_INDEX,
    USAGE_KEYS,
    answer_delta,
    cached_tokens,
    modality_counts,
    parse_tool_arguments,
    primary_choice,
    reasoning_tokens,
    require_choices,
    total_tokens,
    usage_counts,
    warn_if_budget_spent_in,
)
from ._stream import StreamAccumulator
from ._streaming import StreamItem, astream_items, stream_items
from ._template import TextDelta
from ._think_tags import ThinkTagsSetting
from ._tokens import count_chat_tokens, token_ids

__all__ = [
    "ANSWER_INDEX",
    "CONNECTION_ALIASES",
    "DEFAULT_EMBEDDING_MODEL",
    "DEFAULT_EMBED_BATCH_SIZE",
    "MODEL_BODY_FIELDS",
    "REASONING_EFFORTS",
    "UPSTREAM_NAMES",
    "USAGE_KEYS",
    "ClientOwner",
    "Constructor",
    "ForcedToolThinking",
    "Layer",
    "LazyClients",
    "Plan",
    "StreamAccumulator",
    "StreamItem",
    "TextDelta",
    "ThinkTagsSetting",
    "aanswer",
    "answer",
    "answer_delta",
    "assistant_message",
    "astream_items",
    "batch_vectors",
    "cached_tokens",
    "check_base_url",
    "check_forced_tool_thinking",
    "check_model_settings",
    "check_typed_settings",
    "close_match",
    "count_chat_tokens",
    "data_url",
    "drop_sibling_names",
    "embedding_requests",
    "image_part",
    "join_text",
    "looks_like_connection_setting",
    "modality_counts",
    "model_facts",
    "model_settings",
    "normalize_stop",
    "package_folder",
    "parse_tool_arguments",
    "plan_chat_request",
    "primary_choice",
    "reasoning_tokens",
    "refuse_unknown",
    "rename_aliases",
    "require_choices",
    "resolve_api_key",
    "str_maker",
    "stream_items",
    "token_ids",
    "tool_call",
    "tool_choice_to_wire",
    "tool_message",
    "total_tokens",
    "unknown_keyword",
    "usage_counts",
    "user_content",
    "user_stacklevel",
    "video_part",
    "walk_out_of",
    "warn_if_budget_spent_in",
    "warn_if_budget_unused",
]

#: What users of each framework type for the chat base URL, the model and the key.
CONNECTION_ALIASES: Mapping[str, str] = {
    "api_base": "base_url",
    "openai_api_base": "base_url",
    "model_name": "model",
    "request_timeout": "timeout",  # ChatOpenAI's and OpenAIEmbeddings' alias
}

# Parts of a keyword that say it configures the connection, not the request body: such a
# name must never travel in the body to the default host.
_CONNECTION_WORDS = (
    *("url", "base", "key", "client", "header", "secret", "token", "auth", "proxy"),
    *("timeout", "retries"),
)


def looks_like_connection_setting(name: str) -> bool:
    """True for names such as ``api_base``, ``openai_api_key``, ``http_client``, ``headers``."""
    lowered = name.lower()
    if lowered.endswith("tokens"):  # max_tokens and its kin are request settings
        return False
    return any(word in lowered for word in _CONNECTION_WORDS)


#: Every name a URL setting goes by in any class.
_URL_NAMES = ("base_url", "api_base", "openai_api_base", "embeddings_base_url")


def rename_aliases(
    values: Mapping[str, Any], aliases: Mapping[str, str], owner: str
) -> dict[str, Any]:
    """``values`` with every alias under its field's name; giving both is an error.

    URLs are checked first, so that a refusal names the setting as the user typed it.
    """
    _check_connection(values)
    renamed = dict(values)
    for alias, field in aliases.items():
        if alias not in renamed:
            continue
        if field in renamed and renamed[field] is not None and renamed[alias] != renamed[field]:
            raise TypeError(f"{owner} got both {field}= and its alias {alias}=: pass one")
        renamed[field] = renamed.pop(alias)
    return renamed


def _check_connection(values: Mapping[str, Any]) -> None:
    """URL, timeout and model settings refused under the name they were given."""
    for name in ("model", "model_name"):
        if values.get(name) == "":
            raise ValueError(f"{name}='' is not accepted: {name} must name a model")
    for name in _URL_NAMES:
        if isinstance(values.get(name), str):
            check_base_url(values[name], field=name)
    for name in ("timeout", "request_timeout"):
        value = values.get(name)
        if isinstance(value, int | float) and not value > 0:
            raise ValueError(
                f"{name}={value!r} is not accepted: {name} must be > 0 seconds "
                "(leave it out for the default)"
            )


def refuse_unknown(values: Iterable[str], valid: Iterable[str], owner: str) -> None:
    """A ``TypeError`` for the first name that is not a setting of ``owner``."""
    known = set(valid)
    for name in values:
        if name not in known:
            raise unknown_keyword(name, known, owner)
