import types

import anyfast_client


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

    plumbing = {"ClientOwner", "LazyClients", "build_chat_request", "settle_request"}
    assert plumbing <= set(_adapter.__all__)
    assert not plumbing & set(anyfast_client.__all__)
    # Code written when these were exported still imports them.
    assert anyfast_client.settle_request is _adapter.settle_request


def test_what_users_use_is_exported() -> None:
    users_use = {"AnyfastClient", "ChatRequest", "ChatCompletion", "AuthenticationError"}
    assert users_use | {"AnyfastWarning", "DEFAULT_BASE_URL"} <= set(anyfast_client.__all__)
