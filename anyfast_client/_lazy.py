"""The clients a model owns: made on first use, reused, never pickled or shared by copies.

Every model class of the adapters holds one :class:`LazyClients`. Building a
model opens nothing; the first sync call makes the sync client and the first
async call the async one, from the model's settings at that moment. A pickled
or copied model gets an empty holder, so each process and each copy opens its
own connection pools, and closing one never breaks another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from ._client import AnyfastClient, AsyncAnyfastClient

__all__ = ["LazyClients"]

Settings = Callable[[], Mapping[str, Any]]


class LazyClients:
    """A sync and an async :class:`AnyfastClient`, each made when first asked for.

    Clients handed in at construction are the caller's: they are used, never
    closed here, and travel with a pickle (a client pickles without its key).
    """

    __slots__ = ("_async", "_given", "_lock", "_sync")

    def __init__(
        self, sync: AnyfastClient | None = None, async_: AsyncAnyfastClient | None = None
    ) -> None:
        self._sync = sync
        self._async = async_
        self._given = (sync, async_)
        self._lock = threading.Lock()

    @property
    def made_sync(self) -> AnyfastClient | None:
        """The sync client if there is one now; asking does not make it."""
        return self._sync

    @property
    def made_async(self) -> AsyncAnyfastClient | None:
        """The async client if there is one now; asking does not make it."""
        return self._async

    def sync(self, settings: Settings) -> AnyfastClient:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = AnyfastClient(**settings())
                client = self._sync
        return client

    def async_(self, settings: Settings) -> AsyncAnyfastClient:
        client = self._async
        if client is None:
            with self._lock:
                if self._async is None:
                    self._async = AsyncAnyfastClient(**settings())
                client = self._async
        return client

    def close(self) -> None:
        """Close the sync pool made here; a later call opens a new one."""
        with self._lock:
            client, self._sync = self._sync, self._given[0]
        if client is not None and client is not self._given[0]:
            client.close()

    async def aclose(self) -> None:
        """Close both pools made here (the async one belongs to the running event loop)."""
        with self._lock:
            client, self._async = self._async, self._given[1]
        if client is not None and client is not self._given[1]:
            await client.close()
        self.close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyClients, self._given)

    def __copy__(self) -> LazyClients:
        return LazyClients(*self._given)

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyClients:
        return LazyClients(*self._given)

    def __del__(self) -> None:
        # A model dropped without close() still gives its sync sockets back. An async
        # pool can only be closed on its event loop: the client closes it when the loop
        # shuts down its async generators, as asyncio.run() does.
        client = getattr(self, "_sync", None)
        if client is not None and client is not self._given[0]:
            client.close()

    def __repr__(self) -> str:
        made = [name for name, c in (("sync", self._sync), ("async", self._async)) if c]
        return f"LazyClients(open={made})"
