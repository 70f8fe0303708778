"""A local Anyfast-compatible HTTP server for tests, examples and your own test suites.

It speaks the wire format of ``/v1/chat/completions`` (whole and streamed), ``/v1/models`` and
``/api/v3/embeddings``, checks auth and parameters like the real endpoint, and answers from a
queue of scripted replies or, when the queue is empty, from a deterministic simulated model.

    from anyfast_client.testing import AnyfastTestServer, ErrorReply, Reply

    with AnyfastTestServer(api_key="test-key") as server:
        server.enqueue(ErrorReply(status=429, headers={"Retry-After": "0"}), Reply(content="hi"))
        ...  # point a client at server.base_url with api_key="test-key"
        assert server.last_request.json["model"] == "qwen3.6-flash"

Without a script, a simulation answers from the prompt itself (see ``simulation``): good
for examples, never for asserting wording. ``python -m anyfast_client.testing`` runs the
server on its own and prints the variables to export (see ``__main__``).
``server.responder = echo`` answers each request with its last user message, for tests that
check which prompt got which answer.

Modules: ``server`` (HTTP and connections), ``rendering`` (bodies and SSE events),
``simulation`` (the simulated model), ``checks`` (request validation), ``replies`` (what a
test scripts: ``Reply``, ``ScriptedToolCall``, ``ErrorReply``) and ``pytest_plugin`` (the
``anyfast_server`` fixture).
"""

from anyfast_client.testing.replies import ErrorReply, Reply, Responder, ScriptedToolCall
from anyfast_client.testing.server import AnyfastTestServer, RecordedRequest, live_or_local
from anyfast_client.testing.simulation import echo, simulate

__all__ = [
    "AnyfastTestServer",
    "ErrorReply",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedToolCall",
    "echo",
    "live_or_local",
    "simulate",
]
