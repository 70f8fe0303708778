"""One harness per module: building the models once keeps thousands of runs cheap."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._harness import Harness


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    made = Harness()
    yield made
    made.close()
