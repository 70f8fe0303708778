"""Client-side cost per call and per streamed chunk, side by side with the anchors.

The local Anyfast-compatible server runs in a child process, so the CPU time
measured here (``time.process_time``) is the client's alone: the framework,
the adapter and the HTTP stack. Each implementation runs the same requests
against the same server; the ratios matter, not the absolute numbers.

Streams are measured two ways: with the events written together (64 KiB writes, so
the cost is the client's per-chunk work) and with one write per event, as a gateway
flushes each token (then every event is also one HTTP chunk for the HTTP stack to
parse). The implementations take turns, round after round, so that a slow moment of
the machine falls on all of them; the median and the mean over the rounds are shown
(the mean includes the cycle collector's full passes, which land in some rounds).

    python benchmarks/bench_chat.py            # all implementations that are installed
    python benchmarks/bench_chat.py --calls 300 --chunks 3000
    ANYFAST_FAST_PATHS=0 python benchmarks/bench_chat.py --chunks-only    # fast paths off
    python benchmarks/bench_chat.py --simulate-private-attr --chunks-only

``--simulate-private-attr`` runs against a simulated later langchain-core, whose
``AIMessageChunk`` and ``ChatGenerationChunk`` have one private attribute more (the
classes are changed before anything imports them: ``tests/fast_paths/simulated_release.py``).
``--validated AIMessageChunk,TextBlock`` builds those classes with validation alone,
to measure what each one's fast path saves.

Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import multiprocessing
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

API_KEY = "bench-key"
MODEL = "qwen3.6-flash"


def _serve(port_queue: Any, chunks: int, coalesce: bool) -> None:
    from anyfast_client.testing import AnyfastTestServer, Reply

    def responder(request: dict[str, Any]) -> Reply:
        if request.get("stream"):
            return Reply(content="x" * chunks, chunk_size=1, coalesce=coalesce)
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


def _async_streamers(base_url: str) -> dict[str, Callable[[], Any]]:
    """name -> a coroutine function reading one whole stream (astream / astream_chat)."""
    streamers: dict[str, Callable[[], Any]] = {}
    with contextlib.suppress(ImportError):
        from langchain_openai import ChatOpenAI

        from langchain_anyfast import ChatAnyfast

        for name, chat in (
            ("ChatAnyfast", ChatAnyfast(model=MODEL, api_key=API_KEY, base_url=base_url)),
            ("ChatOpenAI", ChatOpenAI(model=MODEL, api_key=API_KEY, base_url=base_url)),  # type: ignore[arg-type]
        ):
            streamers[name] = functools.partial(_read_astream, chat)
    with contextlib.suppress(ImportError):
        from llama_index.core.llms import ChatMessage
        from llama_index.llms.openai_like import OpenAILike

        from llama_index_anyfast import Anyfast

        for name, llm in (
            ("Anyfast (LlamaIndex)", Anyfast(model=MODEL, api_key=API_KEY, api_base=base_url)),
            (
                "OpenAILike",
                OpenAILike(model=MODEL, api_key=API_KEY, api_base=base_url, is_chat_model=True),
            ),
        ):
            message = [ChatMessage(role="user", content="Hello")]
            streamers[name] = functools.partial(_read_astream_chat, llm, message)
    return streamers


async def _read_astream(chat: Any) -> None:
    async for _ in chat.astream([("user", "Hello")]):
        pass


async def _read_astream_chat(llm: Any, message: Any) -> None:
    async for _ in await llm.astream_chat(message):
        pass


def _async_chunks(base_url: str, rounds: int, chunks: int) -> dict[str, float]:
    """Median client CPU µs per chunk of each async stream, in turns on one event loop."""
    streamers = _async_streamers(base_url)

    async def main() -> dict[str, float]:
        samples: dict[str, list[float]] = {name: [] for name in streamers}
        for read in streamers.values():
            await read()  # warm up: this loop's pool, lazy clients
        for _ in range(rounds):
            for name, read in streamers.items():
                start = time.process_time()
                await read()
                samples[name].append((time.process_time() - start) / chunks * 1e6)
        return {name: statistics.median(values) for name, values in samples.items()}

    return asyncio.run(main())


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
    parser.add_argument("--streams", type=int, default=9, help="rounds of streams per way")
    parser.add_argument(
        "--chunks-only", action="store_true", help="only the per-chunk table of sync streams"
    )
    parser.add_argument(
        "--simulate-private-attr",
        action="store_true",
        help="a private attribute added to AIMessageChunk and ChatGenerationChunk first",
    )
    parser.add_argument(
        "--validated", default="", help="classes (comma-separated) built with validation alone"
    )
    args = parser.parse_args()
    if args.simulate_private_attr:
        _simulate_private_attr()
    if args.validated:
        _validate_only(set(args.validated.split(",")))

    servers = []
    urls = []
    for coalesce in (True, False):
        ports: Any = multiprocessing.Queue()
        server = multiprocessing.Process(
            target=_serve, args=(ports, args.chunks, coalesce), daemon=True
        )
        server.start()
        servers.append(server)
        urls.append(ports.get(timeout=30))
    try:
        _report(urls[0], urls[1], args)
    finally:
        for server in servers:
            server.terminate()


def _simulate_private_attr() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fast_paths.simulated_release import add_private_attribute

    add_private_attribute()


def _validate_only(classes: set[str]) -> None:
    """Have the builders of these classes stand down at their first call."""
    from anyfast_client import _construct
    from anyfast_client._fast import stand_down

    proved = _construct._proved_builder

    def maybe(model: Any, names: Any, *rest: Any) -> bool:
        if model.__name__ in classes:
            stand_down(f"{model.__qualname__}({', '.join(names)})", "--validated")
            return False
        return proved(model, names, *rest)

    _construct._proved_builder = maybe  # type: ignore[assignment]


def _report(batched_url: str, per_event_url: str, args: argparse.Namespace) -> None:
    ways = {"batched": _implementations(batched_url), "per event": _implementations(per_event_url)}
    names = list(ways["batched"])
    per_call = {}
    for name in names:
        invoke, _ = ways["batched"][name]
        invoke()  # warm up: lazy clients, imports, connection
        per_call[name] = statistics.median(_cpu_per(invoke, args.calls)) * 1e3
    chunks = _chunk_samples(ways, names, args)
    header = "µs/chunk median (mean)"
    print(
        f"{'implementation':22} {'CPU ms/call':>11}  {header + ', batched':>31}  "
        f"{header + ', per event':>33}"
    )
    for name in names:
        cells = [
            f"{statistics.median(chunks[name, way]):.2f} ({statistics.mean(chunks[name, way]):.2f})"
            for way in ways
        ]
        print(f"{name:22} {per_call[name]:11.3f}  {cells[0]:>31}  {cells[1]:>33}")
    _ratios(per_call, chunks, list(ways))
    _report_fast_paths()
    if not args.chunks_only:
        _report_rest(batched_url, per_event_url, args)


def _chunk_samples(
    ways: dict[str, Any], names: list[str], args: argparse.Namespace
) -> dict[tuple[str, str], list[float]]:
    """CPU µs per chunk of each implementation's streams, each way, taken in turns."""
    chunks: dict[tuple[str, str], list[float]] = {}
    for way, impls in ways.items():
        for name in names:
            impls[name][1]()  # warm up
        for _ in range(args.streams):
            for name in names:  # in turns: a slow moment falls on every implementation
                sample = _cpu_per(impls[name][1], 1)[0] / args.chunks * 1e6
                chunks.setdefault((name, way), []).append(sample)
    return chunks


