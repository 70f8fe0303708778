"""Client-side cost per call and per streamed chunk, side by side with the anchors.

The local Anyfast-compatible server runs in a child process, so the CPU time
measured here (``time.process_time``) is the client's alone: the framework,
the adapter and the HTTP stack. Each implementation runs the same requests
against the same server; the ratios matter, not the absolute numbers.

    python benchmarks/bench_chat.py            # all implementations that are installed
    python benchmarks/bench_chat.py --calls 300 --chunks 3000

Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

API_KEY = "bench-key"
MODEL = "qwen3.6-flash"


def _serve(port_queue: Any, chunks: int) -> None:
    from anyfast_client.testing import AnyfastTestServer, Reply

    def responder(request: dict[str, Any]) -> Reply:
        if request.get("stream"):
            return Reply(content="x" * chunks, chunk_size=1)
        return Reply(content="Hello from the benchmark.")

    with AnyfastTestServer(api_key=API_KEY) as server:
        server.responder = responder
        port_queue.put(server.base_url)
        while True:
            time.sleep(3600)


def _implementations(base_url: str) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """name -> (invoke once, stream once returning the number of chunks)."""
    impls: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
    messages = [("user", "Hello")]
    try:
        from langchain_anyfast import ChatAnyfast

        ours = ChatAnyfast(model=MODEL, api_key=API_KEY, base_url=base_url)
        impls["ChatAnyfast"] = (
            lambda: ours.invoke(messages),
            lambda: sum(1 for _ in ours.stream(messages)),
        )
    except ImportError:
        pass
    try:
        from langchain_openai import ChatOpenAI

        openai_model = ChatOpenAI(model=MODEL, api_key=API_KEY, base_url=base_url)  # type: ignore[arg-type]
        impls["ChatOpenAI"] = (
            lambda: openai_model.invoke(messages),
            lambda: sum(1 for _ in openai_model.stream(messages)),
        )
    except ImportError:
        pass
    impls.update(_llama_index_implementations(base_url))
    return impls


def _llama_index_implementations(
    base_url: str,
) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    impls: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
    try:
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role="user", content="Hello")]
    except ImportError:
        return impls
    try:
        from llama_index_anyfast import Anyfast

        ours = Anyfast(model=MODEL, api_key=API_KEY, api_base=base_url)
        impls["Anyfast (LlamaIndex)"] = (
            lambda: ours.chat(chat),
            lambda: sum(1 for _ in ours.stream_chat(chat)),
        )
    except ImportError:
        pass
    try:
        from llama_index.llms.openai_like import OpenAILike

        like = OpenAILike(
            model=MODEL,
            api_key=API_KEY,
            api_base=base_url,
            is_chat_model=True,
            context_window=1_000_000,
        )
        impls["OpenAILike"] = (
            lambda: like.chat(chat),
            lambda: sum(1 for _ in like.stream_chat(chat)),
        )
    except ImportError:
        pass
    return impls


def _cpu_per(run: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        samples.append(time.process_time() - start)
    return samples


def _import_time(module: str, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def _concurrency(base_url: str, calls: int) -> float | None:
    try:
        from langchain_anyfast import ChatAnyfast
    except ImportError:
        return None
    model = ChatAnyfast(model=MODEL, api_key=API_KEY, base_url=base_url)

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(model.ainvoke("Hello") for _ in range(calls)))
        return time.perf_counter() - start

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=5)
    args = parser.parse_args()

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(ports, args.chunks), daemon=True)
    server.start()
    base_url = ports.get(timeout=30)
    try:
        _report(base_url, args)
    finally:
        server.terminate()


def _report(base_url: str, args: argparse.Namespace) -> None:
    impls = _implementations(base_url)
    rows = []
    for name, (invoke, stream) in impls.items():
        invoke()  # warm up: lazy clients, imports, connection
        stream()
        per_call = statistics.median(_cpu_per(invoke, args.calls)) * 1e3
        per_chunk = statistics.median(_cpu_per(stream, args.streams)) / args.chunks * 1e6
        rows.append((name, per_call, per_chunk))
    print(f"{'implementation':24} {'CPU ms/call':>12} {'CPU µs/chunk':>13}")
    for name, per_call, per_chunk in rows:
        print(f"{name:24} {per_call:12.3f} {per_chunk:13.2f}")
    _ratios(rows, "ChatAnyfast", "ChatOpenAI")
    _ratios(rows, "Anyfast (LlamaIndex)", "OpenAILike")
    for module in (
        "anyfast_client",
        "langchain_anyfast",
        "llama_index_anyfast",
        "langchain_openai",
        "llama_index.llms.openai_like",
    ):
        try:
            print(f"import {module}: {_import_time(module) * 1e3:.0f} ms")
        except subprocess.CalledProcessError:
            print(f"import {module}: not installed")
    elapsed = _concurrency(base_url, 250)
    if elapsed is not None:
        print(f"250 concurrent ainvoke on one ChatAnyfast: {elapsed:.2f} s wall")


def _ratios(rows: list[tuple[str, float, float]], ours: str, anchor: str) -> None:
    table = {name: (call, chunk) for name, call, chunk in rows}
    if ours in table and anchor in table:
        call = table[anchor][0] / table[ours][0]
        chunk = table[anchor][1] / table[ours][1]
        print(f"{anchor} / {ours}: {call:.2f}x per call, {chunk:.2f}x per chunk")


if __name__ == "__main__":
    main()
