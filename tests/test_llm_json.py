"""Reading JSON out of model answers: repairs that are unambiguous, refusals that are not."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from graphmem.llms._json import parse_json, strict_schema


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('Sure! Here it is: {"a": 1} Let me know if you need more.', {"a": 1}),
        ('{"a": [1, 2,],}', {"a": [1, 2]}),
        ('{"a": "x, ]"}', {"a": "x, ]"}),  # brackets and commas inside strings are text
        ('{"a": "say \\"hi\\", then go"}', {"a": 'say "hi", then go'}),
        ('[{"n": 1}, {"n": 2}', [{"n": 1}, {"n": 2}]),
        ('```json\n{"a": [1, 2]', {"a": [1, 2]}),  # unclosed fence and truncated
    ],
)
def test_repairs(text: str, expected: Any) -> None:
    assert parse_json(text) == expected


def test_truncation_drops_the_incomplete_element_instead_of_completing_it() -> None:
    text = '{"facts": [{"text": "Alice leads design", "actor": "Alice"}, {"text": "Bob will take the hero co'
    assert parse_json(text) == {"facts": [{"text": "Alice leads design", "actor": "Alice"}]}


def test_truncation_never_leaves_an_object_with_fields_missing() -> None:
    # the second fact's actor was cut: keeping {"text": "B"} would misattribute it
    text = '{"facts": [{"text": "A", "actor": "Alice"}, {"text": "B", "actor": "Bo'
    assert parse_json(text) == {"facts": [{"text": "A", "actor": "Alice"}]}
    text = '{"facts": [{"text": "A", "actor": "Alice"}, {"text": "B", "actor": "Bob"'
    assert parse_json(text) == {"facts": [{"text": "A", "actor": "Alice"}]}


def test_truncation_between_top_level_sections_keeps_the_complete_ones() -> None:
    text = '{"facts": [{"text": "A"}], "entities": [{"name": "Alice", "type": "PERSON"}], "relations": [{"sou'
    # the cut section is left out; the schema's defaults make it an empty list
    assert parse_json(text) == {"facts": [{"text": "A"}], "entities": [{"name": "Alice", "type": "PERSON"}]}


def test_a_number_cut_short_is_not_trusted() -> None:
    assert parse_json('{"turns": [1, 2, 34') == {"turns": [1, 2]}


@pytest.mark.parametrize("text", ["", "no json at all", '{"text": "abc', '{"a": 1]}', "{{{{"])
def test_unrepairable_answers_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_json(text)


class Inner(BaseModel):
    title: str  # a field named like a JSON-schema keyword
    default: int | None = None


class Outer(BaseModel):
    items: list[Inner] = []
    note: str | None = None


def test_strict_schema_requires_every_field_and_forbids_extras() -> None:
    schema = strict_schema(Outer)
    assert schema["required"] == ["items", "note"] and schema["additionalProperties"] is False
    inner = schema["$defs"]["Inner"]
    assert set(inner["properties"]) == {"title", "default"}  # field names survive
    assert inner["required"] == ["title", "default"] and inner["additionalProperties"] is False
    assert "default" not in schema["properties"]["items"]  # pydantic defaults are not sent
    assert schema["properties"]["note"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
