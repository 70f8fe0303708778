"""What a server adds to the API's reply and ChatOpenAI users read: ``system_fingerprint``
(OpenAI, llama.cpp's server) in ``response_metadata``, whole and streamed, and the
log-probabilities a server sends when asked for (``extra_body={"logprobs": True}``)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from langchain_anyfast import ChatAnyfast

LOGPROBS = {"content": [{"token": "Hi", "logprob": -0.25, "bytes": [72, 105], "top_logprobs": []}]}
WHOLE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "qwen3.6-flash",
    "system_fingerprint": "b7000-llama",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hi"},
            "finish_reason": "stop",
            "logprobs": LOGPROBS,
        }
    ],
}


def _chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {k: WHOLE[k] for k in ("id", "created", "model", "system_fingerprint")}
    return "data: " + json.dumps({**body, "object": "chat.completion.chunk", "choices": [choice]})


STREAM = "\n\n".join(
    [
        _chunk({"role": "assistant", "content": "H"}),
        _chunk({"content": "i"}, "stop"),
        "data: [DONE]",
    ]
)


def _model(body: str, content_type: str) -> ChatAnyfast:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, content=body + "\n\n")

    client = httpx.Client(transport=httpx.MockTransport(answer))
    return ChatAnyfast(api_key="k", base_url="http://anyfast.test/v1", http_client=client)


def test_a_whole_reply_keeps_the_fingerprint_and_the_logprobs() -> None:
    message = _model(json.dumps(WHOLE), "application/json").invoke("hi")
    assert message.content == "Hi"
    assert message.response_metadata["system_fingerprint"] == "b7000-llama"
    assert message.response_metadata["logprobs"] == LOGPROBS


def test_a_stream_keeps_the_fingerprint_once() -> None:
    chunks = list(_model(STREAM, "text/event-stream").stream("hi"))
    whole = sum(chunks[1:], chunks[0])
    assert whole.content == "Hi"
    assert whole.response_metadata["system_fingerprint"] == "b7000-llama"


def test_a_reply_without_them_names_neither() -> None:
    bare = {key: value for key, value in WHOLE.items() if key != "system_fingerprint"}
    bare["choices"] = [{k: v for k, v in WHOLE["choices"][0].items() if k != "logprobs"}]
    message = _model(json.dumps(bare), "application/json").invoke("hi")
    assert "system_fingerprint" not in message.response_metadata
    assert "logprobs" not in message.response_metadata
