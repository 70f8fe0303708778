"""The pure batching both embeddings adapters share: split, stand in for "", put back in order."""

import asyncio
import json

import httpx
import pytest

from anyfast_client import AnyfastError, AsyncAnyfastClient, BadRequestError, EmbeddingResponse
from anyfast_client._batching import EMPTY_TEXT_STAND_IN, batch_vectors, embedding_requests

from .conftest import KEY


def _response(*indices: int) -> EmbeddingResponse:
    data = [{"index": i, "embedding": [float(i)]} for i in indices]
    return EmbeddingResponse.model_validate({"data": data})


@pytest.mark.parametrize(
    ("count", "size", "expected"),
    [(0, 3, []), (1, 3, [1]), (3, 3, [3]), (4, 3, [3, 1]), (7, 2, [2, 2, 2, 1]), (5, 1, [1] * 5)],
)
def test_requests_hold_at_most_batch_size_texts(count: int, size: int, expected: list[int]) -> None:
    texts = [f"t{i}" for i in range(count)]
    requests = embedding_requests(texts, batch_size=size)
    assert [len(r.input) for r in requests] == expected
    assert [text for r in requests for text in r.input] == texts


def test_empty_text_is_sent_as_the_stand_in() -> None:
    (request,) = embedding_requests(["", "a", ""], batch_size=8, model="m", dimensions=4)
    assert request.input == [EMPTY_TEXT_STAND_IN, "a", EMPTY_TEXT_STAND_IN]
    assert request.to_body() == {"model": "m", "input": [" ", "a", " "], "dimensions": 4}


def test_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        embedding_requests(["a"], batch_size=0)


def test_vectors_follow_index_within_and_across_batches() -> None:
    requests = embedding_requests(["a", "b", "c"], batch_size=2)
    vectors = batch_vectors(requests, [_response(1, 0), _response(0)])
    assert vectors == [[0.0], [1.0], [0.0]]


@pytest.mark.parametrize("indices", [(0,), (0, 0), (0, 2), (1, 2), (0, 1, 2)])
def test_a_wrong_set_of_indices_is_an_error(indices: tuple[int, ...]) -> None:
    requests = embedding_requests(["a", "b"], batch_size=2)
    with pytest.raises(AnyfastError, match="Asked for 2 embeddings"):
        batch_vectors(requests, [_response(*indices)])


# --------------------------------------------------------------------------- many batches at once


def _embeddings_server(
    fail_on: str | None = None,
) -> tuple[httpx.AsyncClient, dict[str, int]]:
    """Answers each batch after a pause that shrinks with its place: later batches finish first."""
    state = {"in_flight": 0, "most": 0, "calls": 0}

    async def reply(req: httpx.Request) -> httpx.Response:
        texts = json.loads(req.content)["input"]
        state["calls"] += 1
        state["in_flight"] += 1
        state["most"] = max(state["most"], state["in_flight"])
        try:
            await asyncio.sleep(0.05 / int(texts[0].split("-")[0]))
        finally:
            state["in_flight"] -= 1
        if texts[0] == fail_on:
            return httpx.Response(400, json={"error": {"message": "bad batch"}})
        data = [{"index": i, "embedding": [float(t.split("-")[1])]} for i, t in enumerate(texts)]
        return httpx.Response(200, json={"data": data})

    return httpx.AsyncClient(transport=httpx.MockTransport(reply)), state


def _texts(count: int) -> list[str]:
    return [f"{number + 1}-{number}" for number in range(count)]


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_embeddings_many_keeps_input_order_with_at_most_concurrency_in_flight(
    concurrency: int,
) -> None:
    http, state = _embeddings_server()
    requests = embedding_requests(_texts(20), batch_size=2)

    async def main() -> list[EmbeddingResponse]:
        client = AsyncAnyfastClient(api_key=KEY, http_client=http)
        return await client.embeddings_many(requests, concurrency=concurrency)

    vectors = batch_vectors(requests, asyncio.run(main()))
    assert vectors == [[float(n)] for n in range(20)]
    assert state["most"] == concurrency and state["calls"] == 10


def test_embeddings_many_raises_the_first_failure_and_stops_the_rest() -> None:
    http, state = _embeddings_server(fail_on="3-2")
    requests = embedding_requests(_texts(40), batch_size=2)

    async def main() -> None:
        client = AsyncAnyfastClient(api_key=KEY, http_client=http, max_retries=0)
        await client.embeddings_many(requests, concurrency=4)

    with pytest.raises(BadRequestError, match="bad batch"):
        asyncio.run(main())
    assert state["calls"] < len(requests) and state["in_flight"] == 0


def test_embeddings_many_with_nothing_to_do_and_a_bad_concurrency() -> None:
    client = AsyncAnyfastClient(api_key=KEY)
    assert asyncio.run(client.embeddings_many([])) == []
    with pytest.raises(ValueError, match="concurrency must be 1 or more"):
        asyncio.run(client.embeddings_many([], concurrency=0))
