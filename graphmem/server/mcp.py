"""``graphmem mcp``: graph memory as MCP tools over stdio, for agent frameworks.

Four tools: ``search`` and ``relations`` (read-only), ``add`` (writes, and with an LLM may update
or delete memories it supersedes, so it is marked destructive) and ``ask`` (answers from memory
and stores the answer: writes, additively). Each takes the scope (``run_id``, ``user_id``,
``agent_id``); ``graphmem mcp --run-id X`` sets a default so an agent need not repeat it.

The tools talk to a graphmem server through :class:`~graphmem.server.client.MemoryClient` when a
host or key is given (``--host`` / ``GRAPHMEM_HOST``, ``GRAPHMEM_API_KEY``): several agents then
share one memory, with the key's roles. Otherwise they open a local ``Memory`` (``--dir``), acting
for ``--principal`` when one is given.

Uses the official ``mcp`` SDK (``pip install 'graphmem[server]'``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from graphmem.errors import GraphMemError, MissingDependencyError

INSTRUCTIONS = (
    "Shared graph memory. `search` finds memories and facts (who said what, who works with whom); "
    "`relations` lists facts between entities; `add` stores what was said, attributed to `name`; "
    "`ask` answers a question from memory. Scope every call with run_id (a shared project), "
    "user_id or agent_id unless the server was started with a default."
)


def _sdk() -> tuple[Any, Any, Any]:
    """The SDK's server class, ToolAnnotations and ToolError (mcp 2.x ``MCPServer``, or 1.x ``FastMCP``)."""
    try:
        types = importlib.import_module("mcp.types")
    except ImportError as e:
        raise MissingDependencyError("mcp", extra="server") from e
    try:
        server = importlib.import_module("mcp.server.mcpserver")
        exceptions = importlib.import_module("mcp.server.mcpserver.exceptions")
        return server.MCPServer, types.ToolAnnotations, exceptions.ToolError
    except ImportError:  # mcp 1.x
        server = importlib.import_module("mcp.server.fastmcp")
        exceptions = importlib.import_module("mcp.server.fastmcp.exceptions")
        return server.FastMCP, types.ToolAnnotations, exceptions.ToolError


class Backend:
    """What the tools call: a server through ``MemoryClient``, or a local (acting) ``Memory``."""

    def __init__(self, target: Any, defaults: dict[str, str]) -> None:
        self.target = target
        self.defaults = defaults

    def scope(self, run_id: str | None, user_id: str | None, agent_id: str | None) -> dict[str, str]:
        given = {k: v for k, v in (("run_id", run_id), ("user_id", user_id), ("agent_id", agent_id)) if v}
        return given or dict(self.defaults)


