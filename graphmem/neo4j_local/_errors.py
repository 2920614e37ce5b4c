"""The one error the launcher raises."""

from __future__ import annotations

from graphmem.errors import StoreUnavailableError


class LocalNeo4jError(StoreUnavailableError):
    """The local Neo4j server could not be prepared, started or reached.

    The message says what to do (install Java 17, check Maven's access to Central, read the log
    tail it quotes). It derives from :class:`StoreUnavailableError` because to a caller it means
    the same thing: there is no store to talk to.
    """
