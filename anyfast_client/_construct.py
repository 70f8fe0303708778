"""Building pydantic models without validation, for the per-chunk hot paths.

``model_construct`` does what is needed but, for fields whose default is a factory
such as ``dict`` or ``list``, inspects the factory's signature on every call: for a
LangChain message chunk that is most of a streamed chunk's cost. :class:`Constructor`
settles the defaults once per class and then sets exactly what ``model_construct``
would set: the same field values in the same order, the same ``model_fields_set``,
no extra and no private values. For each set of field names it is called with, it
writes one small function (as ``dataclasses`` does for ``__init__``) that builds the
instance's ``__dict__`` as a single dict display. Classes it cannot mirror (private
attributes, a ``model_post_init``, mutable defaults, factories reading other fields)
go through ``model_construct`` itself.
"""

from __future__ import annotations

import enum
import keyword
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = ["SLOT_SETTERS", "Constructor"]

_Model = TypeVar("_Model", bound=BaseModel)
_IMMUTABLE = (type(None), str, int, float, bool, bytes, tuple, frozenset, enum.Enum)
# Factories written as a display: a new, empty container per instance, as the call gives.
_DISPLAYS: dict[Any, str] = {dict: "{}", list: "[]"}


class Constructor(Generic[_Model]):
    """``Constructor(Model)(**fields)`` is ``Model.model_construct(**fields)``, only faster.

    The caller vouches that the fields are what validation would have produced,
    and gives every required field. :meth:`taking` hands out the builder for one set
    of field names, to be called with exactly those keywords.
    """

    __slots__ = ("_builders", "_extra", "_fields", "_model")

    def __init__(self, model: type[_Model]) -> None:
        self._model = model
        self._extra = model.model_config.get("extra") == "allow"
        self._fields = dict(model.model_fields) if _mirrorable(model) else None
        self._builders: dict[tuple[str, ...], Callable[..., _Model]] = {}

    def __call__(self, **values: Any) -> _Model:
        return self.taking(*values)(**values)

    def taking(self, *names: str) -> Callable[..., _Model]:
        """The builder for exactly these keyword-only fields (written once, then kept)."""
        builder = self._builders.get(names)
        if builder is None:
            builder = self._builders[names] = self._write(names)
        return builder

    def _write(self, names: tuple[str, ...]) -> Callable[..., _Model]:
        fields = self._fields
        model = self._model
        if fields is None or not _plain_names(names, fields):
            return lambda **values: model.model_construct(**values)
        namespace: dict[str, Any] = {"_new": model.__new__, "_model": model, **SLOT_SETTERS}
        entries = []
        # Declaration order, the order model_construct sets the fields in.
        for position, (name, field) in enumerate(fields.items()):
            if name in names:
                value = name
            elif field.is_required():
                continue  # left unset, as model_construct leaves it
            elif field.default_factory is not None:
                value = _DISPLAYS.get(field.default_factory) or f"_f{position}()"
                namespace[f"_f{position}"] = field.default_factory
            else:
                value = f"_d{position}"
                namespace[f"_d{position}"] = field.default
            entries.append(f"{name!r}: {value}")
        given = "{" + ", ".join(repr(name) for name in names) + "}" if names else "set()"
        source = (f"def build(*, {', '.join(names)}):\n" if names else "def build():\n") + (
            # Local names start with "_": no field name does, so none is shadowed.
            "    _instance = _new(_model)\n"
            f"    _dict(_instance, {{{', '.join(entries)}}})\n"
            f"    _fields_set(_instance, {given})\n"
            f"    _extra(_instance, {'{}' if self._extra else 'None'})\n"
            "    _private(_instance, None)\n"
            "    return _instance\n"
        )
        # The source holds only field names checked to be plain identifiers (the values
        # are looked up in ``namespace``), as dataclasses writes its __init__.
        exec(compile(source, f"<Constructor {model.__qualname__}>", "exec"), namespace)  # noqa: S102
        builder: Callable[..., _Model] = namespace["build"]
        return builder


# Setters of the slots every pydantic model has, by the names generated code calls
# them: their descriptors, which ``object.__setattr__`` would first look up.
SLOT_SETTERS: dict[str, Callable[[Any, Any], None]] = {
    "_dict": BaseModel.__dict__["__dict__"].__set__,
    "_fields_set": BaseModel.__dict__["__pydantic_fields_set__"].__set__,
    "_extra": BaseModel.__dict__["__pydantic_extra__"].__set__,
    "_private": BaseModel.__dict__["__pydantic_private__"].__set__,
}


def _plain_names(names: tuple[str, ...], fields: dict[str, FieldInfo]) -> bool:
    """Whether the names are distinct fields that can be written as parameters."""
    return len(set(names)) == len(names) and all(
        _plain_name(name) and name in fields for name in names
    )


def _plain_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")


def _mirrorable(model: type[BaseModel]) -> bool:
    """Whether instances can be set up without model_construct's own handling."""
    if model.__private_attributes__ or model.__pydantic_post_init__ is not None:
        return False
    fields = model.model_fields.values()
    return all(_plain_default(field) for field in fields) and all(
        _plain_name(name) for name in model.model_fields
    )


def _plain_default(field: FieldInfo) -> bool:
    if field.default_factory is not None:
        # Factories that read the other fields (pydantic 2.10+) are left to pydantic.
        return not getattr(field, "default_factory_takes_validated_data", False)
    # model_construct deep-copies a mutable default; a shared immutable one is the same.
    return field.is_required() or isinstance(field.default, _IMMUTABLE)
