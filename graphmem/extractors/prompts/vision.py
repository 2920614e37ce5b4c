"""Prompt of image descriptions: the description is what gets stored as the memory."""

from __future__ import annotations

DESCRIBE_IMAGE_PROMPT = """\
Describe this image so that the description can stand in for it in a memory store: what it shows,
any text in it (verbatim), people, objects, numbers and dates. Plain prose, no preamble."""
