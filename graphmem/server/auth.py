"""API keys: random secrets shown once, stored as SHA-256 hashes in the store's documents.

A key looks like ``gm_<key id>_<secret>``. The key id (12 hex characters) names the key in lists,
logs and revocations; the whole key is hashed, so the store never holds anything that
authenticates. A key is bound to one principal (a person or an agent); what the principal may do
comes from its project roles in the team layer, not from the key. A key marked ``admin`` may
also manage other principals' keys and create projects over existing runs (the operator's key).

This module imports no web framework: ``graphmem keys`` uses it directly on a store.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from graphmem.errors import InvalidInputError, MemoryNotFoundError
from graphmem.models import utcnow
from graphmem.stores.base import Store, WriteBatch

#: Store document kind holding one document per key, keyed by key id.
DOC_KIND = "api_key"
PREFIX = "gm"
_KEY_RE = re.compile(r"^gm_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")
_PRINCIPAL_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


def check_principal(name: Any) -> str:
    """A principal name: 1-200 characters, no control characters, not only spaces.

    Raises:
        InvalidInputError: the name is not acceptable.
    """
    if not isinstance(name, str) or not _PRINCIPAL_RE.match(name) or not name.strip():
        raise InvalidInputError("principal must be 1-200 printable characters")
    return name


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """What is stored about a key: never the key itself."""

    key_id: str
    principal: str
    name: str | None
    admin: bool
    created_at: str
    revoked_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The public view, as listed by ``graphmem keys list`` and ``GET /v1/keys/``."""
        return {
            "key_id": self.key_id, "principal": self.principal, "name": self.name, "admin": self.admin,
            "created_at": self.created_at, "revoked_at": self.revoked_at,
        }  # fmt: skip


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, as established by its API key."""

    name: str
    key_id: str
    admin: bool = False


class ApiKeys:
    """Create, list, revoke and check API keys kept in ``store``'s documents."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, principal: str, *, name: str | None = None, admin: bool = False) -> tuple[str, ApiKey]:
        """A new key for ``principal``. The returned secret is shown once and never stored.

        Returns:
            ``(key, record)``: the key to hand to the client, and what is stored about it.

        Raises:
            InvalidInputError: the principal or name is not acceptable.
        """
        check_principal(principal)
        if name is not None and (not isinstance(name, str) or len(name) > 200):
            raise InvalidInputError("key name must be a string of at most 200 characters")
        key_id = secrets.token_hex(6)
        token = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKey(key_id=key_id, principal=principal, name=name, admin=bool(admin), created_at=utcnow())
        doc = {**record.to_dict(), "hash": _digest(token)}
        self.store.apply(WriteBatch(docs_put=[(DOC_KIND, key_id, doc)]))
        return token, record

    def list(self, principal: str | None = None, *, include_revoked: bool = False) -> list[ApiKey]:
        """Keys (of one principal, or all), oldest first."""
        keys = [_record(d) for d in self.store.get_docs(DOC_KIND).values()]
        keys = [k for k in keys if (principal is None or k.principal == principal)]
        if not include_revoked:
            keys = [k for k in keys if k.revoked_at is None]
        return sorted(keys, key=lambda k: (k.created_at, k.key_id))

    def get(self, key_id: str) -> ApiKey:
        """One key's record (revoked ones included).

        Raises:
            MemoryNotFoundError: no key has this id (the 404 of the API).
        """
        doc = self.store.get_docs(DOC_KIND, [key_id]).get(key_id) if isinstance(key_id, str) else None
        if doc is None:
            raise MemoryNotFoundError(f"no API key with id {key_id!r}")
        return _record(doc)

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key: it stops authenticating at once. The record stays, for the audit trail.

        Raises:
            MemoryNotFoundError: no key has this id.
        """
        doc = self.store.get_docs(DOC_KIND, [key_id]).get(key_id) if isinstance(key_id, str) else None
        if doc is None:
            raise MemoryNotFoundError(f"no API key with id {key_id!r}")
        if doc.get("revoked_at") is None:
            doc = {**doc, "revoked_at": utcnow()}
            self.store.apply(WriteBatch(docs_put=[(DOC_KIND, key_id, doc)]))
        return _record(doc)

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal ``token`` belongs to, or ``None`` for a malformed, unknown or revoked key."""
        if not token:
            return None
        match = _KEY_RE.match(token)
        if match is None:
            return None
        doc = self.store.get_docs(DOC_KIND, [match.group(1)]).get(match.group(1))
        # compare_digest: the time taken must not tell an attacker how much of a hash matched
        if doc is None or not hmac.compare_digest(str(doc.get("hash", "")), _digest(token)):
            return None
        if doc.get("revoked_at") is not None:
            return None
        return Principal(name=str(doc["principal"]), key_id=str(doc["key_id"]), admin=bool(doc.get("admin")))


def _record(doc: dict[str, Any]) -> ApiKey:
    return ApiKey(
        key_id=str(doc["key_id"]), principal=str(doc["principal"]), name=doc.get("name"),
        admin=bool(doc.get("admin")), created_at=str(doc["created_at"]), revoked_at=doc.get("revoked_at"),
    )  # fmt: skip