def build_server(backend: Backend) -> Any:
    """The MCP server with graphmem's four tools bound to ``backend``."""
    Server, ToolAnnotations, ToolError = _sdk()
    server = Server("graphmem", instructions=INSTRUCTIONS)
    target = backend.target

    class Guarded:
        """The backend, with graphmem's errors turned into tool errors the agent can read (the
        SDK shows an unexpected exception as a bare "Error executing tool")."""

        def __getattr__(self, name: str) -> Any:
            method = getattr(target, name)

            def call(*args: Any, **kwargs: Any) -> Any:
                try:
                    return method(*args, **kwargs)
                except GraphMemError as e:
                    raise ToolError(f"{type(e).__name__}: {e}") from e

            return call

    memory = Guarded()

    def search(query: str, run_id: str | None = None, user_id: str | None = None, agent_id: str | None = None,
               limit: int = 10) -> dict[str, Any]:  # fmt: skip
        found: dict[str, Any] = memory.search(query, **backend.scope(run_id, user_id, agent_id), limit=limit)
        return found

    def relations(run_id: str | None = None, user_id: str | None = None, agent_id: str | None = None,
                  entity: str | None = None, relationship: str | None = None,
                  include_invalid: bool = False) -> dict[str, Any]:  # fmt: skip
        found = memory.relations(**backend.scope(run_id, user_id, agent_id), entity=entity,
                                 relationship=relationship, include_invalid=include_invalid)  # fmt: skip
        return {"relations": found}

    def add(content: str, run_id: str | None = None, user_id: str | None = None, agent_id: str | None = None,
            name: str | None = None, role: str = "user", metadata: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        message: dict[str, Any] = {"role": role, "content": content}
        if name:
            message["name"] = name
        added: dict[str, Any] = memory.add(
            [message], **backend.scope(run_id, user_id, agent_id), metadata=metadata
        )
        return added

    def ask(question: str, run_id: str | None = None, user_id: str | None = None, agent_id: str | None = None,
            limit: int = 10) -> dict[str, Any]:  # fmt: skip
        answer: dict[str, Any] = memory.ask(question, **backend.scope(run_id, user_id, agent_id), limit=limit)
        return answer

    server.add_tool(
        search,
        description="Search shared memory: memories ranked by vector, keyword and graph signals, and the "
        "relations (facts) they support, each with who said it.",
        annotations=ToolAnnotations(title="Search memory", readOnlyHint=True, openWorldHint=False),
    )
    server.add_tool(
        relations,
        description="List relations (facts between entities: WORKS_WITH, RESPONSIBLE_FOR, HAS_STATUS, ...), "
        "optionally touching one entity or of one type; current ones unless include_invalid.",
        annotations=ToolAnnotations(title="List relations", readOnlyHint=True, openWorldHint=False),
    )
    server.add_tool(
        add,
        description="Store what someone said as a memory, and the entities and facts it states. `name` is "
        "who said it (default: this agent's principal). With an LLM on the server, it may update or "
        "delete memories the new one supersedes.",
        annotations=ToolAnnotations(
            title="Add to memory",
            readOnlyHint=False,
            destructiveHint=True,
            idempotentHint=False,
            openWorldHint=False,
        ),
    )
    server.add_tool(
        ask,
        description="Answer a question from the memories and facts in scope, citing who said what (needs an "
        "LLM on the server). The answer is stored as a memory.",
        annotations=ToolAnnotations(
            title="Ask memory",
            readOnlyHint=False,
            destructiveHint=False,
            idempotentHint=False,
            openWorldHint=False,
        ),
    )
    return server


def open_backend(args: argparse.Namespace) -> Backend:
    """A MemoryClient when a server is named (flag or environment), else a local Memory."""
    defaults = {k: v for k in ("run_id", "user_id", "agent_id") if (v := getattr(args, k, None))}
    if args.host or os.environ.get("GRAPHMEM_HOST") or os.environ.get("GRAPHMEM_API_KEY"):
        from graphmem.server.client import MemoryClient

        return Backend(MemoryClient(host=args.host), defaults)
    from graphmem import Memory

    memory = (
        Memory.from_config({"graph_store": {"provider": "embedded", "config": {"path": args.dir}}})
        if args.dir
        else Memory()
    )
    return Backend(memory.as_actor(args.principal) if args.principal else memory, defaults)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``graphmem mcp`` (also ``python -m graphmem.server.mcp``)."""
    p.add_argument(
        "--host", help="a graphmem server's URL (default $GRAPHMEM_HOST); the key is $GRAPHMEM_API_KEY"
    )
    p.add_argument("--dir", help="without a server: the embedded store's directory (default $GRAPHMEM_HOME)")
    p.add_argument("--principal", help="without a server: act for this principal (roles enforced)")
    p.add_argument("--run-id", dest="run_id", help="default scope of the tools")
    p.add_argument("--user-id", dest="user_id", help="default scope of the tools")
    p.add_argument("--agent-id", dest="agent_id", help="default scope of the tools")


def run(args: argparse.Namespace) -> int:
    """Serve the tools on stdin/stdout until the client closes them."""
    server = build_server(open_backend(args))
    server.run("stdio")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graphmem mcp", description="graphmem's MCP tools over stdio")
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except GraphMemError as e:
        print(f"graphmem mcp: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
