import types

import llama_index_anyfast


def test_exported_members() -> None:
    public = {
        name
        for name, value in vars(llama_index_anyfast).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(llama_index_anyfast.__all__)
    assert {"Anyfast", "AnyfastEmbedding", "AnyfastWarning", "USAGE_KEYS"} <= public
