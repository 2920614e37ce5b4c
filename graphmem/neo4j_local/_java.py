"""Finding a Java runtime that Neo4j 5.26 supports (17 or 21)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from graphmem.neo4j_local._errors import LocalNeo4jError

#: Neo4j 5.26 LTS runs on Java 17 and 21 only; 2025.x needs 21 and only 2025.10+ accepts 25.
SUPPORTED_JAVA = (17, 21)

_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')


@dataclass(frozen=True, slots=True)
class Java:
    path: str
    major: int


def java_major(java: str) -> int:
    """The feature version of ``java`` ("1.8.0" -> 8, "17.0.15" -> 17).

    Raises:
        LocalNeo4jError: the binary does not run or prints no version.
    """
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        ).stderr
    except (OSError, subprocess.SubprocessError) as e:
        raise LocalNeo4jError(f"cannot run {java} -version: {e}") from e
    m = _VERSION_RE.search(out)
    if not m:
        raise LocalNeo4jError(f"cannot read the Java version from `{java} -version`: {out.strip()[:200]}")
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def _candidates() -> list[tuple[str, str]]:
    """(where it came from, path) in order of preference."""
    found: list[tuple[str, str]] = []
    if explicit := os.environ.get("NEO4J_JAVA"):
        found.append(("NEO4J_JAVA", explicit))
    if home := os.environ.get("JAVA_HOME"):
        found.append(("JAVA_HOME", str(Path(home) / "bin" / "java")))
    if on_path := shutil.which("java"):
        found.append(("PATH", on_path))
    return found


def find_java() -> Java:
    """The Java to run Neo4j with: ``NEO4J_JAVA``, then ``$JAVA_HOME/bin/java``, then ``java`` on PATH.

    ``NEO4J_JAVA`` is taken as an explicit choice: if it is not 17 or 21 this fails rather than
    quietly using another Java. The others are skipped when unsupported, so a machine whose
    ``JAVA_HOME`` points at Java 25 still works when Java 17 is on PATH.

    Raises:
        LocalNeo4jError: no supported Java was found; the message lists what was tried.
    """
    tried: list[str] = []
    for origin, path in _candidates():
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            if origin == "NEO4J_JAVA":
                raise LocalNeo4jError(f"NEO4J_JAVA={path} is not an executable file")
            tried.append(f"{origin}: {path} (not executable)")
            continue
        major = java_major(path)
        if major in SUPPORTED_JAVA:
            return Java(path, major)
        if origin == "NEO4J_JAVA":
            raise LocalNeo4jError(_unsupported(path, major))
        tried.append(f"{origin}: {path} (Java {major})")
    detail = "; ".join(tried) if tried else "no java found"
    raise LocalNeo4jError(
        f"Neo4j 5.26 needs Java 17 or 21 ({detail}). Install OpenJDK 17 "
        "(apt-get install openjdk-17-jre-headless) or point NEO4J_JAVA at a Java 17/21 binary."
    )


def _unsupported(path: str, major: int) -> str:
    why = (
        "Java 25 runs only Neo4j 2025.10 and later, not the 5.26 LTS graphmem pins"
        if major >= 22
        else "it is older than Java 17"
        if major < 17
        else f"Java {major} is not a supported runtime"
    )
    return f"NEO4J_JAVA={path} is Java {major}, which Neo4j 5.26 does not support: {why}. Use Java 17 or 21."
