"""Many calls in flight at once, side by side with the anchors: wall time, errors, connections.

The server (``_holding_server.py``) runs in a child process and holds every answer of a
round until all its calls have arrived, so each client must really have them all open
at once. Each implementation runs a cold round (a new model, so a new pool) and a warm
one (the same model again) in one event loop. Embeddings rounds answer at once.

    python benchmarks/bench_concurrency.py                  # 200 and 1,000 calls
    python benchmarks/bench_concurrency.py --calls 200 --texts 10000

Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _holding_server import control, start

API_KEY = "bench-key"
MODEL = "qwen3.6-flash"
Call = Callable[[], Awaitable[Any]]
Maker = Callable[[str], Call]
# The anchors' aiohttp clients, closed at the end of their rounds.
_OPEN_CLIENTS: list[Any] = []


def _aiohttp_client() -> Any:
    from openai import DefaultAioHttpClient

    client = DefaultAioHttpClient()
    _OPEN_CLIENTS.append(client)
    return client


def _chat_anyfast(base_url: str) -> Call:
    from langchain_anyfast import ChatAnyfast

    model = ChatAnyfast(model=MODEL, api_key=API_KEY, base_url=base_url)
    return lambda: model.ainvoke("Hello")


def _chat_openai(base_url: str, *, aiohttp: bool = False) -> Call:
    from langchain_openai import ChatOpenAI

    extra: dict[str, Any] = {}
    if aiohttp:
        extra["http_async_client"] = _aiohttp_client()
    model = ChatOpenAI(model=MODEL, api_key=API_KEY, base_url=base_url, **extra)  # type: ignore[arg-type]
    return lambda: model.ainvoke("Hello")


def _llama_anyfast(base_url: str) -> Call:
    from llama_index.core.llms import ChatMessage

    from llama_index_anyfast import Anyfast

    llm = Anyfast(model=MODEL, api_key=API_KEY, api_base=base_url)
    return lambda: llm.achat([ChatMessage(role="user", content="Hello")])


def _openai_like(base_url: str, *, aiohttp: bool = False) -> Call:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.openai_like import OpenAILike

    extra: dict[str, Any] = {}
    if aiohttp:
        extra["async_http_client"] = _aiohttp_client()
    llm = OpenAILike(model=MODEL, api_key=API_KEY, api_base=base_url, is_chat_model=True, **extra)
    return lambda: llm.achat([ChatMessage(role="user", content="Hello")])


def _core(base_url: str, transport: str) -> Call:
    """The core client alone, on the default transport or on a given one."""
    import httpx

    from anyfast_client import AsyncAnyfastClient, ChatRequest, UserMessage

    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    http = None
    if transport == "httpx":
        http = httpx.AsyncClient(limits=limits, timeout=600)
    elif transport == "httpx-aiohttp":
        from httpx_aiohttp import AiohttpTransport

        http = httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=600)
    if http is not None:
        _OPEN_CLIENTS.append(http)
    client = AsyncAnyfastClient(api_key=API_KEY, base_url=base_url, http_client=http)
    request = ChatRequest(model=MODEL, messages=[UserMessage(content="Hello")])
    return lambda: client.chat(request)


CHAT: dict[str, Maker] = {
    "core, default (aiohttp pool)": lambda url: _core(url, "default"),
    "core on httpx's own pool": lambda url: _core(url, "httpx"),
    "core on httpx-aiohttp": lambda url: _core(url, "httpx-aiohttp"),
    "ChatAnyfast": _chat_anyfast,
    "ChatOpenAI": _chat_openai,
    "ChatOpenAI + DefaultAioHttpClient": lambda url: _chat_openai(url, aiohttp=True),
    "Anyfast (LlamaIndex)": _llama_anyfast,
    "OpenAILike": _openai_like,
    "OpenAILike + DefaultAioHttpClient": lambda url: _openai_like(url, aiohttp=True),
}


async def _round(base_url: str, call: Call, calls: int) -> tuple[float, int, int]:
    """Wall seconds, errors and connections opened for ``calls`` calls held until all arrive."""
    control(base_url, expect=calls)
    start_time = time.perf_counter()
    results = await asyncio.gather(*(call() for _ in range(calls)), return_exceptions=True)
    wall = time.perf_counter() - start_time
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        print(f"    first error: {errors[0]!r}"[:200])
    return wall, len(errors), control(base_url)["connections"] - 1  # less the control's own


def _chat_rows(base_url: str, calls: int, only: list[str] | None) -> None:
    print(f"\n{calls} concurrent calls        cold: wall  err conns   warm: wall  err conns")
    for name, make in CHAT.items():
        if only and name not in only:
            continue
        try:
            call = make(base_url)
        except ImportError:
            print(f"{name:34} not installed")
            continue

        async def both(call: Call = call) -> list[tuple[float, int, int]]:
            rounds = [await _round(base_url, call, calls) for _ in range(2)]
            while _OPEN_CLIENTS:
                await _OPEN_CLIENTS.pop().aclose()
            return rounds

        (cold, warm) = asyncio.run(both())
        print(
            f"{name:34} {cold[0]:8.2f}s {cold[1]:4} {cold[2]:5}   "
            f"{warm[0]:8.2f}s {warm[1]:4} {warm[2]:5}"
        )


class _LlamaEmbed:
    """LlamaIndex's batch call under LangChain's method name."""

    def __init__(self, base_url: str) -> None:
        from llama_index_anyfast import AnyfastEmbedding

        self._model = AnyfastEmbedding(api_key=API_KEY, base_url=base_url)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = await self._model.aget_text_embedding_batch(texts)
        return vectors


def _embedding_rows(base_url: str, texts: int) -> None:
    from langchain_anyfast import AnyfastEmbeddings

    makers: dict[str, Callable[[], Any]] = {
        "AnyfastEmbeddings": lambda: AnyfastEmbeddings(api_key=API_KEY, base_url=base_url),
        "AnyfastEmbedding (LlamaIndex)": lambda: _LlamaEmbed(base_url),
    }
    try:
        from langchain_openai import OpenAIEmbeddings

        makers["OpenAIEmbeddings"] = lambda: OpenAIEmbeddings(
            model="e", api_key=API_KEY, base_url=base_url, check_embedding_ctx_length=False
        )
    except ImportError:
        pass
    words = [f"text number {n}" for n in range(texts)]
    print(f"\naembed_documents over {texts} texts     wall  err conns requests")
    for name, make in makers.items():
        model = make()
        control(base_url)
        start_time = time.perf_counter()
        try:
            vectors = asyncio.run(model.aembed_documents(words))
            errors = 0 if len(vectors) == texts else 1
        except Exception as exc:
            print(f"    error: {exc!r}"[:200])
            errors = 1
        wall = time.perf_counter() - start_time
        counts = control(base_url)
        opened, requests = counts["connections"] - 1, counts["requests"]
        print(f"{name:34} {wall:6.2f}s {errors:4} {opened:5} {requests:8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--texts", type=int, default=10_000, help="0: no embeddings rows")
    parser.add_argument("--only", nargs="*", help="chat implementation names to run")
    args = parser.parse_args()
    process, base_url = start()
    try:
        for calls in args.calls:
            _chat_rows(base_url, calls, args.only)
        if args.texts:
            _embedding_rows(base_url, args.texts)
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
