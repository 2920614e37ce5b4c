"""Every query in ``cypher/`` has its header, is used by graphmem, and is only ever parameterised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphmem._cypher import cypher, cypher_script, query_dir

ROOT = Path(__file__).resolve().parent.parent
QUERY_FILES = sorted((ROOT / "cypher").glob("*.cypher"))
NAMES = [p.stem for p in QUERY_FILES]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "graphmem").rglob("*.py"))

# Python's str.format / %-formatting / f-string fields, template strings, and Cypher 5.26's
# dynamic labels: none may appear in a query (values travel as $parameters only).
PLACEHOLDERS = re.compile(r"\{\}|\{[0-9]+\}|\{[A-Za-z_][A-Za-z0-9_]*\}|%\(?[a-z_]*\)?[sdr]\b|\$\{|\$\(")
# Lines of a query without comments and string literals, where `{name}` is still a map, not a field.
_MAP_LITERAL = re.compile(r"\{(?:[A-Za-z_`][^{}]*:|\.)")


def test_there_are_queries() -> None:
    assert len(QUERY_FILES) >= 30


@pytest.mark.parametrize("path", QUERY_FILES, ids=NAMES)
def test_header(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(rf"// {re.escape(path.stem)}: \S.*", lines[0]), lines[0]
    assert re.fullmatch(r"// params: (none|\$[a-z_]+(, \$[a-z_]+)*)", lines[1]), lines[1]


@pytest.mark.parametrize("path", QUERY_FILES, ids=NAMES)
def test_params_line_matches_the_query(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    declared = set(re.findall(r"\$([a-z_]+)", lines[1]))
    body = "\n".join(line.split("//", 1)[0] for line in lines[2:])
    assert set(re.findall(r"\$([a-z_]+)", body)) == declared


@pytest.mark.parametrize("path", QUERY_FILES, ids=NAMES)
def test_no_formatting_placeholders(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = re.sub(r"'[^']*'", "''", line.split("//", 1)[0])
        code = _MAP_LITERAL.sub("{", code)
        assert not PLACEHOLDERS.search(code), f"{path.name}:{number}: {line.strip()}"


@pytest.mark.parametrize("name", NAMES)
def test_used_by_graphmem(name: str) -> None:
    assert f'"{name}"' in CODE or _family_used(name), f"cypher/{name}.cypher is not used"


def _family_used(name: str) -> bool:
    """``_vector_search`` builds ``f"{kind}_vector_index"`` from a kind it is called with."""
    kind, _, rest = name.partition("_")
    called = re.search(rf'_vector_search\(\s*"{kind}"', CODE) is not None
    return rest in ("count", "vector_exact", "vector_index") and called


def test_placeholder_pattern_catches_formatting() -> None:
    for bad in ("MATCH (n:{label})", "WHERE n.id = '%s'", "SET n.x = {0}", "MATCH (n:$($label))", "f{}"):
        assert PLACEHOLDERS.search(_MAP_LITERAL.sub("{", bad)), bad
    for ok in ("MATCH (n {id: $id})", "RETURN m {.id, .memory}", "collect({node: node, score: s})"):
        assert not PLACEHOLDERS.search(_MAP_LITERAL.sub("{", ok)), ok


def test_filter_blocks_are_identical() -> None:
    blocks = {}
    for path in QUERY_FILES:
        text = path.read_text(encoding="utf-8")
        found = re.findall(r"// filter:begin.*?// filter:end", text, re.S)
        if found:
            blocks[path.stem] = "\n".join(line.strip() for line in found[0].splitlines())
    assert len(blocks) >= 5
    assert len(set(blocks.values())) == 1, sorted(blocks)


def test_loader_reads_the_repository_files() -> None:
    assert Path(str(query_dir())).resolve() == (ROOT / "cypher").resolve() or (
        Path(str(query_dir())).name == "_cypher"
    )
    assert cypher("memories_get") == (ROOT / "cypher" / "memories_get.cypher").read_text(encoding="utf-8")
    with pytest.raises(KeyError):
        cypher("no_such_query")
    with pytest.raises(KeyError):
        cypher("../pyproject")


def test_schema_scripts_split_into_statements() -> None:
    statements = cypher_script("schema")
    text = (ROOT / "cypher" / "schema.cypher").read_text(encoding="utf-8")
    assert len(statements) == sum(line.rstrip().endswith(";") for line in text.splitlines()) >= 19
    assert all(s.startswith("CREATE ") and not s.endswith(";") for s in statements)
    assert len(cypher_script("schema_vector")) == 3


def test_the_wheel_ships_the_queries() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"cypher" = "graphmem/cypher_queries"' in text
