"""The server's commands for ``graphmem``: ``serve``, ``mcp`` and ``keys create|list|revoke``.

``graphmem/cli.py`` registers them with :func:`add_commands`, handing over its own store options
(``--dir`` / ``--neo4j-url`` / ``--embedder``) so every command opens stores the same way.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
from collections.abc import Callable
from typing import Any

StoreArgs = Callable[[argparse.ArgumentParser], None]
OpenMemory = Callable[[argparse.Namespace], Any]


def add_commands(sub: Any, add_store_args: StoreArgs, open_memory: OpenMemory) -> None:
    """Add ``serve``, ``mcp`` and ``keys`` to the ``graphmem`` subparsers ``sub``."""
    p = sub.add_parser("serve", help="run the REST server (API keys, webhooks; see README 'Server')")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--rate-limit", type=float, help="requests per second per key (0: no limit)")
    p.add_argument("--rate-burst", type=int, help="requests a key may save up")
    p.add_argument("--max-body-bytes", type=int, help="largest request body")
    p.add_argument("--max-page-size", type=int, help="largest page of a listing")
    p.add_argument("--webhooks-allow-private", action="store_true", default=None,
                   help="deliver webhooks to loopback and private-network addresses too (refused by default)")  # fmt: skip
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    add_store_args(p)
    p.set_defaults(func=lambda a: cmd_serve(a, open_memory))

    from graphmem.server import mcp

    p = sub.add_parser("mcp", help="serve graphmem's MCP tools (add, search, relations, ask) on stdio")
    mcp.add_arguments(p)
    p.set_defaults(func=mcp.run)

    keys = sub.add_parser("keys", help="create, list and revoke API keys of the server").add_subparsers(
        dest="keys_command", required=True
    )
    p = keys.add_parser("create", help="a new key for a principal, printed once")
    p.add_argument("--principal", required=True, help="who the key acts for (a person or an agent)")
    p.add_argument("--name", help="a label for the key")
    p.add_argument("--admin", action="store_true", help="an operator key: manages others' keys and projects")
    p.add_argument("--json", action="store_true")
    add_store_args(p)
    p.set_defaults(func=lambda a: cmd_keys_create(a, open_memory))
    p = keys.add_parser("list", help="keys and their principals (never the keys themselves)")
    p.add_argument("--principal")
    p.add_argument("--all", action="store_true", help="revoked keys too")
    p.add_argument("--json", action="store_true")
    add_store_args(p)
    p.set_defaults(func=lambda a: cmd_keys_list(a, open_memory))
    p = keys.add_parser("revoke", help="revoke a key by its id")
    p.add_argument("key_id")
    add_store_args(p)
    p.set_defaults(func=lambda a: cmd_keys_revoke(a, open_memory))


def cmd_serve(args: argparse.Namespace, open_memory: OpenMemory) -> int:
    from graphmem.server.app import ServerSettings, serve
    from graphmem.server.logs import LOGGER_NAME, configure_logging

    settings = ServerSettings.from_env(
        rate_limit=args.rate_limit, rate_burst=args.rate_burst, max_body_bytes=args.max_body_bytes,
        max_page_size=args.max_page_size,
    )  # fmt: skip
    if args.webhooks_allow_private:
        settings.webhooks.allow_private = True
    handler = configure_logging(args.log_level)
    memory = open_memory(args)
    # Bind here, so --port 0 works and the address actually bound can be announced.
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)  # connections made from now on wait in the backlog until uvicorn serves them
    host, port = sock.getsockname()[:2]
    url = f"http://{host}:{port}"
    announce = logging.makeLogRecord(
        {"name": LOGGER_NAME, "levelno": logging.INFO, "levelname": "INFO", "msg": "listening", "url": url,
         "store": memory.store.name}
    )  # fmt: skip
    handler.handle(announce)  # whatever --log-level says: scripts wait for this line
    try:
        serve(memory, settings=settings, log_level=args.log_level, sock=sock)
    finally:
        memory.close()
    return 0


def _keys(args: argparse.Namespace, open_memory: OpenMemory) -> Any:
    from graphmem.server.auth import ApiKeys

    return ApiKeys(open_memory(args).store)


def cmd_keys_create(args: argparse.Namespace, open_memory: OpenMemory) -> int:
    token, record = _keys(args, open_memory).create(args.principal, name=args.name, admin=args.admin)
    if args.json:
        print(json.dumps({"key": token, **record.to_dict()}))
    else:
        print(token)
        print(f"# key id {record.key_id} for {record.principal!r}{' (admin)' if record.admin else ''}: "
              "shown once; the server stores only its hash")  # fmt: skip
    return 0


def cmd_keys_list(args: argparse.Namespace, open_memory: OpenMemory) -> int:
    found = _keys(args, open_memory).list(args.principal, include_revoked=args.all)
    if args.json:
        print(json.dumps([k.to_dict() for k in found]))
        return 0
    for k in found:
        flags = " admin" if k.admin else ""
        flags += f" revoked {k.revoked_at}" if k.revoked_at else ""
        print(f"{k.key_id}  {k.principal}  created {k.created_at}{flags}  {k.name or ''}".rstrip())
    return 0


def cmd_keys_revoke(args: argparse.Namespace, open_memory: OpenMemory) -> int:
    record = _keys(args, open_memory).revoke(args.key_id)
    print(f"revoked {record.key_id} ({record.principal})")
    return 0
