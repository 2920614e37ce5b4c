"""Webhooks: per-project URLs that receive memory events, signed, retried, and logged.

A project admin registers a URL for some of ``memory.created``, ``memory.updated`` and
``memory.deleted``. Each event becomes one delivery per matching webhook, recorded in the store
(document kind ``webhook_delivery:<webhook id>``) *before* the request that caused it returns,
then POSTed by a background thread. A 2xx answer marks it delivered; anything else (an error
status, a refused connection, a timeout) is retried with exponential backoff,
``backoff * 2**(attempt-1)`` seconds capped at ``backoff_cap``, until ``max_attempts`` is reached
and the delivery is marked failed. Pending deliveries survive a restart: the worker picks them up
when it starts.

Every request carries ``X-Graphmem-Event``, ``X-Graphmem-Delivery`` and
``X-Graphmem-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the webhook's
secret>``. The timestamp is signed so a receiver can refuse replays (see :func:`verify_signature`).

A webhook URL is chosen by a project admin, but the server is the one that connects, from inside
its network: URLs whose host is (or resolves to) a loopback, private, link-local (cloud metadata
at 169.254.169.254), shared, multicast or reserved address are refused, at registration and again
before every attempt, unless ``WebhookSettings.allow_private`` (environment variable
``GRAPHMEM_SERVER_WEBHOOKS_ALLOW_PRIVATE=1``) says the receivers live on such a network.
Redirects are not followed. The check resolves the name a moment before the connection does;
a DNS server that answers differently the second time is not caught here (an egress proxy is the
complete defence).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from graphmem.errors import InvalidInputError, MemoryNotFoundError
from graphmem.models import new_id, utcnow
from graphmem.stores.base import Store, WriteBatch

EVENT_TYPES = ("memory.created", "memory.updated", "memory.deleted")
WEBHOOK_KIND = "webhook"
SIGNATURE_HEADER = "X-Graphmem-Signature"
log = logging.getLogger("graphmem.server.webhooks")


def delivery_kind(webhook_id: str) -> str:
    """The document kind of one webhook's delivery log (one kind each: listing it stays cheap)."""
    return f"webhook_delivery:{webhook_id}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: str, body: bytes, header: str, *, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """Check a delivery's signature header, for receivers.

    Args:
        secret: the webhook's secret (returned once, when the webhook was created).
        body: the raw request body, exactly as received.
        header: the ``X-Graphmem-Signature`` value.
        tolerance: the largest accepted age of the signed timestamp, in seconds.
        now: the current Unix time (default: the clock).
    """
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class WebhookSettings:
    """How deliveries are attempted."""

    max_attempts: int = 5
    backoff: float = 1.0
    backoff_cap: float = 60.0
    timeout: float = 5.0
    #: Delivery records kept per webhook; the oldest finished ones go first.
    log_limit: int = 1000
    #: Deliver to loopback and private-network addresses too (see the module docstring).
    allow_private: bool = False


def _blocked_address(address: str) -> bool:
    """Whether a webhook must not be sent to this IP address without ``allow_private``."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope id is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def private_target(url: str, resolve: bool = True) -> str | None:
    """The non-public address ``url``'s host is or resolves to, else None.

    A name that does not resolve is not judged (the delivery attempt fails on it anyway).
    """
    host = urlsplit(url).hostname or ""
    try:
        return host if _blocked_address(host) else None
    except ValueError:
        pass  # a name, not an address
    if not resolve:
        return None
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        address = str(info[4][0])
        if _blocked_address(address):
            return address
    return None


