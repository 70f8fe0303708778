"""Building pydantic models without validation, for the per-chunk hot paths.

``model_construct`` does what is needed but, for fields whose default is a factory
such as ``dict`` or ``list``, inspects the factory's signature on every call: for a
LangChain message chunk that is most of a streamed chunk's cost. :class:`Constructor`
settles the defaults once per class and then sets exactly what ``model_construct``
would set: the same field values in the same order, the same ``model_fields_set``,
no extra and no private values. Classes it cannot mirror (private attributes, a
``model_post_init``, mutable defaults, factories reading other fields) go through
``model_construct`` itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = ["Constructor"]

_Model = TypeVar("_Model", bound=BaseModel)
_IMMUTABLE = (type(None), str, int, float, bool, bytes, tuple, frozenset, enum.Enum)
_set = object.__setattr__


class Constructor(Generic[_Model]):
    """``Constructor(Model)(**fields)`` is ``Model.model_construct(**fields)``, only faster.

    The caller vouches that the fields are what validation would have produced,
    and gives every required field.
    """

    __slots__ = ("_extra", "_factories", "_model", "_template")

    def __init__(self, model: type[_Model]) -> None:
        self._model = model
        self._extra = model.model_config.get("extra") == "allow"
        # Every field in declaration order (the order model_construct sets them
        # in), holding its default; the factories fill theirs in per instance.
        self._template: dict[str, Any] = {}
        factories: dict[str, Callable[[], Any]] = {}
        for name, field in model.model_fields.items():
            if field.default_factory is not None:
                factories[name] = field.default_factory  # type: ignore[assignment]
            self._template[name] = None if field.is_required() else field.default
        self._factories = factories if _mirrorable(model) else None

    def __call__(self, **values: Any) -> _Model:
        factories = self._factories
        if factories is None:
            return self._model.model_construct(**values)
        fields = self._template.copy()
        for name, factory in factories.items():
            if name not in values:
                fields[name] = factory()
        fields.update(values)
        instance = self._model.__new__(self._model)
        _set(instance, "__dict__", fields)
        _set(instance, "__pydantic_fields_set__", set(values))
        _set(instance, "__pydantic_extra__", {} if self._extra else None)
        _set(instance, "__pydantic_private__", None)
        return instance


def _mirrorable(model: type[BaseModel]) -> bool:
    """Whether instances can be set up without model_construct's own handling."""
    if model.__private_attributes__ or model.__pydantic_post_init__ is not None:
        return False
    return all(_plain_default(field) for field in model.model_fields.values())


def _plain_default(field: FieldInfo) -> bool:
    if field.default_factory is not None:
        # Factories that read the other fields (pydantic 2.10+) are left to pydantic.
        return not getattr(field, "default_factory_takes_validated_data", False)
    # model_construct deep-copies a mutable default; a shared immutable one is the same.
    return field.is_required() or isinstance(field.default, _IMMUTABLE)
