"""The one switch for every fast path, and the record of those in use and those that stood down.

A fast path (building models without validation, reading stream events without
parsing them) relies on things other libraries do not promise. Each checks what it
relies on when first used; when that check fails, or when ``ANYFAST_FAST_PATHS=0`` is
set in the environment, it uses the plain validated path instead, and says so once at
DEBUG level on the ``anyfast_client`` logger.
"""

from __future__ import annotations

import logging
import os

__all__ = [
    "FAST_PATHS_VARIABLE",
    "fast_paths_enabled",
    "stand_down",
    "stood_down",
    "take_up",
    "taken_up",
]

#: Set to ``0`` (or ``false``, ``no``, ``off``) to turn every fast path off.
FAST_PATHS_VARIABLE = "ANYFAST_FAST_PATHS"
_OFF = {"0", "false", "no", "off"}

logger = logging.getLogger("anyfast_client")
_reported: dict[str, str] = {}
_taken: set[str] = set()


def fast_paths_enabled() -> bool:
    """False when ``ANYFAST_FAST_PATHS`` turns the fast paths off (read at each first use)."""
    return os.environ.get(FAST_PATHS_VARIABLE, "1").strip().lower() not in _OFF


def stand_down(name: str, reason: str) -> None:
    """Record that the fast path ``name`` uses the validated path, logged once at DEBUG."""
    if name in _reported:
        return
    _reported[name] = reason
    logger.debug("fast path %s off, using the validated path: %s", name, reason)


def stood_down() -> dict[str, str]:
    """The fast paths that stood down in this process, with the reason each gave."""
    return dict(_reported)


def take_up(name: str) -> None:
    """Record that the fast path ``name`` passed its first-use check and is in use."""
    _taken.add(name)


def taken_up() -> set[str]:
    """The fast paths in use in this process (what tests hold the current versions to)."""
    return set(_taken)
