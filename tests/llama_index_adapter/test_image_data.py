"""Images already held as base64 are sent as they are, not decoded and encoded again."""

from __future__ import annotations

import base64

import pytest
from llama_index.core.base.llms.types import ImageBlock, VideoBlock

from llama_index_anyfast._convert import block_to_part

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


def _url(block: ImageBlock | VideoBlock) -> str:
    part = block_to_part(block)
    assert part is not None
    media = getattr(part, "image_url", None) or getattr(part, "video_url", None)
    assert media is not None
    return str(media.url)


@pytest.mark.parametrize("data", [PNG, PNG[:-1], PNG[:-2], base64.b64encode(PNG)])
def test_image_data_url_is_the_one_llama_index_resolves(data: bytes) -> None:
    block = ImageBlock(image=data, image_mimetype="image/png")
    expected = block.resolve_image(as_base64=True).read().decode()
    assert _url(block) == f"data:image/png;base64,{expected}"
    assert base64.b64decode(expected) == PNG[: len(base64.b64decode(expected))]


def test_raw_bytes_set_after_construction_are_still_encoded() -> None:
    block = ImageBlock(image=PNG, image_mimetype="image/png")
    block.image = PNG  # not base64: contains bytes outside its alphabet
    assert _url(block) == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_video_data_url_is_the_one_llama_index_resolves() -> None:
    block = VideoBlock(video=PNG, video_mimetype="video/mp4")
    expected = block.resolve_video(as_base64=True).read().decode()
    assert _url(block) == f"data:video/mp4;base64,{expected}"
