"""Building pydantic models without validation where that is proved to change nothing.

Validating a LangChain message chunk costs some 10 µs, most of a streamed chunk's
cost, for values the adapter made itself. :class:`Constructor` hands out one builder
per set of field names. A builder's first call builds the model both ways, with
validation (``Model(**values)``) and without it (a function written for those names,
as ``dataclasses`` writes ``__init__``, that sets the instance's ``__dict__``, fields
set, extras and privates through pydantic's own slots), and compares the two: their
values and their types, ``model_fields_set``, extras, private attributes and dump.
When they agree the builder builds without validation from then on; otherwise (a
release that adds a private attribute, a validator that changes these values, slots
that moved) it validates every time, and says why once at DEBUG (see ``_fast``), as it
does when ``ANYFAST_FAST_PATHS=0`` is set. Nothing here looks at pydantic before a
builder's first call.

The proof holds for the field names and the kind of values of the first call: a caller
gives a builder values of one kind (text content, a dict of its own), that validation
keeps as they are. Tests hold every builder the adapters use to the validated result.
"""

from __future__ import annotations

import enum
import functools
import keyword
from collections.abc import Callable
from types import FunctionType
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ._fast import FAST_PATHS_VARIABLE, fast_paths_enabled, stand_down, take_up

__all__ = ["Constructor", "slot_setters", "str_maker"]

_Model = TypeVar("_Model", bound=BaseModel)
_IMMUTABLE = (type(None), str, int, float, bool, bytes, tuple, frozenset, enum.Enum)
# Factories written as a display: a new, empty container per instance, as the call gives.
_DISPLAYS: dict[Any, str] = {dict: "{}", list: "[]"}
_SLOTS = {
    "_dict": "__dict__",
    "_fields_set": "__pydantic_fields_set__",
    "_extra": "__pydantic_extra__",
    "_private": "__pydantic_private__",
}


class Constructor(Generic[_Model]):
    """``Constructor(Model)(**fields)`` builds what ``Model(**fields)`` builds, faster.

    :meth:`taking` hands out the builder for one set of field names, to be called
    with exactly those keywords; it validates until its first call proves it need not.
    """

    __slots__ = ("_builders", "_model")

    def __init__(self, model: type[_Model]) -> None:
        self._model = model
        self._builders: dict[tuple[str, ...], Callable[..., _Model]] = {}

    def __call__(self, **values: Any) -> _Model:
        return self.taking(*values)(**values)

    def taking(self, *names: str) -> Callable[..., _Model]:
        """The builder for exactly these keyword-only fields (written once, then kept)."""
        builder = self._builders.get(names)
        if builder is None:
            builder = self._builders[names] = _first_use_builder(self._model, names)
        return builder

    def on_fast_path(self, *names: str) -> bool | None:
        """Whether the builder for these names builds without validation (None: not used yet)."""
        builder = self._builders.get(names)
        code = getattr(builder, "__code__", None)
        if code is None or code.co_name == "build":
            return None
        return bool(code.co_name == "build_fast")


def _first_use_builder(model: type[_Model], names: tuple[str, ...]) -> Callable[..., _Model]:
    """The builder for ``names``: a function whose first call settles how it builds.

    Callers keep the function they were given (the adapters take theirs at import), so
    it is settled in place: its code becomes the fast or the validated builder's, written
    in the same namespace, and later calls cost no more than that builder's.
    """
    label = f"{model.__qualname__}({', '.join(names)})"
    if not (len(set(names)) == len(names) and all(map(_plain_name, names))):
        stand_down(label, "names that cannot be keyword parameters")
        return lambda **values: model(**values)
    namespace: dict[str, Any] = {"_model": model}
    _compile(_source("build", names, f"_settle(_stub, {{{_keywords(names, ': ')}}})"), namespace)
    _compile(_source("build_validated", names, f"_model({_keywords(names, '=')})"), namespace)
    builder: Callable[..., _Model] = namespace["build"]
    namespace["_stub"] = builder  # by a name no field's parameter can shadow

    def settle(stub: FunctionType, values: dict[str, Any]) -> _Model:
        validated = model(**values)  # what every builder must give; raises for bad values
        fast = _proved_builder(model, names, namespace, values, validated, label)
        if fast:
            take_up(label)
        stub.__code__ = namespace["build_fast" if fast else "build_validated"].__code__
        return validated

    namespace["_settle"] = settle
    return builder


def _proved_builder(
    model: type[BaseModel],
    names: tuple[str, ...],
    namespace: dict[str, Any],
    values: dict[str, Any],
    validated: BaseModel,
    label: str,
) -> bool:
    """Whether a builder without validation, written into ``namespace``, is proved to
    build what validation built from ``values``; says why not when it is not."""
    if not fast_paths_enabled():
        stand_down(label, f"{FAST_PATHS_VARIABLE} is set")
        return False
    try:
        _write_fast(model, names, namespace)
        difference = _difference(namespace["build_fast"](**values), validated)
    except _NotMirrored as exc:
        difference = str(exc)
    except Exception as exc:  # anything the check relies on that fails means: validate
        difference = f"the check failed: {exc!r}"
    if difference is not None:
        stand_down(label, difference)
        return False
    return True


