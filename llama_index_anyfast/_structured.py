"""``Anyfast.as_structured_llm``: LlamaIndex's ``StructuredLLM`` that keeps the reasoning.

LlamaIndex's ``StructuredLLM`` builds its responses from the parsed object alone, so the
reasoning of the call that answered is lost. Here each call opens a capture (a context
variable: concurrent calls, threads and asyncio tasks each see their own) into which
``Anyfast`` notes the responses it hands out; the structured response then gets that
call's ``ThinkingBlock`` first in its blocks and, when streamed, the reasoning deltas
under ``additional_kwargs["thinking_delta"]``, as ``Anyfast``'s own responses do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    ThinkingBlock,
)
from llama_index.core.llms.structured_llm import StructuredLLM

__all__ = ["AnyfastStructuredLLM", "anoted_stream", "noted", "noted_stream"]

_THINKING_DELTA = "thinking_delta"

# The responses ``Anyfast`` handed out during the structured call now running, if any.
_capture: ContextVar[list[ChatResponse] | None] = ContextVar("_capture", default=None)


def noted(response: ChatResponse) -> ChatResponse:
    """``response``, noted for the structured call that asked for it, if one did."""
    captured = _capture.get()
    if captured is not None:
        captured.append(response)
    return response


def noted_stream(responses: ChatResponseGen) -> ChatResponseGen:
    """``responses``, each noted as it passes; the capture is looked up once, at the call."""
    captured = _capture.get()
    if captured is None:
        return responses
    return _noting(responses, captured)


def anoted_stream(responses: ChatResponseAsyncGen) -> ChatResponseAsyncGen:
    """:func:`noted_stream` for an async stream."""
    captured = _capture.get()
    if captured is None:
        return responses
    return _anoting(responses, captured)


def _noting(responses: ChatResponseGen, captured: list[ChatResponse]) -> ChatResponseGen:
    for response in responses:
        captured.append(response)
        yield response


async def _anoting(
    responses: ChatResponseAsyncGen, captured: list[ChatResponse]
) -> ChatResponseAsyncGen:
    async for response in responses:
        captured.append(response)
        yield response


class AnyfastStructuredLLM(StructuredLLM):
    """``StructuredLLM`` whose responses also carry the answering call's reasoning.

    ``raw`` is the parsed object and the message's text its JSON, as in LlamaIndex; with
    thinking on, ``message.blocks`` starts with the ``ThinkingBlock`` and a stream's
    responses carry ``additional_kwargs["thinking_delta"]``.
    """

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        captured: list[ChatResponse] = []
        token = _capture.set(captured)
        try:
            response = super().chat(messages, **kwargs)
        finally:
            _capture.reset(token)
        return _with_reasoning(response, captured[-1:])

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        captured: list[ChatResponse] = []
        token = _capture.set(captured)
        try:
            response = await super().achat(messages, **kwargs)
        finally:
            _capture.reset(token)
        return _with_reasoning(response, captured[-1:])

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return _stream_with_reasoning(super().stream_chat(messages, **kwargs))

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        return _astream_with_reasoning(await super().astream_chat(messages, **kwargs))


def _stream_with_reasoning(responses: Iterator[ChatResponse]) -> ChatResponseGen:
    # The capture is open only while the inner stream runs, never while this one waits at a
    # ``yield``: a sync generator runs in its caller's context, which must not see it.
    captured: list[ChatResponse] = []
    seen = 0
    while True:
        token = _capture.set(captured)
        try:
            response = next(responses, None)
        finally:
            _capture.reset(token)
        if response is None:
            return
        yield _with_reasoning(response, captured[seen:], captured)
        seen = len(captured)


async def _astream_with_reasoning(responses: AsyncIterator[ChatResponse]) -> ChatResponseAsyncGen:
    """:func:`_stream_with_reasoning`, async."""
    captured: list[ChatResponse] = []
    seen = 0
    while True:
        token = _capture.set(captured)
        try:
            response = await anext(responses, None)
        finally:
            _capture.reset(token)
        if response is None:
            return
        yield _with_reasoning(response, captured[seen:], captured)
        seen = len(captured)


def _with_reasoning(
    response: ChatResponse,
    new: Sequence[ChatResponse],
    captured: Sequence[ChatResponse] | None = None,
) -> ChatResponse:
    """``response`` with the latest reasoning of ``captured`` (default ``new``) first in its
    blocks, and, when ``new`` streamed reasoning deltas, those deltas as ``thinking_delta``."""
    block = _latest_thinking(captured if captured is not None else new)
    if block is not None:
        response.message.blocks.insert(0, block)
    delta = "".join(str(r.additional_kwargs.get(_THINKING_DELTA) or "") for r in new)
    if delta:
        response.additional_kwargs[_THINKING_DELTA] = delta
    return response


def _latest_thinking(responses: Sequence[ChatResponse]) -> ThinkingBlock | None:
    for response in reversed(responses):
        for block in response.message.blocks:
            if isinstance(block, ThinkingBlock):
                return block.model_copy()
    return None