def _check_url(url: Any, allow_private: bool) -> str:
    if not isinstance(url, str) or len(url) > 2000:
        raise InvalidInputError("url must be an http(s) URL of at most 2000 characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as e:
        raise InvalidInputError(f"url is not a valid URL: {e}") from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("url must be an http(s) URL with a host")
    if not allow_private and (address := private_target(url)) is not None:
        raise InvalidInputError(
            f"url's host is a loopback or private-network address ({address}); webhooks go to public "
            "addresses unless the server allows private ones (GRAPHMEM_SERVER_WEBHOOKS_ALLOW_PRIVATE=1)"
        )
    return url


def _check_events(event_types: Any) -> list[str]:
    if not isinstance(event_types, list) or not event_types:
        raise InvalidInputError(f"event_types must be a non-empty list of {', '.join(EVENT_TYPES)}")
    unknown = [e for e in event_types if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInputError(f"unknown event types {unknown!r}; use {', '.join(EVENT_TYPES)}")
    return list(dict.fromkeys(event_types))


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A webhook without its secret (the secret is returned once, at creation)."""
    return {k: v for k, v in doc.items() if k != "secret"}


class Webhooks:
    """The webhook registry and its delivery worker, over one store."""

    def __init__(self, store: Store, settings: WebhookSettings | None = None) -> None:
        self.store = store
        self.settings = settings or WebhookSettings()
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, str, str]] = []  # (due, seq, webhook id, delivery id)
        self._seq = 0
        self._stop = False
        self._thread: threading.Thread | None = None
        self._cache: dict[str, dict[str, Any]] | None = None
        self._cache_at = 0.0
        self._finished: dict[str, int] = {}  # finished deliveries per log kind since start

    # ---- registry ------------------------------------------------------------------------
    def _all(self) -> dict[str, dict[str, Any]]:
        # Re-read every few seconds so webhooks registered by another server process show up.
        if self._cache is None or time.monotonic() - self._cache_at > 5.0:
            self._cache = self.store.get_docs(WEBHOOK_KIND)
            self._cache_at = time.monotonic()
        return self._cache

    def _put(self, doc: dict[str, Any]) -> None:
        self.store.apply(WriteBatch(docs_put=[(WEBHOOK_KIND, doc["id"], doc)]))
        self._cache = None

    def create(
        self, project_id: str, url: str, name: str, event_types: list[str], created_by: str
    ) -> dict[str, Any]:
        """Register a webhook. The result holds the signing ``secret``: it is shown only here."""
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise InvalidInputError("name must be 1-200 characters")
        now = utcnow()
        doc = {
            "id": new_id(), "project_id": project_id, "name": name, "url": _check_url(url, self.settings.allow_private),
            "event_types": _check_events(event_types), "secret": "whsec_" + secrets.token_urlsafe(32),
            "created_by": created_by, "created_at": now, "updated_at": now,
        }  # fmt: skip
        self._put(doc)
        return doc

    def get(self, webhook_id: str) -> dict[str, Any]:
        """One webhook, secret included (callers strip it with :func:`public`).

        Raises:
            MemoryNotFoundError: no webhook has this id.
        """
        doc = self.store.get_docs(WEBHOOK_KIND, [webhook_id]).get(webhook_id)
        if doc is None:
            raise MemoryNotFoundError(f"no webhook with id {webhook_id!r}")
        return doc

    def for_project(self, project_id: str) -> list[dict[str, Any]]:
        """The project's webhooks, oldest first, secrets included."""
        docs = [d for d in self.store.get_docs(WEBHOOK_KIND).values() if d["project_id"] == project_id]
        return sorted(docs, key=lambda d: (d["created_at"], d["id"]))

    def update(self, webhook_id: str, *, name: str | None = None, url: str | None = None,
               event_types: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
        """Change a webhook's name, URL or event types (the secret stays)."""
        doc = dict(self.get(webhook_id))
        if name is not None:
            if not isinstance(name, str) or not 0 < len(name) <= 200:
                raise InvalidInputError("name must be 1-200 characters")
            doc["name"] = name
        if url is not None:
            doc["url"] = _check_url(url, self.settings.allow_private)
        if event_types is not None:
            doc["event_types"] = _check_events(event_types)
        doc["updated_at"] = utcnow()
        self._put(doc)
        return doc

    def delete(self, webhook_id: str) -> None:
        """Remove a webhook and its delivery log; its pending deliveries are dropped."""
        self.get(webhook_id)
        log_keys = list(self.store.get_docs(delivery_kind(webhook_id)))
        kind = delivery_kind(webhook_id)
        batch = WriteBatch(docs_delete=[(WEBHOOK_KIND, webhook_id), *((kind, k) for k in log_keys)])
        self.store.apply(batch)
        self._cache = None

    def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        """The webhook's delivery log, newest first."""
        docs = self.store.get_docs(delivery_kind(webhook_id)).values()
        return sorted(docs, key=lambda d: (d["created_at"], d["id"]), reverse=True)

    # ---- events --------------------------------------------------------------------------
    def emit(self, project_id: str | None, events: list[tuple[str, dict[str, Any]]]) -> int:
        """Record one delivery per (event, matching webhook) and queue them for the worker.

        Args:
            project_id: the run the events happened in; events outside a project go nowhere.
            events: ``(event type, data)`` pairs, ``data`` being the memory as the API shows it.

        Returns:
            How many deliveries were queued.
        """
        if not project_id or not events:
            return 0
        hooks = [h for h in self._all().values() if h["project_id"] == project_id]
        if not hooks:
            return 0
        now = utcnow()
        puts: list[tuple[str, str, dict[str, Any]]] = []
        for event, data in events:
            payload = {
                "id": new_id(),
                "event": event,
                "created_at": now,
                "project_id": project_id,
                "data": data,
            }
            for hook in hooks:
                if event in hook["event_types"]:
                    doc = {
                        "id": new_id(), "webhook_id": hook["id"], "event": event, "event_id": payload["id"],
                        "status": "pending", "attempts": 0, "response_status": None, "error": None,
                        "created_at": now, "updated_at": now, "payload": payload,
                    }  # fmt: skip
                    puts.append((delivery_kind(hook["id"]), doc["id"], doc))
        if puts:
            self.store.apply(WriteBatch(docs_put=puts))
            for _, delivery_id, doc in puts:
                self._enqueue(doc["webhook_id"], delivery_id, 0.0)
        return len(puts)

    def _enqueue(self, webhook_id: str, delivery_id: str, delay: float) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._queue, (time.monotonic() + delay, self._seq, webhook_id, delivery_id))
            self._cond.notify()

    # ---- the worker ----------------------------------------------------------------------
    def start(self) -> None:
        """Start the delivery thread, first queueing deliveries left pending by a previous run."""
        if self._thread is not None:
            return
        for hook_id in self.store.get_docs(WEBHOOK_KIND):
            for doc in self.store.get_docs(delivery_kind(hook_id)).values():
                if doc["status"] == "pending":
                    self._enqueue(hook_id, doc["id"], 0.0)
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="graphmem-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after the delivery in flight; pending ones stay recorded for next time."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=self.settings.timeout, follow_redirects=False) as http:
            while True:
                with self._cond:
                    while not self._stop and (not self._queue or self._queue[0][0] > time.monotonic()):
                        self._cond.wait(
                            None if not self._queue else max(0.0, self._queue[0][0] - time.monotonic())
                        )
                    if self._stop:
                        return
                    _, _, hook_id, delivery_id = heapq.heappop(self._queue)
                try:
                    self._attempt(http, hook_id, delivery_id)
                except Exception as e:  # the worker must outlive a store hiccup; the delivery is retried
                    log.warning(
                        "webhook delivery could not be recorded",
                        extra={"delivery_id": delivery_id, "error": type(e).__name__},
                    )
                    self._enqueue(hook_id, delivery_id, self.settings.backoff_cap)

    def _attempt(self, http: Any, hook_id: str, delivery_id: str) -> None:
        kind = delivery_kind(hook_id)
        doc = self.store.get_docs(kind, [delivery_id]).get(delivery_id)
        hook = self.store.get_docs(WEBHOOK_KIND, [hook_id]).get(hook_id)
        if doc is None or doc["status"] != "pending" or hook is None:
            return  # delivered meanwhile, or the webhook (and its log) was deleted
        body = json.dumps(doc["payload"], separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json", "User-Agent": "graphmem-webhooks",
            "X-Graphmem-Event": doc["event"], "X-Graphmem-Delivery": delivery_id,
            SIGNATURE_HEADER: sign(hook["secret"], int(time.time()), body),
        }  # fmt: skip
        status: int | None = None
        error: str | None = None
        blocked = None if self.settings.allow_private else private_target(hook["url"])
        if blocked is not None:  # the name points inside the network now: never connect
            error = "PrivateAddressRefused"
            log.warning("webhook delivery refused: host resolves to a non-public address",
                        extra={"delivery_id": delivery_id, "webhook_id": hook_id})  # fmt: skip
        else:
            try:
                status = http.post(hook["url"], content=body, headers=headers).status_code
            except Exception as e:  # any transport failure is a failed attempt, retried
                error = type(e).__name__
        attempts = int(doc["attempts"]) + 1
        ok = status is not None and 200 <= status < 300
        doc.update(attempts=attempts, response_status=status, error=error, updated_at=utcnow())
        if ok:
            doc["status"] = "delivered"
        elif attempts >= self.settings.max_attempts:
            doc["status"] = "failed"
        if doc["status"] == "pending":
            delay = min(self.settings.backoff_cap, self.settings.backoff * 2 ** (attempts - 1))
            doc["next_attempt_in_s"] = delay
        self.store.apply(WriteBatch(docs_put=[(kind, delivery_id, doc)]))
        log.info("webhook delivery", extra={"delivery_id": delivery_id, "webhook_id": hook_id, "event": doc["event"],
                                            "status": doc["status"], "attempts": attempts, "response_status": status})  # fmt: skip
        if doc["status"] == "pending":
            self._enqueue(hook_id, delivery_id, doc["next_attempt_in_s"])
        else:
            self._finished[kind] = self._finished.get(kind, 0) + 1
            # trimming reads the whole log: do it every tenth of the limit (at most every 50), not every time
            if self._finished[kind] % max(1, min(50, self.settings.log_limit // 10)) == 0:
                self._prune(kind)

    def _prune(self, kind: str) -> None:
        docs = self.store.get_docs(kind)
        if len(docs) <= self.settings.log_limit:
            return
        done = sorted(
            (d for d in docs.values() if d["status"] != "pending"), key=lambda d: (d["created_at"], d["id"])
        )
        extra = done[: len(docs) - self.settings.log_limit]
        self.store.apply(WriteBatch(docs_delete=[(kind, d["id"]) for d in extra]))