def _write_fast(model: type[BaseModel], names: tuple[str, ...], namespace: dict[str, Any]) -> None:
    """Write ``build_fast``: the instance's slots set as ``model_construct`` sets them."""
    fields = model.model_fields
    missing = [name for name in names if name not in fields]
    if missing:
        raise _NotMirrored(f"not fields: {', '.join(missing)}")
    setters = slot_setters()
    if setters is None:
        raise _NotMirrored("pydantic's model slots are not where expected")
    namespace.update(setters)
    namespace["_new"] = model.__new__
    entries = []
    # Declaration order, the order validation sets the fields in.
    for position, (name, field) in enumerate(fields.items()):
        if name in names:
            value = name
        elif field.is_required():
            raise _NotMirrored(f"required field {name!r} not given")
        elif field.default_factory is not None:
            value = _DISPLAYS.get(field.default_factory) or f"_f{position}()"
            namespace[f"_f{position}"] = field.default_factory
        elif isinstance(field.default, _IMMUTABLE):  # a mutable one is copied per instance
            value = f"_d{position}"
            namespace[f"_d{position}"] = field.default
        else:
            raise _NotMirrored(f"field {name!r} has a mutable default")
        entries.append(f"{name!r}: {value}")
    given = "{" + ", ".join(map(repr, names)) + "}" if names else "set()"
    extra = "{}" if model.model_config.get("extra") == "allow" else "None"
    # Local names start with "_": no field name given here does, so none is shadowed.
    body = (
        "_instance = _new(_model)\n"
        f"    _dict(_instance, {{{', '.join(entries)}}})\n"
        f"    _fields_set(_instance, {given})\n"
        f"    _extra(_instance, {extra})\n"
        "    _private(_instance, None)\n"
        "    return _instance"
    )
    _compile(_source("build_fast", names, body, returns=False), namespace)


class _NotMirrored(Exception):
    """The class has something a builder without validation does not set up."""


@functools.cache
def slot_setters() -> dict[str, Callable[[Any, Any], None]] | None:
    """Setters of the slots every pydantic model has, by the names generated code calls
    them (their descriptors, which ``object.__setattr__`` would look up first), found at
    first use; None if they moved."""
    try:
        return {name: BaseModel.__dict__[slot].__set__ for name, slot in _SLOTS.items()}
    except (KeyError, AttributeError):
        return None


def _difference(built: BaseModel, validated: BaseModel) -> str | None:
    """What differs between a model built without validation and the validated one."""
    if type(built) is not type(validated):
        return f"built a {type(built).__name__}"
    checks: dict[str, Callable[[BaseModel], object]] = {
        "values": lambda model: list(model.__dict__.items()),
        "value types": lambda model: [type(value) for value in model.__dict__.values()],
        "fields set": lambda model: model.model_fields_set,
        "extras": lambda model: model.__pydantic_extra__,
        "private attributes": lambda model: model.__pydantic_private__,
        "dump": lambda model: model.model_dump(warnings=False),
    }
    for what, read in checks.items():
        if read(built) != read(validated):
            return f"validation gives other {what}"
    return None


def _plain_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")


def _keywords(names: tuple[str, ...], separator: str) -> str:
    """``a: a, b: b`` (a dict display's entries, with ``": "``) or ``a=a, b=b``."""
    if separator == ": ":
        return ", ".join(f"{name!r}: {name}" for name in names)
    return ", ".join(f"{name}={name}" for name in names)


def _source(function: str, names: tuple[str, ...], body: str, *, returns: bool = True) -> str:
    parameters = f"*, {', '.join(names)}" if names else ""
    return f"def {function}({parameters}):\n    {'return ' if returns else ''}{body}\n"


def _compile(source: str, namespace: dict[str, Any]) -> None:
    # The source holds only field names checked to be plain identifiers (the values are
    # looked up in ``namespace``), as dataclasses writes its __init__.
    exec(compile(source, f"<Constructor {namespace['_model'].__qualname__}>", "exec"), namespace)  # noqa: S102


def str_maker(made: str, source: str) -> Callable[[str], str] | None:
    """``str.__new__`` for ``type(made)`` (a framework's ``str`` subclass), proved on one
    value as the builders prove theirs: it must make ``made`` from ``source``, same value
    and type, for a class whose instances hold nothing else (no ``__dict__``). None when
    that fails or the fast paths are off: the caller reads the framework's own value."""
    label = f"{type(made).__name__}(text)"
    if not fast_paths_enabled():
        stand_down(label, f"{FAST_PATHS_VARIABLE} is set")
        return None
    make = functools.partial(str.__new__, type(made))
    try:
        candidate = make(source)
    except Exception as exc:  # any failure means: use the framework's own value
        stand_down(label, f"making it failed: {exc!r}")
        return None
    if type(made).__dictoffset__ or candidate != made or type(candidate) is not type(made):
        stand_down(label, "differs from the framework's own")
        return None
    take_up(label)
    return make
