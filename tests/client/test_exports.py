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
