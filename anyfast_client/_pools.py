"""The async client's connection pools: one per event loop, each closed with its loop.

A pool is never replaced while its loop lives: a nested loop (LlamaIndex runs one in a
thread from sync code) must not close the outer loop's streams. The pool is httpx on
aiohttp's pool when aiohttp is installed (``_aiohttp``), which holds a thousand calls in
flight where httpcore's slows down, else httpcore's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator

import httpx

__all__ = ["LIMITS", "LoopPools"]

logger = logging.getLogger("anyfast_client")

#: The limits of every pool the clients make.
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
# An event loop's connection pool and the generator that closes it with that loop.
_LoopPool = tuple[httpx.AsyncClient, AsyncGenerator[None, None]]


class LoopPools:
    """The pools of one client, by event loop; each made on that loop's first call."""

    __slots__ = ("_pools",)

    def __init__(self) -> None:
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}

    async def get(self, timeout: httpx.Timeout) -> httpx.AsyncClient:
        """The running loop's pool, with the guard that closes it when that loop shuts down."""
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            self._forget_closed_loops()
            http = _async_pool(timeout)
            pool = self._pools[loop] = (http, _close_with_loop(http))
            await anext(pool[1])
        return pool[0]

    def _forget_closed_loops(self) -> None:
        # A loop closed without shutdown_asyncgens() (loop.close() alone) never let its
        # pool close; its sockets can no longer be closed cleanly, only dropped.
        for loop in [loop for loop in list(self._pools) if loop.is_closed()]:
            self._pools.pop(loop, None)

    async def close(self) -> None:
        """Close the running loop's pool; a pool of another loop closes on that loop."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool[1].aclose()  # closes the pool it guards
        # Dropping a guard makes its own loop close its pool (the loop's asyncgen finalizer).
        self._pools = {}


async def _close_with_loop(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Closes ``http`` when its event loop shuts down its async generators.

    An async generator left open is closed by the loop's
    ``shutdown_asyncgens()``, which ``asyncio.run()`` calls before closing
    the loop: the pool's connections are closed while their loop still runs,
    instead of leaking when the next ``asyncio.run()`` needs a new pool.
    """
    try:
        yield
    finally:
        await http.aclose()


def _async_pool(timeout: httpx.Timeout) -> httpx.AsyncClient:
    """httpx on aiohttp's pool when aiohttp is installed (see ``_aiohttp``), else on httpcore's."""
    try:
        from ._aiohttp import AiohttpTransport
    except ImportError as exc:
        logger.debug("async calls use httpx's own pool: %s", exc)
        return httpx.AsyncClient(limits=LIMITS, timeout=timeout)
    return httpx.AsyncClient(transport=AiohttpTransport(limits=LIMITS), timeout=timeout)
