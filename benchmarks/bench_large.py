"""Large requests at two sizes each, side by side with the anchors: client CPU and peak memory.

Long histories, many images, many tools and long streams, each at a small and a large size,
so that growth shows: a cost that grows faster than the request is visible as a ratio
between the two rows. The server (``_holding_server.py``) runs in a child process; CPU time
(``time.process_time``, median of ``--repeat`` calls) is the client's alone. Peak memory is
traced (``tracemalloc``) over one more call.

    python benchmarks/bench_large.py
    python benchmarks/bench_large.py --only ChatAnyfast ChatOpenAI

Not part of the test run.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from _holding_server import control, start

API_KEY = "bench-key"
MODEL = "qwen3.6-flash"
IMAGE = base64.b64encode(bytes(range(256)) * 4096).decode()  # 1 MiB of image, encoded
SIZES = {"history": (200, 2000), "images": (5, 20), "tools": (20, 100), "stream": (2000, 20000)}


def _history(count: int) -> list[tuple[str, str]]:
    roles = ("user", "assistant")
    return [(roles[n % 2], f"message {n} " + "w" * 200) for n in range(count - 1)] + [
        ("user", "and now?")
    ]


def _langchain_work(model: Any, kind: str, size: int) -> Callable[[], Any]:
    if kind == "history":
        return lambda: model.invoke(_history(size))
    if kind == "images":
        block = {"type": "image", "source_type": "base64", "data": IMAGE, "mime_type": "image/png"}
        content = [{"type": "text", "text": "Describe these."}] + [block] * size
        return lambda: model.invoke([("user", content)])
    if kind == "tools":
        tools = [_tool_schema(n) for n in range(size)]
        bound = model.bind_tools(tools)
        return lambda: bound.invoke("Which tool?")
    return lambda: sum(1 for _ in model.stream("Stream."))


def _tool_schema(number: int) -> dict[str, Any]:
    properties = {f"arg{k}": {"type": "string", "description": f"argument {k}"} for k in range(5)}
    return {
        "type": "function",
        "function": {
            "name": f"tool_{number}",
            "description": f"Tool number {number}.",
            "parameters": {"type": "object", "properties": properties, "required": ["arg0"]},
        },
    }


def _llama_work(llm: Any, kind: str, size: int) -> Callable[[], Any]:
    from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

    if kind == "history":
        messages = [ChatMessage(role=role, content=text) for role, text in _history(size)]
        return lambda: llm.chat(messages)
    if kind == "images":
        raw = base64.b64decode(IMAGE)
        blocks: list[Any] = [TextBlock(text="Describe these.")]
        blocks += [ImageBlock(image=raw, image_mimetype="image/png") for _ in range(size)]
        return lambda: llm.chat([ChatMessage(role="user", blocks=blocks)])
    if kind == "tools":
        tools = [_function_tool(n) for n in range(size)]
        return lambda: llm.chat_with_tools(tools, user_msg="Which tool?")
    message = [ChatMessage(role="user", content="Stream.")]
    return lambda: sum(1 for _ in llm.stream_chat(message))


def _function_tool(number: int) -> Any:
    from llama_index.core.tools import FunctionTool

    def tool(arg0: str, arg1: str = "", arg2: str = "", arg3: str = "", arg4: str = "") -> str:
        """A tool."""
        return arg0

    return FunctionTool.from_defaults(fn=tool, name=f"tool_{number}", description=f"Tool {number}.")


def _implementations(base_url: str) -> dict[str, Callable[[str, int], Callable[[], Any]]]:
    impls: dict[str, Callable[[str, int], Callable[[], Any]]] = {}
    try:
        from langchain_anyfast import ChatAnyfast

        ours = ChatAnyfast(model=MODEL, api_key=API_KEY, base_url=base_url)
        impls["ChatAnyfast"] = lambda kind, size: _langchain_work(ours, kind, size)
        from langchain_openai import ChatOpenAI

        anchor = ChatOpenAI(model=MODEL, api_key=API_KEY, base_url=base_url)  # type: ignore[arg-type]
        impls["ChatOpenAI"] = lambda kind, size: _langchain_work(anchor, kind, size)
    except ImportError:
        pass
    try:
        from llama_index_anyfast import Anyfast

        llm = Anyfast(model=MODEL, api_key=API_KEY, api_base=base_url)
        impls["Anyfast (LlamaIndex)"] = lambda kind, size: _llama_work(llm, kind, size)
        from llama_index.llms.openai_like import OpenAILike

        like = OpenAILike(
            model=MODEL,
            api_key=API_KEY,
            api_base=base_url,
            is_chat_model=True,
            is_function_calling_model=True,
        )
        impls["OpenAILike"] = lambda kind, size: _llama_work(like, kind, size)
    except ImportError:
        pass
    return impls


def _measure(work: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median client CPU seconds per call, and the traced peak MB of one more call."""
    work()  # warm up: connection, lazy imports, caches
    times = []
    for _ in range(repeat):
        start_cpu = time.process_time()
        work()
        times.append(time.process_time() - start_cpu)
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="implementation names to run")
    args = parser.parse_args()
    process, base_url = start()
    try:
        impls = _implementations(base_url)
        print(f"{'work':18} {'implementation':22} {'CPU ms':>9} {'peak MB':>8}")
        for kind, sizes in SIZES.items():
            for size in sizes:
                control(base_url, chunks=size if kind == "stream" else 100)
                for name, make in impls.items():
                    if args.only and name not in args.only:
                        continue
                    cpu, peak = _measure(make(kind, size), args.repeat)
                    print(f"{kind + ' ' + str(size):18} {name:22} {cpu * 1e3:9.1f} {peak:8.1f}")
    finally:
        process.terminate()


if __name__ == "__main__":
    main()
