"""AnyfastEmbeddings: OpenAIEmbeddings' ``show_progress_bar``, and a misspelt name refused
with the setting it misses (both embeddings classes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from anyfast_client.testing import AnyfastTestServer
from langchain_anyfast import AnyfastEmbeddings
from llama_index_anyfast import AnyfastEmbedding


async def embed(model: AnyfastEmbeddings, texts: list[str], mode: str) -> list[list[float]]:
    if mode == "sync":
        return model.embed_documents(texts)
    return await model.aembed_documents(texts)


def bar_counts(stderr: str) -> list[str]:
    """The "done/total" figures a tqdm bar drew, in order."""
    return re.findall(r"\| (\d+/\d+) \[", stderr)


async def test_the_bar_counts_every_batch_on_stderr(
    build_model: Callable[..., Any],
    anyfast_server: AnyfastTestServer,
    capsys: pytest.CaptureFixture[str],
    mode: str,
) -> None:
    model = build_model(AnyfastEmbeddings, chunk_size=2, show_progress_bar=True)
    vectors = await embed(model, [f"text {n}" for n in range(7)], mode)
    assert len(vectors) == 7
    assert len(anyfast_server.requests) == 4
    out, err = capsys.readouterr()
    assert out == ""
    assert bar_counts(err)[0] == "0/4"
    assert bar_counts(err)[-1] == "4/4"
    assert "100%" in err


async def test_no_bar_unless_asked(
    build_model: Callable[..., Any], capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    model = build_model(AnyfastEmbeddings, chunk_size=2)
    await embed(model, ["a", "b", "c"], mode)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("cls", "typed", "meant"),
    [
        (AnyfastEmbeddings, "chunk_sise", "chunk_size"),
        (AnyfastEmbeddings, "show_progress", "show_progress_bar"),
        (AnyfastEmbeddings, "openai_api_key", "api_key"),
        (AnyfastEmbeddings, "dimension", "dimensions"),
        (AnyfastEmbedding, "embed_batch_sise", "embed_batch_size"),
        (AnyfastEmbedding, "modle", "model"),
        (AnyfastEmbedding, "dimension", "dimensions"),
    ],
)
def test_a_misspelt_setting_is_refused_with_the_one_it_misses(
    cls: type[Any], typed: str, meant: str
) -> None:
    with pytest.raises(TypeError, match=f"unknown keyword '{typed}'; did you mean '{meant}'\\?"):
        cls(api_key="k", **{typed: 1})


def test_a_new_name_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"unknown keyword 'vendor_flag'$"):
        AnyfastEmbeddings(api_key="k", vendor_flag=1)


def test_llama_index_points_show_progress_bar_at_its_own_switch() -> None:
    with pytest.raises(TypeError, match=r"get_text_embedding_batch\(texts, show_progress=True\)"):
        AnyfastEmbedding(api_key="k", show_progress_bar=True)
