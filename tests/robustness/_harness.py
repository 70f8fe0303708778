"""One server reply through every entry point, read back as one comparable answer.

A :class:`Harness` holds the core clients, a ``ChatAnyfast`` and an ``Anyfast``, all
talking to one ``httpx.MockTransport`` that answers whatever body the test set. Each
entry point's result is read into an :class:`Answer` (text, reasoning, tool calls,
finish reason, usage), so the same reply can be checked the same way everywhere.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import reduce
from operator import add
from typing import Any, ClassVar

import httpx
from langchain_core.exceptions import ModelError
from langchain_core.messages import AIMessage, BaseMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from anyfast_client import (
    AnyfastClient,
    AnyfastError,
    AnyfastWarning,
    AsyncAnyfastClient,
    ChatCompletion,
    ChatRequest,
    UserMessage,
)
from anyfast_client._adapter import (
    LazyClients,
    parse_tool_arguments,
    primary_choice,
    total_tokens,
)
from langchain_anyfast import ChatAnyfast
from llama_index_anyfast import Anyfast

STREAMED = ("core.stream", "core.astream", "lc.stream", "lc.astream", "li.stream", "li.astream")
WHOLE = ("core.chat", "core.achat", "lc.invoke", "lc.ainvoke", "li.chat", "li.achat")
SYNC_STREAMED = ("core.stream", "lc.stream", "li.stream")
SYNC_WHOLE = ("core.chat", "lc.invoke", "li.chat")

Call = tuple[str, str, str | None]  # id, name, arguments as sorted JSON (None: not an object)


@dataclass(frozen=True)
class Answer:
    """What a user reads from a result, the same shape from every entry point."""

    text: str = ""
    reasoning: str = ""
    calls: tuple[Call, ...] = ()
    finish_reason: str | None = None
    usage: tuple[int, int, int] | None = None


@dataclass
class Outcome:
    answer: Answer | None = None
    error: BaseException | None = None


def _args(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _calls(calls: list[Call]) -> tuple[Call, ...]:
    # LangChain keeps valid and invalid calls in two lists: compare them as a set in order.
    return tuple(sorted(calls, key=repr))


def core_answer(completion: ChatCompletion) -> Answer:
    choice = primary_choice(completion)
    message = choice.message
    usage = completion.usage
    calls = [
        (c.id, c.function.name, _args(parse_tool_arguments(c.function.arguments).args))
        for c in message.tool_calls or ()
    ]
    return Answer(
        text=message.content or "",
        reasoning=message.reasoning_content or "",
        calls=_calls(calls),
        finish_reason=choice.finish_reason,
        usage=None
        if usage is None
        else (usage.prompt_tokens, usage.completion_tokens, total_tokens(usage)),
    )


def lc_answer(message: BaseMessage) -> Answer:
    assert isinstance(message, AIMessage)
    calls = [(c.get("id") or "", c["name"], _args(c["args"])) for c in message.tool_calls]
    calls += [(c.get("id") or "", c.get("name") or "", None) for c in message.invalid_tool_calls]
    usage = message.usage_metadata
    assert isinstance(message.content, str)
    return Answer(
        text=message.content,
        reasoning=message.additional_kwargs.get("reasoning_content", ""),
        calls=_calls(calls),
        finish_reason=message.response_metadata.get("finish_reason"),
        usage=None
        if usage is None
        else (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]),
    )


def li_answer(response: ChatResponse | None) -> Answer:
    if response is None:
        return Answer()
    blocks = response.message.blocks
    extra = response.additional_kwargs
    calls = [
        (
            b.tool_call_id or "",
            b.tool_name,
            _args(b.tool_kwargs if isinstance(b.tool_kwargs, dict) else None),
        )
        for b in blocks
        if isinstance(b, ToolCallBlock)
    ]
    usage = None
    if "total_tokens" in extra:
        usage = (extra["prompt_tokens"], extra["completion_tokens"], extra["total_tokens"])
    return Answer(
        text="".join(b.text for b in blocks if isinstance(b, TextBlock)),
        reasoning="".join(b.content or "" for b in blocks if isinstance(b, ThinkingBlock)),
        calls=_calls(calls),
        finish_reason=extra.get("finish_reason"),
        usage=usage,
    )


@dataclass
class Harness:
    """Every entry point over one mock transport; set :attr:`reply` before each run."""

    reply: tuple[int, str, bytes] = (200, "application/json", b"{}")
    sent: int = 0
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)

    def __post_init__(self) -> None:
        transport = httpx.MockTransport(self._answer)
        settings: dict[str, Any] = {
            "api_key": "sk-test",
            "base_url": "http://anyfast.test/v1",
            "max_retries": 0,
        }
        self.client = AnyfastClient(http_client=httpx.Client(transport=transport), **settings)
        self.aclient = AsyncAnyfastClient(
            http_client=httpx.AsyncClient(transport=transport), **settings
        )
        self.chat_model = ChatAnyfast(api_key="sk-test", base_url="http://anyfast.test/v1")
        self.chat_model._clients = LazyClients(self.client, self.aclient)
        self.llm = Anyfast(
            api_key="sk-test",
            api_base="http://anyfast.test/v1",
            client=self.client,
            async_client=self.aclient,
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        status, content_type, body = self.reply
        return httpx.Response(status, headers={"content-type": content_type}, content=body)

    def close(self) -> None:
        self.client.close()
        self.loop.run_until_complete(self.aclient.close())
        self.loop.close()

    def set_stream(self, body: bytes) -> None:
        self.reply = (200, "text/event-stream", body)

    def set_json(self, body: bytes | dict[str, Any], status: int = 200) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.reply = (status, "application/json", raw)

    def run(self, entry: str) -> Outcome:
        """One call through ``entry``; any exception is caught and returned."""
        with warnings.catch_warnings():
            # The budget warning is right for some generated replies; it is not an answer.
            warnings.simplefilter("ignore", AnyfastWarning)
            try:
                return Outcome(answer=self._RUNNERS[entry](self))
            except Exception as exc:  # the contract check needs whatever was raised
                return Outcome(error=exc)

    def _await(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coroutine)

    # ------------------------------------------------------------------ runners

    def _core_chat(self) -> Answer:
        return core_answer(self.client.chat(_REQUEST))

    def _core_achat(self) -> Answer:
        return core_answer(self._await(self.aclient.chat(_REQUEST)))

    def _core_stream(self) -> Answer:
        with self.client.chat_stream(_REQUEST) as stream:
            for _ in stream:
                pass
            return core_answer(stream.completion)

    def _core_astream(self) -> Answer:
        async def run() -> Answer:
            async with self.aclient.chat_stream(_REQUEST) as stream:
                async for _ in stream:
                    pass
                return core_answer(stream.completion)

        return self._await(run())  # type: ignore[no-any-return]

    def _lc_invoke(self) -> Answer:
        return lc_answer(self.chat_model.invoke("hi"))

    def _lc_ainvoke(self) -> Answer:
        return lc_answer(self._await(self.chat_model.ainvoke("hi")))

    def _lc_stream(self) -> Answer:
        return lc_answer(reduce(add, self.chat_model.stream("hi")))

    def _lc_astream(self) -> Answer:
        async def run() -> Answer:
            chunks = [chunk async for chunk in self.chat_model.astream("hi")]
            return lc_answer(reduce(add, chunks))

        return self._await(run())  # type: ignore[no-any-return]

    def _li_chat(self) -> Answer:
        return li_answer(self.llm.chat(_MESSAGES))

    def _li_achat(self) -> Answer:
        return li_answer(self._await(self.llm.achat(_MESSAGES)))

    def _li_stream(self) -> Answer:
        last = None
        for last in self.llm.stream_chat(_MESSAGES):  # noqa: B007  (the last response counts)
            pass
        return li_answer(last)

    def _li_astream(self) -> Answer:
        async def run() -> Answer:
            last = None
            async for last in await self.llm.astream_chat(_MESSAGES):  # noqa: B007
                pass
            return li_answer(last)

        return self._await(run())  # type: ignore[no-any-return]

    _RUNNERS: ClassVar[dict[str, Callable[[Harness], Answer]]] = {
        "core.chat": _core_chat,
        "core.achat": _core_achat,
        "core.stream": _core_stream,
        "core.astream": _core_astream,
        "lc.invoke": _lc_invoke,
        "lc.ainvoke": _lc_ainvoke,
        "lc.stream": _lc_stream,
        "lc.astream": _lc_astream,
        "li.chat": _li_chat,
        "li.achat": _li_achat,
        "li.stream": _li_stream,
        "li.astream": _li_astream,
    }


_REQUEST = ChatRequest(messages=[UserMessage(content="hi")])
_MESSAGES = [ChatMessage(role="user", content="hi")]


def check_contract(entry: str, outcome: Outcome) -> None:
    """A result, or an AnyfastError; in LangChain also one of langchain-core's errors."""
    error = outcome.error
    if error is None:
        return
    if not isinstance(error, AnyfastError):
        raise AssertionError(f"{entry} raised a bare {type(error).__name__}: {error}") from error
    if entry.startswith("lc.") and not isinstance(error, ModelError):
        raise AssertionError(f"{entry} raised {type(error).__name__}, not a ModelError")


def sse(*payloads: Any, done: bool = True) -> bytes:
    """An event stream of the given payloads (dicts are JSON-encoded), then [DONE]."""
    events = [p if isinstance(p, str) else json.dumps(p) for p in payloads]
    if done:
        events.append("[DONE]")
    return "".join(f"data: {e}\n\n" for e in events).encode()


def chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    *,
    index: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """One chat.completion.chunk with a single choice."""
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "qwen3.6-flash",
        "choices": [{"index": index, "delta": delta or {}, "finish_reason": finish}],
        **extra,
    }


def completion(message: dict[str, Any], finish: str = "stop", **extra: Any) -> dict[str, Any]:
    """One chat.completion with a single choice."""
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "qwen3.6-flash",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        **extra,
    }


USAGE = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
