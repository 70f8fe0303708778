"""Messages and blocks on the way out: what reaches the wire, and what is refused."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from anyfast_client.testing import AnyfastTestServer, Reply
from llama_index_anyfast import Anyfast

from .conftest import Driver

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
HINT = CacheControl(type="ephemeral")
OSLO = {"city": "Oslo"}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 32


def _sent(server: AnyfastTestServer) -> list[dict[str, Any]]:
    body = server.last_request.json
    assert isinstance(body, dict)
    messages: list[dict[str, Any]] = body["messages"]
    return messages


async def test_images_and_video_become_parts(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(MP4)
    picture = tmp_path / "dot.png"
    picture.write_bytes(PNG)
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="What is in these?"),
            ImageBlock(url="https://example.com/cat.png", detail="low"),
            ImageBlock(image=PNG),
            VideoBlock(url="https://example.com/clip.mp4", fps=2),
            VideoBlock(path=clip),
            ImageBlock(path=picture, detail="high"),
            VideoBlock(video=MP4, video_mimetype="video/mp4", fps=5),
        ],
    )
    anyfast_server.enqueue(Reply(content="A cat and a clip."))
    response = await drive.chat(llm, [message])

    parts = _sent(anyfast_server)[0]["content"]
    assert parts[0] == {"type": "text", "text": "What is in these?"}
    assert parts[1] == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.png", "detail": "low"},
    }
    assert parts[2]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert parts[3] == {
        "type": "video_url",
        "video_url": {"url": "https://example.com/clip.mp4", "fps": 2.0},
    }
    assert parts[4]["video_url"]["url"].startswith("data:video/mp4;base64,")
    assert base64.b64decode(parts[4]["video_url"]["url"].split(",", 1)[1]) == MP4
    png_uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    mp4_uri = "data:video/mp4;base64," + base64.b64encode(MP4).decode()
    assert parts[5] == {"type": "image_url", "image_url": {"url": png_uri, "detail": "high"}}
    assert parts[6] == {"type": "video_url", "video_url": {"url": mp4_uri, "fps": 5}}
    assert response.message.content == "A cat and a clip."
    assert response.additional_kwargs["image_tokens"] > 0
    assert response.additional_kwargs["video_tokens"] > 0


async def test_roles_and_history_on_the_wire(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver
) -> None:
    history = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="Weather?"),
                CachePoint(cache_control=CacheControl(type="ephemeral")),
            ],
        ),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="I should call the tool."),
                TextBlock(text=""),
                ToolCallBlock(
                    tool_call_id="call_1", tool_name="weather", tool_kwargs={"city": "Oslo"}
                ),
            ],
        ),
        ChatMessage(role="tool", content="rainy", additional_kwargs={"tool_call_id": "call_1"}),
    ]
    anyfast_server.enqueue(Reply(content="Rainy in Oslo."))
    response = await drive.chat(llm, history)

    assert _sent(anyfast_server) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",  # only tool calls: no content key
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "content": "rainy", "tool_call_id": "call_1"},
    ]
    assert response.message.content == "Rainy in Oslo."


@pytest.mark.parametrize(
    ("block", "name"),
    [
        (AudioBlock(audio=b"RIFF0000WAVE", format="wav"), "AudioBlock"),
        (
            DocumentBlock(data=b"%PDF-1.4 hello", document_mimetype="application/pdf"),
            "DocumentBlock",
        ),
    ],
)
async def test_audio_and_documents_are_refused_before_sending(
    llm: Anyfast, anyfast_server: AnyfastTestServer, drive: Driver, block: Any, name: str
) -> None:
    message = ChatMessage(role="user", blocks=[TextBlock(text="listen"), block])
    with pytest.raises(ValueError, match=rf"{name}.*TextBlock, ImageBlock and VideoBlock"):
        await drive.chat(llm, [message])
    assert anyfast_server.requests == []


def test_media_outside_user_messages_is_refused(llm: Anyfast) -> None:
    image = ImageBlock(url="https://example.com/cat.png")
    with pytest.raises(ValueError, match="ImageBlock in a system message"):
        llm.chat([ChatMessage(role=MessageRole.SYSTEM, blocks=[image])])


def test_tool_message_needs_its_call_id(llm: Anyfast) -> None:
    with pytest.raises(ValueError, match="tool_call_id"):
        llm.chat([ChatMessage(role="tool", content="rainy")])


def test_bad_image_detail_is_refused(llm: Anyfast) -> None:
    block = ImageBlock(url="https://example.com/cat.png", detail="ultra")
    with pytest.raises(ValueError, match="detail"):
        llm.chat([ChatMessage(role="user", blocks=[block])])


def test_unknown_image_type_is_refused(llm: Anyfast, tmp_path: Path) -> None:
    path = tmp_path / "picture.unknownext"
    path.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="image_mimetype"):
        llm.chat([ChatMessage(role="user", blocks=[ImageBlock(path=path)])])
