"""LazyClients: made on first use, reused, empty in pickles and copies, given clients kept."""

from __future__ import annotations

import asyncio
import copy
import pickle
from typing import Any

import httpx
import pytest

from anyfast_client import AnyfastClient, AsyncAnyfastClient
from anyfast_client._adapter import LazyClients

SETTINGS = {"api_key": "k", "base_url": "http://127.0.0.1:9/v1"}
made: list[str] = []


def settings() -> dict[str, Any]:
    made.append("settings")
    return SETTINGS


def test_nothing_is_made_until_asked_then_one_of_each_is_reused() -> None:
    made.clear()
    clients = LazyClients()
    assert (clients.made_sync, clients.made_async) == (None, None)
    sync = clients.sync(settings)
    assert clients.sync(settings) is sync and clients.made_sync is sync
    assert clients.made_async is None
    async_ = clients.async_(settings)
    assert clients.async_(settings) is async_
    assert made == ["settings", "settings"]
    assert (sync.base_url, async_.base_url) == (SETTINGS["base_url"],) * 2


@pytest.mark.parametrize(
    "duplicate", [None, copy.copy, copy.deepcopy], ids=["pickle", "copy", "deepcopy"]
)
def test_pickles_and_copies_hold_no_client(duplicate: Any) -> None:
    clients = LazyClients()
    clients.sync(settings)
    twin = pickle.loads(pickle.dumps(clients)) if duplicate is None else duplicate(clients)
    assert (twin.made_sync, twin.made_async) == (None, None)
    assert twin.sync(settings) is not clients.made_sync


def test_close_makes_a_new_pool_next_time() -> None:
    clients = LazyClients()
    first = clients.sync(settings)
    clients.close()
    assert clients.made_sync is None
    assert clients.sync(settings) is not first


def test_aclose_closes_both() -> None:
    async def main() -> None:
        clients = LazyClients()
        clients.sync(settings)
        clients.async_(settings)
        await clients.aclose()
        assert (clients.made_sync, clients.made_async) == (None, None)

    asyncio.run(main())


def test_given_clients_are_used_never_closed_and_travel() -> None:
    http = httpx.Client()
    given = AnyfastClient(api_key="k", http_client=http)
    given_async = AsyncAnyfastClient(api_key="k")
    clients = LazyClients(given, given_async)
    assert clients.sync(settings) is given and clients.async_(settings) is given_async
    clients.close()
    assert clients.made_sync is given and not http.is_closed
    assert copy.copy(clients).made_sync is given
    with pytest.raises(TypeError, match="own http_client cannot be pickled"):
        pickle.dumps(clients)
    http.close()
