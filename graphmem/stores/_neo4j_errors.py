"""Mapping the neo4j driver's exceptions onto graphmem's error tree.

Every call into the driver goes through :func:`translate`, so no ``neo4j.*`` exception leaves
:class:`~graphmem.stores.neo4j.Neo4jStore`. Messages name the server by its URI with any
credentials removed, and never include the password.
"""

from __future__ import annotations

import re

from neo4j import exceptions as nx

from graphmem.errors import (
    ConstraintViolationError,
    StoreAuthError,
    StoreError,
    StoreUnavailableError,
)

_USERINFO = re.compile(r"^([a-z0-9+.\-]+://)[^@/]*@", re.IGNORECASE)
#: The same, anywhere in a text: drivers quote the URI they were given in their messages.
_USERINFO_ANYWHERE = re.compile(r"\b([a-z][a-z0-9+.\-]*://)[^@/\s'\"]*@", re.IGNORECASE)


def redact_uri(uri: str) -> str:
    """``bolt://user:secret@host:7687`` -> ``bolt://host:7687``."""
    return _USERINFO.sub(r"\1", uri)


def redact_text(text: str, password: str | None = None) -> str:
    """``text`` with the credentials of any URI in it removed, and ``password`` masked."""
    text = _USERINFO_ANYWHERE.sub(r"\1", text)
    return text.replace(password, "***") if password else text


def _server_message(e: Exception) -> str:
    message = getattr(e, "message", None) or str(e)
    return str(message).strip().splitlines()[0][:500] if message else type(e).__name__


def translate(e: Exception, uri: str, password: str | None = None) -> StoreError:
    """The graphmem error for a driver (or socket) error ``e`` raised talking to ``uri``."""
    where = redact_uri(uri)
    if isinstance(e, nx.AuthError):
        error: StoreError = StoreAuthError(f"Neo4j at {where} rejected the credentials")
    elif isinstance(e, nx.ConstraintError):
        error = ConstraintViolationError(f"Neo4j at {where}: {_server_message(e)}")
    elif isinstance(e, (nx.ServiceUnavailable, nx.SessionExpired, nx.TransientError, OSError)):
        # TransientError covers deadlocks and DatabaseUnavailable: the driver already retried them.
        error = StoreUnavailableError(f"Neo4j at {where} is unavailable: {_server_message(e)}")
    elif isinstance(e, nx.Neo4jError):
        error = StoreError(f"Neo4j at {where} failed: {_server_message(e)}")
    else:
        error = StoreError(f"Neo4j driver error for {where}: {type(e).__name__}: {_server_message(e)}")
    # Belt and braces: no server or driver message should echo a password, but make sure.
    error.args = tuple(redact_text(str(a), password) for a in error.args)
    return error


#: What :func:`translate` handles; anything else is a bug in graphmem and propagates as is.
DRIVER_ERRORS: tuple[type[Exception], ...] = (nx.Neo4jError, nx.DriverError, OSError)
