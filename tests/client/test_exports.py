import anyfast_client


def test_exported_members() -> None:
    exported = set(anyfast_client.__all__)
    public = {name for name in vars(anyfast_client) if not name.startswith("_")}
    public -= {"annotations"}
    assert public - exported <= {"testing", "pytest_plugin"}, public - exported
    for name in exported:
        assert hasattr(anyfast_client, name), name
