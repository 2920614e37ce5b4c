"""Multimodal message content turned into text before an add stores anything.

A message's ``content`` may be a string, one part (a dict) or a list of parts, as in the OpenAI
and mem0 APIs:

- ``{"type": "text", "text": ...}``: kept as it is;
- ``{"type": "image_url", "image_url": {"url": ...}}``: described by a vision LLM, and the
  description is what is stored (a local path or ``file://`` URL is sent as a data URL);
- ``{"type": "pdf_url", "pdf_url": {"url": ...}}``, or a string that is just a local ``.pdf``
  path: the text is extracted locally with pypdf. ``http(s)`` URLs are fetched only when an
  ``httpx.Client`` is passed, so nothing goes on the network unless the caller chose it.

Reading local files is on by default for the library; a server taking content from remote
callers must pass ``allow_local_files=False``, or any caller could read the server's files.
"""

from __future__ import annotations

import base64
import binascii
import io
import mimetypes
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_to_bytes, urlparse

from graphmem.errors import EmptyContentError, InvalidInputError, MissingDependencyError
from graphmem.extractors.prompts.vision import DESCRIBE_IMAGE_PROMPT
from graphmem.llms.base import LLM, Message, Usage

if TYPE_CHECKING:
    import httpx


def is_multimodal(content: Any, *, allow_local_files: bool = True) -> bool:
    """True when ``content`` needs :func:`content_to_text`: parts, or (when local files are
    allowed) a string that is just the path of an existing ``.pdf`` file."""
    if isinstance(content, (Mapping, list)):
        return True
    return allow_local_files and isinstance(content, str) and _is_pdf_path(content)


def normalize_messages(
    messages: Sequence[Mapping[str, Any]],
    *,
    llm: LLM | None = None,
    http_client: httpx.Client | None = None,
    allow_local_files: bool = True,
) -> tuple[list[dict[str, Any]], Usage]:
    """Each message with its content turned into text (other keys kept); the tokens spent.

    Messages whose content is already plain text are copied unchanged, so calling this on
    text-only input costs nothing.
    """
    usage = Usage()
    out: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if is_multimodal(content, allow_local_files=allow_local_files):
            text, spent = content_to_text(content, llm=llm, http_client=http_client,
                                          allow_local_files=allow_local_files)  # fmt: skip
            usage.add(spent)
            out.append({**message, "content": text})
        else:
            out.append(dict(message))
    return out, usage


def content_to_text(
    content: Any,
    *,
    llm: LLM | None = None,
    http_client: httpx.Client | None = None,
    allow_local_files: bool = True,
) -> tuple[str, Usage]:
    """The text of one message's content: text parts, image descriptions and PDF text, in order.

    Raises:
        InvalidInputError: An unknown part type, an image without a vision-capable LLM, or a PDF
            that cannot be read.
        EmptyContentError: A PDF with no extractable text.
    """
    if isinstance(content, str):
        # without local files a path is just text: no error, so no probing of the server's disk
        if allow_local_files and _is_pdf_path(content):
            return pdf_text(
                content.strip(), http_client=http_client, allow_local_files=allow_local_files
            ), Usage()
        return content, Usage()
    parts = [content] if isinstance(content, Mapping) else content
    if not isinstance(parts, list):
        raise InvalidInputError(
            f"message content must be text or a list of parts, got {type(content).__name__}"
        )
    usage = Usage()
    texts: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, Mapping):
            raise InvalidInputError(f"content part {i} must be an object, got {type(part).__name__}")
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("text") or ""))
        elif kind == "image_url":
            description, spent = describe_image(llm, _url_of(part, "image_url", i),
                                                allow_local_files=allow_local_files)  # fmt: skip
            usage.add(spent)
            texts.append(description)
        elif kind == "pdf_url":
            texts.append(pdf_text(_url_of(part, "pdf_url", i), http_client=http_client,
                                  allow_local_files=allow_local_files))  # fmt: skip
        else:
            raise InvalidInputError(
                f"content part {i} has type {kind!r}; graphmem takes 'text', 'image_url' and 'pdf_url'"
            )
    return "\n\n".join(t.strip() for t in texts if t.strip()), usage


