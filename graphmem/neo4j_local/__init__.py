"""A local Neo4j 5.26 Community server for tests and development, without Docker.

Maven resolves the server's jars once (the shipped ``pom.xml``; cached under
``~/.cache/graphmem/neo4j/<version>/``, or ``$GRAPHMEM_NEO4J_CACHE``), and Java 17 or 21 runs
``org.neo4j.server.CommunityEntryPoint`` on loopback with authentication off.

* :class:`LocalNeo4j`: one server process, temporary by default (the test fixtures use it).
* :func:`start`, :func:`stop`, :func:`status`: a persistent developer server in
  ``~/.graphmem/neo4j``; the CLI exposes them as ``graphmem neo4j start|stop|status`` and
  ``python -m graphmem.neo4j_local start|stop|status``.
"""

from __future__ import annotations

from graphmem.neo4j_local._classpath import NEO4J_VERSION, cache_dir, resolve_classpath
from graphmem.neo4j_local._errors import LocalNeo4jError
from graphmem.neo4j_local._java import SUPPORTED_JAVA, Java, find_java
from graphmem.neo4j_local._persistent import (
    STATE_FILE,
    ServerState,
    cli,
    config_snippet,
    default_home,
    main,
    start,
    status,
    stop,
)
from graphmem.neo4j_local._server import LocalNeo4j

__all__ = [
    "NEO4J_VERSION",
    "STATE_FILE",
    "SUPPORTED_JAVA",
    "Java",
    "LocalNeo4j",
    "LocalNeo4jError",
    "ServerState",
    "cache_dir",
    "cli",
    "config_snippet",
    "default_home",
    "find_java",
    "main",
    "resolve_classpath",
    "start",
    "status",
    "stop",
]
