"""Resolving the Neo4j server's classpath from Maven Central with the shipped ``pom.xml``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from graphmem.neo4j_local._errors import LocalNeo4jError

#: The Neo4j release graphmem tests against (5.26 LTS, Java 17/21). Must match pom.xml.
NEO4J_VERSION = "5.26.31"

_MVN_TIMEOUT_S = 900  # a cold ~/.m2 downloads ~200 jars


def cache_dir(version: str = NEO4J_VERSION) -> Path:
    """``$GRAPHMEM_NEO4J_CACHE/<version>``, by default ``~/.cache/graphmem/neo4j/<version>``."""
    base = os.environ.get("GRAPHMEM_NEO4J_CACHE") or Path.home() / ".cache" / "graphmem" / "neo4j"
    return Path(base).expanduser() / version


def pom_text() -> str:
    """The shipped pom.xml (package data)."""
    return resources.files("graphmem.neo4j_local").joinpath("pom.xml").read_text(encoding="utf-8")


def _classpath_ok(text: str) -> bool:
    jars = [p for p in text.strip().split(os.pathsep) if p]
    return bool(jars) and all(Path(p).is_file() for p in jars)


def resolve_classpath(version: str = NEO4J_VERSION, *, refresh: bool = False) -> str:
    """The server's classpath, resolved once with Maven and cached in :func:`cache_dir`.

    A cached ``classpath.txt`` whose jars have gone (``~/.m2`` cleaned) is resolved again.

    Raises:
        LocalNeo4jError: Maven is missing or cannot resolve the artifacts; the message carries
            Maven's own output.
    """
    if version != NEO4J_VERSION:
        raise LocalNeo4jError(f"this graphmem pins Neo4j {NEO4J_VERSION}; {version} is not supported")
    target = cache_dir(version) / "classpath.txt"
    if not refresh and target.is_file() and _classpath_ok(target.read_text(encoding="utf-8")):
        return target.read_text(encoding="utf-8").strip()
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalNeo4jError(
            "Maven (mvn) is needed once to fetch the Neo4j jars from Maven Central: "
            "install it (apt-get install maven) or set NEO4J_URI to use a running server"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="graphmem-neo4j-pom-") as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_text(pom_text(), encoding="utf-8")
        # Written next to the final file, then renamed: a parallel resolver never reads half a file.
        partial = target.with_name(f"classpath.{os.getpid()}.tmp")
        cmd = [
            mvn, "-q", "-B", "-f", str(pom), "dependency:build-classpath",
            f"-Dmdep.outputFile={partial}", "-Dmdep.includeScope=runtime",
        ]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_MVN_TIMEOUT_S, check=False)
        except (OSError, subprocess.SubprocessError) as e:
            raise LocalNeo4jError(f"running Maven failed: {e}") from e
        if proc.returncode != 0 or not partial.is_file():
            out = (proc.stdout + proc.stderr).strip()[-3000:]
            partial.unlink(missing_ok=True)
            raise LocalNeo4jError(
                f"Maven could not resolve org.neo4j:neo4j:{version} (is Maven Central reachable?):\n{out}"
            )
        text = partial.read_text(encoding="utf-8").strip()
        if not _classpath_ok(text):
            partial.unlink(missing_ok=True)
            raise LocalNeo4jError(f"Maven produced an unusable classpath for Neo4j {version}")
        os.replace(partial, target)
    return text