def describe_image(llm: LLM | None, url: str, *, allow_local_files: bool = True) -> tuple[str, Usage]:
    """A description of the image at ``url`` by a vision-capable LLM, checked before any call."""
    if llm is None:
        raise InvalidInputError("image content needs a vision-capable LLM; configure one under 'llm'")
    if not llm.supports_vision:
        raise InvalidInputError(
            f"image content needs a vision-capable LLM, and {llm.model!r} is not one; use a vision "
            "model (gpt-4o, gpt-4.1, gpt-5, ...) or set vision=True in the llm config if it takes images"
        )
    if not url.startswith(("http://", "https://", "data:")):
        url = _data_url(_local_path(url, allow_local_files))
    messages: list[Message] = [
        {"role": "user", "content": [
            {"type": "text", "text": DESCRIBE_IMAGE_PROMPT},
            {"type": "image_url", "image_url": {"url": url}},
        ]},
    ]  # fmt: skip
    text, usage = llm.complete_text(messages)
    if not text.strip():
        raise InvalidInputError(f"{llm.model} returned an empty description of the image")
    return text.strip(), usage


def pdf_text(source: str, *, http_client: httpx.Client | None = None, allow_local_files: bool = True) -> str:
    """The text of a PDF given as a path, ``file://`` URL, ``data:`` URL or (with a client) http URL."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as e:  # pragma: no cover - pypdf ships with the openai extra
        raise MissingDependencyError("pypdf", extra="openai") from e
    data: bytes | Path
    if source.startswith(("http://", "https://")):
        if http_client is None:
            raise InvalidInputError(
                f"fetching {source} needs an http client; download the PDF and pass its path"
            )
        response = http_client.get(source)
        if response.status_code >= 400:
            raise InvalidInputError(f"could not fetch {source}: HTTP {response.status_code}")
        data = response.content
    elif source.startswith("data:"):
        data = _decode_data_url(source)
    else:
        data = _local_path(source, allow_local_files)
    try:
        reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data)
        text = "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as e:
        raise InvalidInputError(f"{_short(source)} is not a readable PDF: {e}") from e
    text = text.strip()
    if not text:
        raise EmptyContentError(f"{_short(source)} has no extractable text (scanned pages are not OCR'd)")
    return text


def _url_of(part: Mapping[str, Any], key: str, i: int) -> str:
    value = part.get(key)
    url = value.get("url") if isinstance(value, Mapping) else value
    if not isinstance(url, str) or not url.strip():
        raise InvalidInputError(f"content part {i} ({key}) has no url")
    return url.strip()


def _is_pdf_path(text: str) -> bool:
    s = text.strip()
    if "\n" in s or not s.lower().endswith(".pdf"):
        return False
    if s.startswith("file://"):
        return True
    try:
        return Path(s).expanduser().is_file()
    except OSError:  # a name too long for the filesystem is not a path
        return False


def _local_path(source: str, allowed: bool) -> Path:
    if not allowed:
        raise InvalidInputError("local files are not accepted here; send the content itself")
    path = Path(unquote(urlparse(source).path)) if source.startswith("file://") else Path(source).expanduser()
    if not path.is_file():
        raise InvalidInputError(f"no such file: {path}")
    return path


def _data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if not mime.startswith("image/"):
        raise InvalidInputError(f"{path.name} is not an image file")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _decode_data_url(url: str) -> bytes:
    header, _, payload = url.partition(",")
    try:
        return (
            base64.b64decode(payload, validate=True)
            if header.endswith(";base64")
            else unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError) as e:
        raise InvalidInputError(f"malformed data URL: {e}") from e


def _short(source: str) -> str:
    return source if len(source) <= 80 else source[:77] + "..."
