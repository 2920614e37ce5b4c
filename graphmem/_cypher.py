"""Loading the Cypher queries in ``cypher/``: one named, parameterised query per file.

The wheel force-includes the repository's ``cypher/`` directory as ``graphmem/cypher_queries``
(pyproject ``[tool.hatch.build.targets.wheel.force-include]``); an editable install reads the
repository's ``cypher/`` directly. Each file starts with two comment lines::

    // memory_add: insert memories with their embeddings
    // params: $rows

Queries are only ever passed to the driver as they are, with parameters: nothing is formatted
into them.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_REPO_DIR = Path(__file__).resolve().parent.parent / "cypher"


@functools.cache
def query_dir() -> Traversable:
    """Where the ``.cypher`` files are: inside the installed package, else the repository's."""
    packaged = resources.files("graphmem").joinpath("cypher_queries")
    if packaged.is_dir():
        return packaged
    return _REPO_DIR


@functools.cache
def cypher(name: str) -> str:
    """The text of ``cypher/<name>.cypher``.

    Raises:
        KeyError: there is no query of that name.
    """
    if not _NAME_RE.match(name):
        raise KeyError(f"invalid query name {name!r}")
    path = query_dir().joinpath(f"{name}.cypher")
    if not path.is_file():
        raise KeyError(f"no Cypher query named {name!r} in {query_dir()}")
    return path.read_text(encoding="utf-8")


@functools.cache
def cypher_script(name: str) -> tuple[str, ...]:
    """The statements of a schema script, a file whose statements each end with ``;`` on its line end.

    Schema commands cannot share a transaction with each other's data, and Cypher has no
    multi-statement call, so a script is the one kind of file that holds several statements.
    """
    statements: list[str] = []
    current: list[str] = []
    for line in cypher(name).splitlines():
        if line.lstrip().startswith("//") and not current:
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip().rstrip(";").strip())
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current).strip())
    return tuple(statements)
