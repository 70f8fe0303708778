"""The offline route as a newcomer takes it, through subprocesses: no key, no network.

``python -m anyfast_client.testing`` serves the local server and prints what to export; code
reading only the environment then gets answers from it; Ctrl-C stops it cleanly; the probe
run against it finds nothing to report; the missing-key error points at it; and the notice
that an example runs offline goes to stderr, never into the answers on stdout.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from anyfast_client import MissingAPIKeyError
from langchain_anyfast import ChatAnyfast

pytestmark = pytest.mark.timeout(120)

COMMAND = [sys.executable, "-m", "anyfast_client.testing"]
USER_CODE = """
from langchain_anyfast import AnyfastEmbeddings, ChatAnyfast
from llama_index_anyfast import Anyfast

print(ChatAnyfast().invoke("What is the capital of France?").text)
print(len(AnyfastEmbeddings().embed_query("Paris")))
print(Anyfast().complete("Hello").text)
"""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ANYFAST_")}


@dataclass
class Running:
    process: subprocess.Popen[str]
    exports: dict[str, str]

    def stop(self, signum: int) -> tuple[int, str]:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=10)
        assert self.process.stderr is not None
        return code, self.process.stderr.read()


@pytest.fixture
def running() -> Iterator[Running]:
    command = [*COMMAND, "--port", "0"]
    pipe = subprocess.PIPE
    env = _clean_env()
    with subprocess.Popen(command, env=env, stdout=pipe, stderr=pipe, text=True) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        exports = {}
        for line in lines:
            assert line.startswith("export "), lines
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value
        yield Running(process, exports)
        if process.poll() is None:
            process.kill()


def test_the_command_prints_what_to_export(running: Running) -> None:
    exports = running.exports
    assert exports["ANYFAST_API_KEY"] == "test-key"
    assert exports["ANYFAST_BASE_URL"].startswith("http://127.0.0.1:")
    assert exports["ANYFAST_BASE_URL"].endswith("/v1")
    origin = exports["ANYFAST_BASE_URL"].removesuffix("/v1")
    assert exports["ANYFAST_EMBEDDINGS_BASE_URL"] == f"{origin}/api/v3"


def test_code_reading_only_the_environment_gets_answers(running: Running) -> None:
    done = subprocess.run(
        [sys.executable, "-c", USER_CODE],
        env={**_clean_env(), **running.exports},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer, dimension, completion = done.stdout.splitlines()
    assert "capital of France" in answer
    assert int(dimension) > 0
    assert "Hello" in completion


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "terminate"])
def test_ctrl_c_or_terminate_stops_it_cleanly(running: Running, signum: int) -> None:
    code, stderr = running.stop(signum)
    assert code == 0
    assert "Traceback" not in stderr
    assert "stopped" in stderr
    url = running.exports["ANYFAST_BASE_URL"].removeprefix("http://").removesuffix("/v1")
    host, port = url.split(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), 1):
        pass


def test_a_port_in_use_is_refused_naming_the_option() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*COMMAND, "--port", str(port)],
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "--port" in done.stderr and str(port) in done.stderr


def test_the_probe_finds_nothing_to_report_on_the_local_server(running: Running) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "anyfast_client.probe"],
        env={**_clean_env(), **running.exports},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert " differs" not in done.stdout, done.stdout
    assert "0 point(s) differ" in done.stdout
    assert "nothing to report" in done.stdout
    assert "Please report" not in done.stdout


def test_the_missing_key_error_names_the_offline_route(
    monkeypatch: pytest.MonkeyPatch, closing: Callable[..., Any]
) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match=r"python -m anyfast_client\.testing"):
        closing(ChatAnyfast).invoke("Hi")


def test_the_offline_notice_goes_to_stderr_not_into_the_answers() -> None:
    code = (
        "from anyfast_client.testing import live_or_local\n"
        "from langchain_anyfast import ChatAnyfast\n"
        "with live_or_local() as settings:\n"
        "    print(ChatAnyfast(**settings).invoke('Hello').text)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_clean_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ANYFAST_API_KEY is not set" in done.stderr
    assert "local test server" not in done.stdout
    assert len(done.stdout.splitlines()) == 1
