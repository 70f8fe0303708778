"""The clients a model owns: made on first use, reused, never pickled or shared by copies.

Every model class of the adapters holds one :class:`LazyClients`. Building a
model opens nothing; the first sync call makes the sync client and the first
async call the async one, from the model's settings at that moment. A pickled
or copied model gets an empty holder, so each process and each copy opens its
own connection pools, and closing one never breaks another.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ._client import AnyfastClient, AsyncAnyfastClient
from ._config import resolve_api_key

__all__ = ["ClientOwner", "LazyClients"]

Settings = Callable[[], Mapping[str, Any]]
# Fields holding the user's own httpx clients, handed to the sync and async client.
_HTTP_FIELDS = frozenset({"http_client", "http_async_client"})


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


class ClientOwner:
    """What every model class shares: clients made from its settings, closing them, and
    pickles and copies that carry no key and no connection pool.

    Mix it in before the framework's base class. The subclass is a pydantic model with a
    private ``_clients: LazyClients`` attribute and the fields that ``_CLIENT_FIELDS``
    names (client setting -> field).
    """

    _CLIENT_FIELDS: ClassVar[Mapping[str, str]] = {
        name: name for name in ("api_key", "base_url", "timeout", "max_retries", "default_headers")
    }
    _clients: LazyClients

    def _client_settings(self, http_field: str = "") -> dict[str, Any]:
        settings = {setting: getattr(self, field) for setting, field in self._CLIENT_FIELDS.items()}
        http = getattr(self, http_field, None) if http_field else None
        if http is not None:
            settings["http_client"] = http
        return settings

    def _sync_client(self) -> AnyfastClient:
        return self._clients.sync(lambda: self._client_settings("http_client"))

    def _async_client(self) -> AsyncAnyfastClient:
        return self._clients.async_(lambda: self._client_settings("http_async_client"))

    def close(self) -> None:
        """Close the sync connection pool; a later call opens a new one."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close both connection pools (on the event loop the async one belongs to)."""
        await self._clients.aclose()

    def __getstate__(self) -> dict[Any, Any]:
        # The clients pickle empty; the key is left behind: workers read ANYFAST_API_KEY.
        # A user's httpx client holds sockets and locks: each process brings its own.
        parent: Any = super()
        state: dict[Any, Any] = dict(parent.__getstate__())
        fields = {**state["__dict__"], "api_key": None}
        for name in _HTTP_FIELDS & fields.keys():
            fields[name] = None
        state["__dict__"] = fields
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        parent: Any = super()
        parent.__setstate__(state)
        if getattr(self, "api_key", None) is None:
            object.__setattr__(self, "api_key", resolve_api_key(None))

    def __copy__(self) -> Any:
        # A copy makes its own pools: one closing (or being collected) never breaks another.
        parent: Any = super()
        twin = parent.__copy__()
        twin._clients = copy.copy(self._clients)
        return twin
