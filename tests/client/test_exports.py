import re
import types

import anyfast_client
from anyfast_client import _errors


def test_exported_members() -> None:
    exported = set(anyfast_client.__all__)
    public = {
        name
        for name, value in vars(anyfast_client).items()
        if name.isidentifier()
        and not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert public | {"__version__"} == exported


def test_adapter_plumbing_is_private() -> None:
    from anyfast_client import _adapter

    plumbing = {"ClientOwner", "LazyClients", "plan_chat_request", "rename_aliases"}
    assert plumbing <= set(_adapter.__all__)
    assert not plumbing & set(anyfast_client.__all__)
    assert not any(hasattr(anyfast_client, name) for name in plumbing)


def test_what_users_use_is_exported() -> None:
    users_use = {"AnyfastClient", "ChatRequest", "ChatCompletion", "AuthenticationError"}
    assert users_use | {"AnyfastWarning", "DEFAULT_BASE_URL"} <= set(anyfast_client.__all__)


def _error_classes() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(_errors).items()
        if isinstance(value, type)
        and issubclass(value, anyfast_client.AnyfastError)
        and not name.startswith("_")
    }


def test_every_error_class_is_exported() -> None:
    errors = _error_classes()
    assert set(errors) <= set(anyfast_client.__all__)
    assert all(getattr(anyfast_client, name) is cls for name, cls in errors.items())


def test_the_error_tree_in_the_docstring_matches_the_classes() -> None:
    drawn: dict[str, str | None] = {}
    parents: list[str] = []
    for line in (_errors.__doc__ or "").splitlines():
        match = re.match(r"^ {4}((?:[│ ] {3})*)(?:[├└]── )?(\w+Error)\b", line)
        if match is None:
            continue
        depth = len(match[1]) // 4 + (1 if "──" in line else 0)
        del parents[depth:]
        drawn[match[2]] = parents[-1] if parents else None
        parents.append(match[2])
    actual = {
        name: next((b.__name__ for b in cls.__bases__ if b.__name__ in _error_classes()), None)
        for name, cls in _error_classes().items()
    }
    assert drawn == actual
