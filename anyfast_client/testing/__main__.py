"""Run the local Anyfast-compatible server on its own: ``python -m anyfast_client.testing``.

For your own code, a notebook or the probe without a key: it prints the variables to export
(stdout, one ``export`` line each) and serves until Ctrl-C. The answers come from the
deterministic simulation (see ``simulation``), not from a model.

    python -m anyfast_client.testing --port 8765
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Final

from anyfast_client._config import API_KEY_ENV, BASE_URL_ENV, EMBEDDINGS_BASE_URL_ENV
from anyfast_client.testing.server import AnyfastTestServer

DEFAULT_PORT: Final = 8765
DEFAULT_KEY: Final = "test-key"


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m anyfast_client.testing",
        description=(
            "Serve the local Anyfast-compatible test server (a deterministic simulation, "
            "no model) until Ctrl-C, and print the variables that point a client at it."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="default: %(default)s; 0 picks a free one"
    )
    parser.add_argument("--api-key", default=DEFAULT_KEY, help="the key it accepts")
    return parser.parse_args(argv)


def exports(server: AnyfastTestServer) -> list[str]:
    """The shell lines that point the package's clients at ``server``."""
    return [
        f"export {API_KEY_ENV}={server.api_key}",
        f"export {BASE_URL_ENV}={server.base_url}",
        f"export {EMBEDDINGS_BASE_URL_ENV}={server.origin}/api/v3",
    ]


def _stop_on_signals(stopped: threading.Event) -> None:
    # Set for SIGINT too: a shell starts background commands with Ctrl-C ignored.
    def handler(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    stopped = threading.Event()
    _stop_on_signals(stopped)
    server = AnyfastTestServer(api_key=args.api_key, host=args.host, port=args.port)
    try:
        server.start()
    except OSError as exc:
        print(
            f"anyfast test server: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
            "pick another port with --port, or --port 0 for a free one.",
            file=sys.stderr,
        )
        return 1
    print("\n".join(exports(server)), flush=True)
    print(
        f"Anyfast test server (a simulation, not a model) on {server.base_url}; "
        "export the lines above in another shell. Ctrl-C stops it.",
        file=sys.stderr,
        flush=True,
    )
    while not stopped.wait(0.5):
        pass
    server.stop()
    print("Anyfast test server stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