def _report_rest(batched_url: str, per_event_url: str, args: argparse.Namespace) -> None:
    _report_async(batched_url, per_event_url, args)
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
    elapsed = _concurrency(batched_url, 250)
    if elapsed is not None:
        print(f"250 concurrent ainvoke on one ChatAnyfast: {elapsed:.2f} s wall")


def _report_fast_paths() -> None:
    from anyfast_client._fast import stood_down, taken_up

    print("fast paths taken up:", ", ".join(sorted(taken_up())) or "none")
    for name, reason in sorted(stood_down().items()):
        print(f"fast path stood down: {name}: {reason}")


def _report_async(batched_url: str, per_event_url: str, args: argparse.Namespace) -> None:
    batched = _async_chunks(batched_url, args.streams, args.chunks)
    per_event = _async_chunks(per_event_url, args.streams, args.chunks)
    print(f"{'async stream':22} {'µs/chunk median, batched':>26}  {'per event':>10}")
    for name in batched:
        print(f"{name:22} {batched[name]:26.2f}  {per_event[name]:10.2f}")


def _ratios(
    per_call: dict[str, float], chunks: dict[tuple[str, str], list[float]], ways: list[str]
) -> None:
    for ours, anchor in (("ChatAnyfast", "ChatOpenAI"), ("Anyfast (LlamaIndex)", "OpenAILike")):
        if ours not in per_call or anchor not in per_call:
            continue
        medians = {
            way: statistics.median(chunks[anchor, way]) / statistics.median(chunks[ours, way])
            for way in ways
        }
        per_chunk = ", ".join(f"{ratio:.2f}x per chunk {way}" for way, ratio in medians.items())
        print(f"{anchor} / {ours}: {per_call[anchor] / per_call[ours]:.2f}x per call, {per_chunk}")


if __name__ == "__main__":
    main()
