"""The live probe, run end to end against the local server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from anyfast_client import probe
from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply

POINTS = (
    "thinking when enable_thinking is omitted",
    "usage details while thinking",
    "what max_completion_tokens caps",
    "thinking_budget",
    "preserve_thinking",
    "response_format json_schema",
    "json_object without the word json",
    "json_object while thinking",
    'tool_choice "required" while thinking',
    "streamed tool-call deltas",
    "top_p=0",
    "seed",
    "where fps goes",
    "error for a wrong key",
    "error for temperature=3",
    "stream order and usage chunk",
    "embedding dimension",
    'embeddings of ""',
    "embeddings batch of 256",
    "embeddings at /v1/embeddings",
)


@pytest.fixture
def live(anyfast_server: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch) -> AnyfastTestServer:
    """The environment a user sets, pointed at the local server."""
    monkeypatch.setenv("ANYFAST_API_KEY", anyfast_server.api_key or "")
    monkeypatch.setenv("ANYFAST_BASE_URL", anyfast_server.base_url)
    monkeypatch.delenv("ANYFAST_EMBEDDINGS_BASE_URL", raising=False)
    return anyfast_server


@pytest.fixture
def session(live: AnyfastTestServer) -> Iterator[probe.Probe]:
    made = probe.Probe()
    yield made
    made.close()


def run(argv: list[str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    return probe.main(argv or [], out=out), out.getvalue()


def test_every_point_is_settled_within_the_request_budget(live: AnyfastTestServer) -> None:
    code, printed = run(["--json", "--video-url", "https://example.com/clip.mp4"])

    findings = json.loads(printed)
    assert code == 0
    assert [f["point"] for f in findings] == list(POINTS)
    assert all(f["verdict"] != "not checked" for f in findings)
    assert 0 < len(live.requests) <= probe.MAX_REQUESTS


def test_the_table_prints_a_row_per_point(live: AnyfastTestServer) -> None:
    code, table = run()

    lines = table.splitlines()
    assert code == 0
    assert lines[0].split() == ["point", "expected", "observed", "verdict"]
    verdicts = ("as documented", "differs", "learned", "not checked")
    rows = [line for line in lines if line.endswith(verdicts)]
    assert len(rows) == len(POINTS)
    assert f"{len(live.requests)} requests sent" in table
    assert live.api_key and live.api_key not in table


def test_every_request_is_tiny(live: AnyfastTestServer) -> None:
    run()

    chats = [r.json for r in live.requests if r.path.endswith("/chat/completions")]
    assert chats and all(0 < body["max_completion_tokens"] <= 96 for body in chats)


def test_without_a_key_it_stops_before_any_request(
    live: AnyfastTestServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ANYFAST_API_KEY")

    code, table = run()

    assert code == 2 and table == ""
    assert "ANYFAST_API_KEY" in capsys.readouterr().err
    assert live.requests == []


def test_the_module_runs_as_a_script_without_a_key() -> None:
    env = {"PATH": "", "PYTHONPATH": ":".join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "anyfast_client.probe"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2
    assert "set ANYFAST_API_KEY" in done.stderr


def test_an_unreachable_api_exits_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANYFAST_API_KEY", "sk-probe-unreachable")
    monkeypatch.setenv("ANYFAST_BASE_URL", "http://127.0.0.1:9/v1")

    code, _ = run()

    err = capsys.readouterr().err
    assert code == 1 and "could not reach http://127.0.0.1:9/v1" in err
    assert "sk-probe-unreachable" not in err


def test_a_key_echoed_by_the_server_is_not_printed(live: AnyfastTestServer) -> None:
    echo = {"error": {"message": f"key {live.api_key} is not allowed here", "type": "x"}}
    live.enqueue(ErrorReply(400, echo))

    code, table = run()

    assert code == 0 and "is not allowed here" in " ".join(table.split())
    assert live.api_key and live.api_key not in table


def test_thinking_default_is_read_from_what_came_back(
    live: AnyfastTestServer, session: probe.Probe
) -> None:
    live.enqueue(Reply(content="4", reasoning="Two and two make four."))

    (finding,) = probe.check_thinking_default(session)

    assert "enable_thinking" not in live.last_request.json
    assert finding.observed.startswith("on") and finding.verdict == "differs"


def test_top_p_zero_goes_out_as_zero(live: AnyfastTestServer, session: probe.Probe) -> None:
    live.enqueue(Reply(content="hi"))

    (finding,) = probe.check_top_p_zero(session)

    assert live.last_request.json["top_p"] == 0
    assert finding.verdict == "as documented"


def test_fps_is_tried_in_both_places(live: AnyfastTestServer, session: probe.Probe) -> None:
    session.video_url = "https://example.com/clip.mp4"
    live.enqueue(Reply(content="a short clip"), ErrorReply(400))

    (finding,) = probe.check_fps(session)

    first, second = (r.json["messages"][0]["content"][1] for r in live.requests)
    assert first["video_url"]["fps"] == 2 and "fps" not in first
    assert second["fps"] == 2 and "fps" not in second["video_url"]
    assert "video_url.fps: accepted; part-level fps: HTTP 400" in finding.observed


def test_error_shapes_are_reported(live: AnyfastTestServer, session: probe.Probe) -> None:
    wrong_key, bad_value = probe.check_errors(session)

    assert wrong_key.observed.startswith("401") and wrong_key.verdict == "as documented"
    assert bad_value.observed.startswith("400") and "request id=yes" in bad_value.observed
    assert live.requests[1].json["temperature"] == 3


def test_an_html_error_page_differs_from_the_envelope(
    live: AnyfastTestServer, session: probe.Probe
) -> None:
    # The wrong key is refused before the queue is read: the page answers the second request.
    live.enqueue(ErrorReply(400, "<html><body>Bad Request</body></html>"))

    _, bad_value = probe.check_errors(session)

    assert bad_value.observed.startswith("400") and bad_value.verdict == "differs"


def test_preserve_thinking_compares_prompt_tokens(
    live: AnyfastTestServer, session: probe.Probe
) -> None:
    usage = {"prompt_tokens": 20, "completion_tokens": 1, "total_tokens": 21}
    more = {"prompt_tokens": 90, "completion_tokens": 1, "total_tokens": 91}
    live.enqueue(Reply(content="7", usage=usage), Reply(content="7", usage=more))

    (finding,) = probe.check_preserve_thinking(session)

    without, with_it = (r.json for r in live.requests)
    assert "preserve_thinking" not in without and with_it["preserve_thinking"] is True
    assert with_it["messages"][1]["reasoning_content"]
    assert finding.observed == "prompt_tokens 20 without it, 90 with it"
    assert finding.verdict == "as documented"


def test_a_spent_budget_stops_the_checks(live: AnyfastTestServer, session: probe.Probe) -> None:
    session.transport.limit = 3

    findings = probe.run_probe(session)

    assert len(live.requests) == 3
    assert findings[-1].verdict == "not checked" and findings[-1].observed == (
        "request budget spent"
    )
