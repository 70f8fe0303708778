"""The fast-path tests test the fast paths: with ``ANYFAST_FAST_PATHS=0`` set for the whole
suite, they still run with the fast paths on, except where a test sets the switch itself.
(A builder settles at its first call, a decoder when it is made: both after this fixture.)"""

from __future__ import annotations

import pytest

from anyfast_client._fast import FAST_PATHS_VARIABLE


@pytest.fixture(autouse=True)
def _fast_paths_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FAST_PATHS_VARIABLE, raising=False)
