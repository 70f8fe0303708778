"""The pure batching both embeddings adapters share: split, stand in for "", put back in order."""

import pytest

from anyfast_client import AnyfastError, EmbeddingResponse
from anyfast_client._batching import EMPTY_TEXT_STAND_IN, batch_vectors, embedding_requests


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
