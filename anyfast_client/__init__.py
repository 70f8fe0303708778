"""The Anyfast chat-completions wire: settings, models, streams, retries and errors.

Knows nothing of LangChain or LlamaIndex; both adapters stand on it. What the
adapters share and users never call lives in the private ``_adapter`` module.
"""

from typing import Any as _Any

from ._client import AnyfastClient, AsyncAnyfastClient, AsyncStream, Stream
from ._config import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    DEFAULT_TIMEOUT,
    EMBEDDINGS_BASE_URL_ENV,
)
from ._errors import (
    AnyfastError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentDecodingError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    StreamInterruptedError,
)
from ._models import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    Choice,
    ChunkChoice,
    CompletionTokensDetails,
    ContentPart,
    Delta,
    Embedding,
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingUsage,
    FunctionCall,
    FunctionCallDelta,
    ImagePart,
    ImageURL,
    Message,
    PromptTokensDetails,
    ResponseMessage,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolMessage,
    Usage,
    UserMessage,
    VideoPart,
    VideoURL,
)
from ._request import AnyfastWarning
from ._version import __version__

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "EMBEDDINGS_BASE_URL_ENV",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AnyfastClient",
    "AnyfastError",
    "AnyfastWarning",
    "AssistantMessage",
    "AsyncAnyfastClient",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatRequest",
    "Choice",
    "ChunkChoice",
    "CompletionTokensDetails",
    "ContentDecodingError",
    "ContentPart",
    "Delta",
    "Embedding",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "EmbeddingUsage",
    "FunctionCall",
    "FunctionCallDelta",
    "ImagePart",
    "ImageURL",
    "InternalServerError",
    "Message",
    "MissingAPIKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "PromptTokensDetails",
    "RateLimitError",
    "RequestTooLargeError",
    "ResponseMessage",
    "Stream",
    "StreamInterruptedError",
    "SystemMessage",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolMessage",
    "Usage",
    "UserMessage",
    "VideoPart",
    "VideoURL",
    "__version__",
]

# Adapter plumbing that used to be exported here: still importable, no longer public.
_MOVED = frozenset(
    {
        "ChunkDecoder",
        "ClientOwner",
        "LazyClients",
        "StreamAccumulator",
        "merge_tool_call_delta",
        "settle_request",
        "thinking_conflict",
        "warn_if_budget_spent",
    }
)


def __getattr__(name: str) -> _Any:
    if name in _MOVED:
        from . import _adapter

        return getattr(_adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
