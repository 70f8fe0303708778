"""Settle what is still a guess about the live API: ``python -m anyfast_client.probe``.

With ``ANYFAST_API_KEY`` set (and ``ANYFAST_BASE_URL`` for another endpoint), it sends
at most :data:`MAX_REQUESTS` tiny requests and prints, for every point the documentation
marks probable or unknown, what was expected and what the server did. The key is never
printed: the report is scrubbed of it, and a wrong key is made up for the 401 check.
Against the local test server (``python -m anyfast_client.testing``) every point is as
documented, and the closing line says there is nothing to report.

Some checks send a body the request models would refuse or never produce (``top_p=0``,
an out-of-range temperature, no ``enable_thinking``, ``fps`` beside ``video_url``): the
probe edits those bodies in its own transport, after the client has built them. It uses
the package's public API only, as any user's script would.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

import httpx

from anyfast_client import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_MODEL,
    AnyfastClient,
    AnyfastError,
    APIConnectionError,
    APIStatusError,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    EmbeddingRequest,
    EmbeddingResponse,
    Message,
    TextPart,
    UserMessage,
    VideoPart,
    VideoURL,
)

__all__ = ["MAX_REQUESTS", "Finding", "main", "render", "run_probe", "summary"]

MAX_REQUESTS = 25
_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
_WRONG_KEY = "anyfast-probe-wrong-key"
_BATCH = 256
_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "schema": {
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
        },
    },
}
_EARLIER_REASONING = " ".join(["The user wants a number; seven is a fine choice."] * 8)

Body = dict[str, Any]
Patch = Callable[[Body], None]


@dataclasses.dataclass(frozen=True)
class Finding:
    """One row of the report; ``verdict`` is as documented, differs, learned or not checked."""

    point: str
    expected: str
    observed: str
    verdict: str


class _Budget(Exception):
    """The probe has sent all the requests it may."""


class _PatchingTransport(httpx.BaseTransport):
    """Counts requests and applies the current patch to each JSON body on its way out."""

    def __init__(self, limit: int) -> None:
        self._inner = httpx.HTTPTransport()
        self.limit = limit
        self.sent = 0
        self.patch: Patch | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.sent >= self.limit:
            raise _Budget
        self.sent += 1
        if self.patch is not None:
            request = _patched(request, self.patch)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _patched(request: httpx.Request, patch: Patch) -> httpx.Request:
    body = json.loads(request.content)
    patch(body)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    content = json.dumps(body, ensure_ascii=False).encode()
    return httpx.Request(
        request.method, request.url, headers=headers, content=content, extensions=request.extensions
    )


# --------------------------------------------------------------------------- the session


class Probe:
    """The clients the checks share, and the one place a request goes out."""

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        embedding_model: str = "doubao-embedding",
        video_url: str | None = None,
        base_url: str | None = None,
    ) -> None:
        self.model = model
        self.embedding_model = embedding_model
        self.video_url = video_url
        self.transport = _PatchingTransport(MAX_REQUESTS)
        self._http = httpx.Client(transport=self.transport, timeout=_TIMEOUT)
        shared: dict[str, Any] = {"http_client": self._http, "max_retries": 0, "timeout": _TIMEOUT}
        self.client = AnyfastClient(base_url=base_url, **shared)
        self.wrong_key_client = AnyfastClient(base_url=base_url, api_key=_WRONG_KEY, **shared)
        self.v1_embeddings = AnyfastClient(
            base_url=base_url, embeddings_base_url=self.client.base_url, **shared
        )

    def close(self) -> None:
        self._http.close()

    @contextmanager
    def patching(self, patch: Patch | None) -> Iterator[None]:
        self.transport.patch = patch
        try:
            yield
        finally:
            self.transport.patch = None

    def request(self, messages: Sequence[Message], **fields: Any) -> ChatRequest:
        return ChatRequest(model=self.model, messages=list(messages), **fields)

    def chat(
        self, request: ChatRequest, patch: Patch | None = None, client: AnyfastClient | None = None
    ) -> ChatCompletion | APIStatusError:
        with self.patching(patch):
            try:
                return (client or self.client).chat(request)
            except APIStatusError as exc:
                return exc

    def stream(self, request: ChatRequest) -> list[ChatCompletionChunk] | APIStatusError:
        try:
            with self.client.chat_stream(request) as chunks:
                return list(chunks)
        except APIStatusError as exc:
            return exc

    def embed(
        self, texts: str | list[str], client: AnyfastClient | None = None
    ) -> EmbeddingResponse | APIStatusError:
        try:
            request = EmbeddingRequest(model=self.embedding_model, input=texts)
            return (client or self.client).embeddings(request)
        except APIStatusError as exc:
            return exc


Check = Callable[[Probe], list[Finding]]


def _ask(text: str) -> list[Message]:
    return [UserMessage(content=text)]


def _failed(error: APIStatusError) -> str:
    return f"HTTP {error.status_code}: {error.message}"


def _reasoning(completion: ChatCompletion) -> str:
    return (completion.choices[0].message.reasoning_content or "") if completion.choices else ""


def _content(completion: ChatCompletion) -> str:
    return (completion.choices[0].message.content or "") if completion.choices else ""


def _verdict(ok: bool) -> str:
    return "as documented" if ok else "differs"


# --------------------------------------------------------------------------- thinking


def check_thinking_default(probe: Probe) -> list[Finding]:
    def omit(body: Body) -> None:
        body.pop("enable_thinking", None)

    request = probe.request(_ask("What is 2+2? Answer with one number."), max_completion_tokens=48)
    result = probe.chat(request, patch=omit)
    expected = "off: Anyfast documents false (upstream Qwen thinks by default) [P]"
    if isinstance(result, APIStatusError):
        return [
            Finding(
                "thinking when enable_thinking is omitted", expected, _failed(result), "differs"
            )
        ]
    thinks = bool(_reasoning(result))
    observed = "on: reasoning_content came back" if thinks else "off: no reasoning_content"
    return [
        Finding(
            "thinking when enable_thinking is omitted", expected, observed, _verdict(not thinks)
        )
    ]


def check_usage_and_cap(probe: Probe) -> list[Finding]:
    limit = 48
    request = probe.request(
        _ask("Why is the sky blue? One sentence."),
        enable_thinking=True,
        max_completion_tokens=limit,
    )
    result = probe.chat(request)
    if isinstance(result, APIStatusError):
        observed = _failed(result)
        return [
            Finding("usage details while thinking", "reasoning_tokens [U]", observed, "differs"),
            Finding("what max_completion_tokens caps", "[U]", observed, "not checked"),
        ]
    return [_usage_finding(result), _cap_finding(result, limit)]


def _usage_finding(completion: ChatCompletion) -> Finding:
    usage = completion.usage
    expected = "usage with prompt_tokens_details; completion_tokens_details.reasoning_tokens [U]"
    if usage is None:
        return Finding("usage details while thinking", expected, "no usage object", "differs")
    details = usage.completion_tokens_details
    reasoning = details.reasoning_tokens if details is not None else None
    prompt = usage.prompt_tokens_details
    prompt_keys = sorted((prompt.model_dump(exclude_none=True) if prompt else {}).keys())
    observed = (
        f"prompt={usage.prompt_tokens} completion={usage.completion_tokens} "
        f"total={usage.total_tokens}; reasoning_tokens="
        f"{'absent' if reasoning is None else reasoning}; prompt_tokens_details={prompt_keys}"
    )
    consistent = usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    return Finding("usage details while thinking", expected, observed, _verdict(consistent))


def _cap_finding(completion: ChatCompletion, limit: int) -> Finding:
    usage = completion.usage
    finish = completion.choices[0].finish_reason if completion.choices else None
    thought = bool(_reasoning(completion))
    completion_tokens = usage.completion_tokens if usage else 0
    if thought and finish == "length" and completion_tokens <= limit:
        observed = f"thinking plus answer: {completion_tokens} <= {limit} tokens, finish=length"
    elif thought and completion_tokens > limit:
        observed = f"the answer alone: {completion_tokens} > {limit} tokens with thinking"
    else:
        observed = f"unsettled: finish={finish}, completion_tokens={completion_tokens}"
    expected = f"[U] (sent {limit} with thinking on)"
    return Finding("what max_completion_tokens caps", expected, observed, "learned")


def check_thinking_budget(probe: Probe) -> list[Finding]:
    budget = 8
    request = probe.request(
        _ask("Why is the sky blue? One sentence."),
        enable_thinking=True,
        thinking_budget=budget,
        max_completion_tokens=96,
    )
    result = probe.chat(request)
    expected = f"passed through: reasoning capped near {budget} tokens [P]"
    if isinstance(result, APIStatusError):
        return [Finding("thinking_budget", expected, _failed(result), "differs")]
    details = result.usage.completion_tokens_details if result.usage else None
    spent = details.reasoning_tokens if details else None
    words = len(_reasoning(result).split())
    if spent is None:
        observed = f"accepted; {words} words of reasoning (no reasoning_tokens)"
        capped = words <= 2 * budget
    else:
        observed = f"accepted; reasoning_tokens={spent}"
        capped = spent <= 2 * budget
    return [Finding("thinking_budget", expected, observed, _verdict(capped))]


def check_preserve_thinking(probe: Probe) -> list[Finding]:
    history: list[Message] = [
        UserMessage(content="Pick a number."),
        AssistantMessage(content="7", reasoning_content=_EARLIER_REASONING),
        UserMessage(content="Say it again."),
    ]
    counts: list[int | str] = []
    for preserve in (False, True):
        fields: dict[str, Any] = {"max_completion_tokens": 8}
        if preserve:
            fields["preserve_thinking"] = True
        result = probe.chat(probe.request(history, **fields))
        counts.append(_failed(result) if isinstance(result, APIStatusError) else _prompt(result))
    expected = "accepted; earlier reasoning counts in prompt_tokens only with it [P]"
    without, with_it = counts
    if isinstance(without, str) or isinstance(with_it, str):
        observed = f"without: {without}; with: {with_it}"
        return [Finding("preserve_thinking", expected, observed, "differs")]
    observed = f"prompt_tokens {without} without it, {with_it} with it"
    return [Finding("preserve_thinking", expected, observed, _verdict(with_it > without))]


def _prompt(completion: ChatCompletion) -> int:
    return completion.usage.prompt_tokens if completion.usage else 0


# --------------------------------------------------------------------------- output formats


def check_json_schema(probe: Probe) -> list[Finding]:
    request = probe.request(
        _ask("Give the number 2 as a JSON object with the key n."),
        response_format=_SCHEMA,
        max_completion_tokens=32,
    )
    result = probe.chat(request)
    expected = "[U] passed through: the answer is JSON matching the schema"
    if isinstance(result, APIStatusError):
        return [Finding("response_format json_schema", expected, _failed(result), "learned")]
    try:
        parsed = json.loads(_content(result))
    except ValueError:
        observed = f"accepted, but the answer is not JSON: {_content(result)[:60]!r}"
        return [Finding("response_format json_schema", expected, observed, "learned")]
    ok = isinstance(parsed, dict) and isinstance(parsed.get("n"), int)
    observed = f"accepted; answer {json.dumps(parsed)[:60]}"
    return [
        Finding("response_format json_schema", expected, observed, "learned" if ok else "differs")
    ]


def check_json_object_rules(probe: Probe) -> list[Finding]:
    json_mode = {"type": "json_object"}
    no_word = probe.request(
        _ask("Give the number 2."), response_format=json_mode, max_completion_tokens=16
    )
    thinking = probe.request(
        _ask("Give the number 2 as JSON."),
        response_format=json_mode,
        enable_thinking=True,
        max_completion_tokens=16,
    )
    return [
        _rejection("json_object without the word json", probe.chat(no_word)),
        _rejection("json_object while thinking", probe.chat(thinking)),
    ]


def _rejection(point: str, result: ChatCompletion | APIStatusError) -> Finding:
    expected = "rejected with 400 [P]"
    if isinstance(result, APIStatusError):
        return Finding(point, expected, _failed(result), _verdict(result.status_code == 400))
    return Finding(point, expected, f"accepted: {_content(result)[:60]!r}", "differs")


# --------------------------------------------------------------------------- tools


def check_forced_tool_with_thinking(probe: Probe) -> list[Finding]:
    request = probe.request(
        _ask("What is the weather in Paris?"),
        enable_thinking=True,
        tools=[_WEATHER_TOOL],
        tool_choice="required",
        max_completion_tokens=64,
    )
    return [_rejection('tool_choice "required" while thinking', probe.chat(request))]


def check_tool_call_stream(probe: Probe) -> list[Finding]:
    request = probe.request(
        _ask("What is the weather in Paris?"),
        tools=[_WEATHER_TOOL],
        tool_choice="required",
        max_completion_tokens=64,
    )
    result = probe.stream(request)
    expected = "name in one delta, arguments in parts; the id may repeat in every delta [P]"
    if isinstance(result, APIStatusError):
        return [Finding("streamed tool-call deltas", expected, _failed(result), "differs")]
    deltas = [d for c in result for ch in c.choices for d in ch.delta.tool_calls or []]
    with_id = sum(1 for d in deltas if d.id)
    with_name = sum(1 for d in deltas if d.function and d.function.name)
    with_args = sum(1 for d in deltas if d.function and d.function.arguments)
    observed = (
        f"{len(deltas)} deltas: id in {with_id}, name in {with_name}, arguments in {with_args}"
    )
    return [Finding("streamed tool-call deltas", expected, observed, _verdict(with_name >= 1))]


# --------------------------------------------------------------------------- sampling


def check_top_p_zero(probe: Probe) -> list[Finding]:
    def zero(body: Body) -> None:
        body["top_p"] = 0

    result = probe.chat(probe.request(_ask("Say hi."), max_completion_tokens=8), patch=zero)
    expected = "accepted (documented 0..1; the gateway clamps 0 to 0.01) [P]"
    if isinstance(result, APIStatusError):
        return [Finding("top_p=0", expected, _failed(result), "differs")]
    return [Finding("top_p=0", expected, f"accepted: {_content(result)[:40]!r}", "as documented")]


def check_seed(probe: Probe) -> list[Finding]:
    answers: list[str] = []
    for _ in range(2):
        request = probe.request(
            _ask("Write one random English word."),
            seed=7,
            temperature=1.0,
            max_completion_tokens=12,
        )
        result = probe.chat(request)
        answers.append(_failed(result) if isinstance(result, APIStatusError) else _content(result))
    same = answers[0] == answers[1]
    observed = f"{'the same answer twice' if same else 'different answers'}: {answers[0][:30]!r}"
    return [Finding("seed", "[U] passed through: same seed, same answer", observed, "learned")]


# --------------------------------------------------------------------------- video


def check_fps(probe: Probe) -> list[Finding]:
    expected = "[U]; Anyfast's page for other vendors puts it in video_url.fps"
    video_url = probe.video_url
    if video_url is None:
        observed = "skipped: pass --video-url with a short https mp4"
        return [Finding("where fps goes", expected, observed, "not checked")]

    def beside(body: Body) -> None:
        part = body["messages"][0]["content"][1]
        part["fps"] = part["video_url"].pop("fps")

    results = []
    for patch in (None, beside):
        video = VideoPart(video_url=VideoURL(url=video_url, fps=2))
        message = UserMessage(content=[TextPart(text="Describe it in three words."), video])
        request = probe.request([message], max_completion_tokens=16)
        result = probe.chat(request, patch=patch)
        results.append(_failed(result) if isinstance(result, APIStatusError) else "accepted")
    observed = f"video_url.fps: {results[0]}; part-level fps: {results[1]}"
    return [Finding("where fps goes", expected, observed, "learned")]


# --------------------------------------------------------------------------- errors


def check_errors(probe: Probe) -> list[Finding]:
    request = probe.request(_ask("Say hi."), max_completion_tokens=8)
    wrong_key = probe.chat(request, client=probe.wrong_key_client)

    def out_of_range(body: Body) -> None:
        body["temperature"] = 3

    bad_value = probe.chat(request, patch=out_of_range)
    return [
        _error_finding("error for a wrong key", 401, wrong_key),
        _error_finding("error for temperature=3", 400, bad_value),
    ]


def _error_finding(point: str, status: int, result: ChatCompletion | APIStatusError) -> Finding:
    expected = f'{status} in {{"error":{{"message","type","code"}}}}; a request id may come [C/P]'
    if not isinstance(result, APIStatusError):
        return Finding(point, expected, "accepted", "differs")
    observed = (
        f"{result.status_code}; type={result.type!r} code={result.code!r} "
        f"request id={'yes' if result.request_id else 'none'}; {result.message[:80]!r}"
    )
    enveloped = _is_envelope(result.body)
    return Finding(point, expected, observed, _verdict(result.status_code == status and enveloped))


def _is_envelope(body: str) -> bool:
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    error = payload.get("error") if isinstance(payload, dict) else None
    return isinstance(error, dict) and isinstance(error.get("message"), str)


# --------------------------------------------------------------------------- streams


def check_stream_shape(probe: Probe) -> list[Finding]:
    request = probe.request(_ask("Name a colour."), enable_thinking=True, max_completion_tokens=48)
    result = probe.stream(request)
    expected = "reasoning deltas before content; usage only on a last chunk with no choices [P]"
    if isinstance(result, APIStatusError):
        return [Finding("stream order and usage chunk", expected, _failed(result), "differs")]
    kinds = [_delta_kind(c) for c in result]
    order = [k for k in kinds if k in ("reasoning", "content")]
    ordered = order == sorted(order, key=lambda k: k == "content")
    with_usage = [c for c in result if c.usage is not None]
    last_only = len(with_usage) == 1 and with_usage[0] is result[-1] and not result[-1].choices
    observed = (
        f"{len(result)} chunks; reasoning then content: {ordered}; "
        f"usage on {len(with_usage)} chunk(s), last with no choices: {last_only}"
    )
    return [
        Finding("stream order and usage chunk", expected, observed, _verdict(ordered and last_only))
    ]


def _delta_kind(chunk: ChatCompletionChunk) -> str:
    delta = chunk.choices[0].delta if chunk.choices else None
    if delta is not None and delta.reasoning_content:
        return "reasoning"
    if delta is not None and delta.content:
        return "content"
    return "other"


# --------------------------------------------------------------------------- embeddings


def check_embeddings(probe: Probe) -> list[Finding]:
    one = probe.embed("hello")
    empty = probe.embed([""])
    batch = probe.embed(["a"] * _BATCH)
    v1 = probe.embed("hello", client=probe.v1_embeddings)
    return [
        _dimension_finding(one),
        _accepted('embeddings of ""', "[U]", empty),
        _accepted(f"embeddings batch of {_BATCH}", "[U] batch size limit", batch),
        _accepted("embeddings at /v1/embeddings", "[U] whether it exists", v1),
    ]


def _dimension_finding(result: EmbeddingResponse | APIStatusError) -> Finding:
    expected = "[U] per model; read from the first response"
    if isinstance(result, APIStatusError):
        return Finding("embedding dimension", expected, _failed(result), "differs")
    vectors = result.vectors()
    observed = f"{len(vectors[0])} floats" if vectors else "no vector came back"
    return Finding("embedding dimension", expected, observed, "learned")


def _accepted(point: str, expected: str, result: EmbeddingResponse | APIStatusError) -> Finding:
    if isinstance(result, APIStatusError):
        return Finding(point, expected, _failed(result), "learned")
    return Finding(point, expected, f"accepted: {len(result.data)} vector(s)", "learned")


# --------------------------------------------------------------------------- running


_CHECKS: tuple[Check, ...] = (
    check_thinking_default,
    check_usage_and_cap,
    check_thinking_budget,
    check_preserve_thinking,
    check_json_schema,
    check_json_object_rules,
    check_forced_tool_with_thinking,
    check_tool_call_stream,
    check_top_p_zero,
    check_seed,
    check_fps,
    check_errors,
    check_stream_shape,
    check_embeddings,
)


def run_probe(probe: Probe) -> list[Finding]:
    """Every check in turn; a check the budget or the network stops is reported, not raised."""
    findings: list[Finding] = []
    for check in _CHECKS:
        try:
            findings += check(probe)
        except _Budget:
            findings.append(Finding(_name(check), "-", "request budget spent", "not checked"))
        except AnyfastError as exc:
            if isinstance(exc, APIConnectionError) and not findings:
                raise
            findings.append(
                Finding(_name(check), "-", f"{type(exc).__name__}: {exc}", "not checked")
            )
    return findings


def _name(check: Check) -> str:
    return check.__name__.removeprefix("check_").replace("_", " ")


_WIDTHS = (30, 40, 52, 13)


def render(findings: Sequence[Finding], *, secret: str = "") -> str:
    """The findings as a fixed-width table; ``secret`` never appears in it."""
    header = Finding("point", "expected", "observed", "verdict")
    lines = [*_row_lines(header), "  ".join("-" * w for w in _WIDTHS)]
    for finding in findings:
        lines += _row_lines(finding)
    text = "\n".join(lines)
    return text.replace(secret, "[key]") if secret else text


def _row_lines(row: Finding) -> list[str]:
    """One finding as lines: each cell wrapped to its column, shorter cells padded."""
    texts = (row.point, row.expected, row.observed, row.verdict)
    cells = [textwrap.wrap(text, width) or [""] for text, width in zip(texts, _WIDTHS, strict=True)]
    height = max(len(cell) for cell in cells)
    return [
        "  ".join(
            (cell[i] if i < len(cell) else "").ljust(width)
            for cell, width in zip(cells, _WIDTHS, strict=True)
        ).rstrip()
        for i in range(height)
    ]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="anyfast-probe",
        description=(
            f"Check the live API against what is documented. Reads {API_KEY_ENV} and "
            f"{BASE_URL_ENV}; sends at most {MAX_REQUESTS} tiny requests."
        ),
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--embedding-model", default="doubao-embedding")
    parser.add_argument("--video-url", default=None, help="a short https mp4, for the fps check")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the probe; 0 when it ran, 1 when the API could not be reached, 2 without a key."""
    args = _arguments(argv)
    out = out or sys.stdout
    key = os.environ.get(API_KEY_ENV, "")
    if not key:
        print(f"anyfast-probe: set {API_KEY_ENV} to your Anyfast API key first.", file=sys.stderr)
        return 2
    probe = Probe(model=args.model, embedding_model=args.embedding_model, video_url=args.video_url)
    try:
        findings = run_probe(probe)
    except APIConnectionError as exc:
        print(f"anyfast-probe: could not reach {probe.client.base_url}: {exc}", file=sys.stderr)
        return 1
    finally:
        probe.close()
    if args.json:
        rows = [dataclasses.asdict(finding) for finding in findings]
        print(json.dumps(rows, indent=2).replace(key, "[key]"), file=out)
        return 0
    print(render(findings, secret=key), file=out)
    print(f"\n{summary(findings, probe.transport.sent, str(probe.client.base_url))}", file=out)
    return 0


def summary(findings: Sequence[Finding], sent: int, base_url: str) -> str:
    """The closing line: what differs, and whether the table is worth reporting."""
    differ = sum(1 for f in findings if f.verdict == "differs")
    counted = f"{sent} requests sent; {differ} point(s) differ from the documentation."
    if not _on_this_machine(base_url):
        return f"{counted} Please report the table to the project."
    # The local test server implements what is documented and simulates the rest: its
    # learned rows say nothing about the live API.
    if differ:
        return (
            f"{counted} {base_url} is on this machine: if it is the local test server "
            "(python -m anyfast_client.testing), please report the rows that differ."
        )
    return (
        f"{counted} {base_url} is on this machine: if it is the local test server "
        "(python -m anyfast_client.testing), its answers are simulated; nothing to report."
    )


def _on_this_machine(base_url: str) -> bool:
    host = httpx.URL(base_url).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    sys.exit(main())
