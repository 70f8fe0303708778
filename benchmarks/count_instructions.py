"""Per-chunk cost of a stream in instructions (callgrind), repeatable where seconds are not.

    python benchmarks/count_instructions.py --adapter langchain --way batched
    python benchmarks/count_instructions.py --adapter llama-index --way per-event --wall

The local test server runs in a process of its own and streams a 2,000-character answer
one character per chunk, its events written together (``batched``) or one write each
(``per-event``). The client runs under ``valgrind --tool=callgrind`` with counting off
through its imports and two warm-up streams; then ``--streams`` streams are counted, the
cycle collector off, and the instructions per chunk printed. Run it with one tree's
packages on ``PYTHONPATH`` to compare two trees with the same venv. ``--wall`` instead
times the streams without valgrind (median CPU µs per chunk).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CHUNKS = 2000


def serve(urls: Path) -> None:
    """The two servers (batched, per event) until killed; their URLs written to ``urls``."""
    from anyfast_client.testing import AnyfastTestServer, Reply

    found = []
    for coalesce in (True, False):

        def respond(request: dict, coalesce: bool = coalesce) -> Reply:
            if request.get("stream"):
                return Reply(content="x" * CHUNKS, chunk_size=1, coalesce=coalesce)
            return Reply(content="Hello")

        server = AnyfastTestServer(api_key="bench-key")
        server.__enter__()
        server.responder = respond
        found.append(server.base_url)
    urls.write_text("\n".join(found))
    while True:
        time.sleep(3600)


def stream_once(adapter: str, url: str) -> Callable[[], int]:
    """One stream of ``adapter``'s class from ``url``, giving its chunk count."""
    if adapter == "langchain":
        from langchain_anyfast import ChatAnyfast

        model = ChatAnyfast(api_key="bench-key", base_url=url)
        return lambda: sum(1 for _ in model.stream([("user", "Hello")]))
    from llama_index.core.llms import ChatMessage

    from llama_index_anyfast import Anyfast

    llm = Anyfast(api_key="bench-key", api_base=url)
    chat = [ChatMessage(role="user", content="Hello")]
    return lambda: sum(1 for _ in llm.stream_chat(chat))


def client(adapter: str, url: str, streams: int, signals: Path) -> None:
    """Under callgrind: warm up, say ready, wait for counting to start, stream, say done."""
    run = stream_once(adapter, url)
    run()
    run()
    gc.collect()
    gc.disable()
    (signals / "ready").write_text(str(os.getpid()))
    while not (signals / "go").exists():
        time.sleep(0.05)
    for _ in range(streams):
        run()
    (signals / "done").touch()
    while not (signals / "end").exists():
        time.sleep(0.05)


def wait_for(path: Path, process: subprocess.Popen[bytes]) -> None:
    while not path.exists():
        if process.poll() is not None:
            raise SystemExit(f"the client ended early (exit {process.returncode})")
        time.sleep(0.2)


def count(adapter: str, url: str, streams: int, work: Path) -> float:
    """Instructions per chunk of ``streams`` counted streams."""
    out = work / "callgrind.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}.%p",
        sys.executable,
        __file__,
        "--client",
        adapter,
        url,
        str(streams),
        str(work),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(work / "ready", process)
    pid = (work / "ready").read_text()
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    (work / "go").touch()
    wait_for(work / "done", process)
    subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    (work / "end").touch()
    process.wait()
    dumped = sorted(work.glob("callgrind.out.*.1"))[0].read_text().splitlines()
    total = next(
        int(line.split()[1]) for line in dumped if line.startswith(("summary:", "totals:"))
    )
    return total / streams / CHUNKS


def wall(adapter: str, url: str, streams: int) -> float:
    """Median CPU µs per chunk over ``streams`` streams, after one warm-up."""
    run = stream_once(adapter, url)
    run()
    times = []
    for _ in range(streams):
        started = time.process_time()
        run()
        times.append((time.process_time() - started) / CHUNKS * 1e6)
    return statistics.median(times)


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(Path(sys.argv[2]))
    if sys.argv[1:2] == ["--client"]:
        adapter, url, streams, work = sys.argv[2:6]
        client(adapter, url, int(streams), Path(work))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", choices=["langchain", "llama-index"], default="langchain")
    parser.add_argument("--way", choices=["batched", "per-event"], default="batched")
    parser.add_argument("--streams", type=int, default=3)
    parser.add_argument("--wall", action="store_true", help="time without valgrind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        urls = work / "urls"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(urls)])
        try:
            while not urls.exists():
                time.sleep(0.1)
            url = urls.read_text().split()[0 if args.way == "batched" else 1]
            if args.wall:
                print(f"{args.adapter} {args.way}: {wall(args.adapter, url, args.streams):.2f} µs")
            else:
                per_chunk = count(args.adapter, url, args.streams, work) / 1000
                print(f"{args.adapter} {args.way}: {per_chunk:.1f}k instructions per chunk")
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
