"""Multimodal content: images described by a vision model, PDFs read locally, clear errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_stub import OpenAIStub

from graphmem._multimodal import content_to_text, is_multimodal, normalize_messages, pdf_text
from graphmem.errors import EmptyContentError, InvalidInputError
from graphmem.llms.openai import OpenAILLM

IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/whiteboard.png"}}
# the smallest valid PNG: one transparent pixel
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as s:
        yield s


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF with ``lines`` as text, written byte by byte (no network, no writer library)."""
    stream = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -16 Td" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)
    return path


def test_image_to_a_vision_model_is_stored_as_its_description(stub: OpenAIStub) -> None:
    llm = OpenAILLM("gpt-4o", api_key="sk-test", base_url=stub.base_url)
    stub.reply_text("A whiteboard listing: hero copy - Bob; review - Carol.")
    text, usage = content_to_text([{"type": "text", "text": "Our plan:"}, IMAGE], llm=llm)
    assert text == "Our plan:\n\nA whiteboard listing: hero copy - Bob; review - Carol."
    assert usage.calls == 1
    parts = stub.chat_requests[0].body["messages"][0]["content"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": "https://example.com/whiteboard.png"}}


def test_image_to_a_non_vision_model_fails_before_any_call(stub: OpenAIStub) -> None:
    llm = OpenAILLM("llama3.1", base_url=stub.base_url, provider="ollama")
    with pytest.raises(InvalidInputError, match=r"'llama3\.1' is not one.*vision=True"):
        content_to_text(IMAGE, llm=llm)
    with pytest.raises(InvalidInputError, match="configure one"):
        content_to_text(IMAGE, llm=None)
    assert stub.chat_requests == []


def test_a_local_image_is_sent_as_a_data_url(stub: OpenAIStub, tmp_path: Path) -> None:
    png = tmp_path / "pixel.png"
    png.write_bytes(PNG)
    llm = OpenAILLM("gpt-4.1-mini", api_key="sk-test", base_url=stub.base_url)
    stub.reply_text("A single transparent pixel.")
    content_to_text({"type": "image_url", "image_url": {"url": png.as_uri()}}, llm=llm)
    url = stub.chat_requests[0].body["messages"][0]["content"][1]["image_url"]["url"]
    assert url == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_pdf_text_is_extracted_locally(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "minutes.pdf", ["Minutes of 3 May", "Bob owns the hero copy"])
    assert "Bob owns the hero copy" in pdf_text(str(pdf))
    for content in (
        {"type": "pdf_url", "pdf_url": {"url": str(pdf)}},
        [{"type": "pdf_url", "pdf_url": {"url": pdf.as_uri()}}],
        str(pdf),  # a bare local .pdf path
    ):
        assert is_multimodal(content)
        text, usage = content_to_text(content)
        assert "Minutes of 3 May" in text and "Bob owns the hero copy" in text and usage.calls == 0


def test_a_data_url_pdf_is_read(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["Inline PDF"])
    url = "data:application/pdf;base64," + base64.b64encode(pdf.read_bytes()).decode()
    assert "Inline PDF" in content_to_text({"type": "pdf_url", "pdf_url": {"url": url}})[0]


def test_pdf_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        pdf_text(str(tmp_path / "missing.pdf"))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"this is not a pdf")
    with pytest.raises(InvalidInputError, match="not a readable PDF"):
        pdf_text(str(bad))
    with pytest.raises(EmptyContentError, match="no extractable text"):
        pdf_text(str(make_pdf(tmp_path / "blank.pdf", [])))
    with pytest.raises(InvalidInputError, match="needs an http client"):
        pdf_text("https://example.com/report.pdf")


def test_local_files_can_be_refused(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "secret.pdf", ["server-side secret"])
    with pytest.raises(InvalidInputError, match="local files are not accepted"):
        content_to_text({"type": "pdf_url", "pdf_url": {"url": str(pdf)}}, allow_local_files=False)


def test_unknown_parts_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="'audio'"):
        content_to_text([{"type": "audio", "audio": {}}])
    with pytest.raises(InvalidInputError, match="has no url"):
        content_to_text({"type": "pdf_url", "pdf_url": {}})


def test_normalize_messages_keeps_names_and_plain_text(stub: OpenAIStub, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "notes.pdf", ["Carol reviews on Friday"])
    messages: list[dict[str, Any]] = [
        {"role": "user", "name": "Alice", "content": "plain text, report.pdf is mentioned"},
        {"role": "user", "name": "Bob", "content": {"type": "pdf_url", "pdf_url": {"url": str(pdf)}}},
    ]
    out, usage = normalize_messages(messages)
    assert out[0] == messages[0] and out[0] is not messages[0]
    assert out[1]["name"] == "Bob" and "Carol reviews on Friday" in out[1]["content"]
    assert usage.calls == 0


def test_without_local_files_a_path_is_just_text(tmp_path: Path) -> None:
    pdf = str(make_pdf(tmp_path / "secret.pdf", ["server-side secret"]))
    assert is_multimodal(pdf) and not is_multimodal(pdf, allow_local_files=False)
    assert content_to_text(pdf, allow_local_files=False)[0] == pdf
