"""Peak memory and time for one large stream, side by side with the anchors.

Each implementation runs in its own process against a local server in another, with
tracemalloc on (which slows everything alike), so the peak is that implementation's own.
The server writes the events together in 64 KiB writes: what is measured is the client's
handling of a long answer, not one HTTP read per event (``bench_chat.py`` measures both).

    python benchmarks/bench_stream_memory.py                # 2 MB in 16-character pieces
    python benchmarks/bench_stream_memory.py --mb 20 --piece 64 --only core langchain

LlamaIndex's contract gives every streamed ChatResponse the cumulative message, so
its cost grows with the square of the stream's length for any implementation; keep
the size moderate when LlamaIndex runs are included.

Not part of the test run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

API_KEY = "bench-key"
MODEL = "qwen3.6-flash"
RUNNERS = ("core", "langchain", "openai", "llama_index", "openai_like")


def _serve(port_queue: Any, size: int, piece: int) -> None:
    from anyfast_client.testing import AnyfastTestServer, Reply

    with AnyfastTestServer(api_key=API_KEY) as server:
        server.responder = lambda request: Reply(
            content="x" * size, chunk_size=piece, coalesce=True
        )
        port_queue.put(server.base_url)
        while True:
            time.sleep(3600)


def _runner(name: str, url: str) -> Callable[[], int]:
    if name == "core":
        from anyfast_client import AnyfastClient, ChatRequest, UserMessage

        client = AnyfastClient(api_key=API_KEY, base_url=url)
        request = ChatRequest(messages=[UserMessage(content="hi")])
        return lambda: sum(1 for _ in client.chat_stream(request))
    if name in ("langchain", "openai"):
        return _langchain_runner(name, url)
    return _llama_index_runner(name, url)


def _langchain_runner(name: str, url: str) -> Callable[[], int]:
    if name == "langchain":
        from langchain_anyfast import ChatAnyfast

        model: Any = ChatAnyfast(api_key=API_KEY, base_url=url)
    else:
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(api_key=API_KEY, base_url=url, model=MODEL)  # type: ignore[arg-type]
    return lambda: sum(1 for _ in model.stream("hi"))


def _llama_index_runner(name: str, url: str) -> Callable[[], int]:
    from llama_index.core.llms import ChatMessage

    if name == "llama_index":
        from llama_index_anyfast import Anyfast

        llm: Any = Anyfast(api_key=API_KEY, api_base=url)
    else:
        from llama_index.llms.openai_like import OpenAILike

        llm = OpenAILike(api_key=API_KEY, api_base=url, model=MODEL, is_chat_model=True)
    messages = [ChatMessage(role="user", content="hi")]
    return lambda: sum(1 for _ in llm.stream_chat(messages))


def _measure(name: str, url: str) -> None:
    run = _runner(name, url)
    tracemalloc.start()
    start = time.perf_counter()
    chunks = run()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    print(f"{name:12} {chunks:9d} chunks {elapsed:8.2f} s  peak {peak:8.1f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=2.0)
    parser.add_argument("--piece", type=int, default=16, help="characters per chunk")
    parser.add_argument("--only", nargs="*", choices=RUNNERS, default=list(RUNNERS))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args.measure, args.url)
        return
    ports: Any = multiprocessing.Queue()
    size = int(args.mb * 1_000_000)
    server = multiprocessing.Process(target=_serve, args=(ports, size, args.piece), daemon=True)
    server.start()
    url = ports.get(timeout=30)
    try:
        for name in args.only:
            command = [sys.executable, __file__, "--measure", name, "--url", url]
            if subprocess.run(command, check=False).returncode:
                print(f"{name:12} not installed or failed")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
