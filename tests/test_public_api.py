"""The public surface: __all__, the error tree, and a light import."""

from __future__ import annotations

import subprocess
import sys

import graphmem
from graphmem import errors


def test_all_is_sorted_and_complete() -> None:
    assert graphmem.__all__ == sorted(graphmem.__all__)
    for name in graphmem.__all__:
        assert hasattr(graphmem, name), name
    public_errors = {n for n, v in vars(errors).items() if isinstance(v, type) and issubclass(v, Exception)}
    assert public_errors <= set(graphmem.__all__)


def test_every_error_derives_from_graphmemerror_and_none_shadows_a_builtin() -> None:
    import builtins

    for name in dir(errors):
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == errors.__name__:
            assert issubclass(obj, errors.GraphMemError), name
            assert not hasattr(builtins, name), f"{name} shadows a builtin"


def test_builtin_mixins() -> None:
    assert issubclass(errors.MemoryNotFoundError, KeyError)
    assert issubclass(errors.InvalidInputError, ValueError)
    assert issubclass(errors.MissingDependencyError, ImportError)
    assert issubclass(errors.PermissionDeniedError, PermissionError)
    assert issubclass(errors.ScopeRequiredError, errors.InvalidInputError)
    assert issubclass(errors.StoreUnavailableError, errors.StoreError)
    assert str(errors.MemoryNotFoundError("no memory with id 'x'")) == "no memory with id 'x'"
    assert "pip install 'graphmem[neo4j]'" in str(errors.MissingDependencyError("neo4j", extra="neo4j"))


def test_import_is_light() -> None:
    code = (
        "import sys, graphmem; heavy = [m for m in ('torch', 'neo4j', 'openai', 'sentence_transformers', "
        "'networkx', 'fastapi') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
