"""The ``graphmem`` command: demo, add, search, relations, export, import, doctor, and a local Neo4j
for development."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from graphmem.errors import GraphMemError

#: The landing-page team: four people, one run, English chat as people write it.
DEMO_RUN = "landing-page"
DEMO_CONVERSATION: list[tuple[str, str]] = [
    ("Alice", "Bob and I are building the new landing page."),
    ("Bob", "I'll take the hero section copy."),
    ("Carol", "I work at Acme as a product designer."),
    ("Carol", "I'll do the screenshots for the landing page."),
    ("David", "I report to Alice."),
    ("David", "I'm working on the landing page analytics."),
    ("Alice", "We decided to use Figma for the mockups."),
    ("Bob", "Finished the hero section draft."),
    ("Carol", "Sounds good!"),
    ("David", "What time is the standup?"),
]


def _memory(path: str | None) -> Any:
    from graphmem import Memory

    if path:
        return Memory.from_config({"graph_store": {"provider": "embedded", "config": {"path": path}}})
    return Memory()


def _print_results(found: dict[str, Any], limit: int = 5) -> None:
    for r in found["results"][:limit]:
        print(f"  {r['score']:.3f}  [{r.get('actor_id') or '-'}] {r['memory']}")
    for rel in found["relations"][:limit]:
        print(f"  -> {rel['source']} {rel['relationship']} {rel['destination']}  (said by {rel['actor_id']})")


def cmd_demo(args: argparse.Namespace) -> int:
    m = _memory(args.dir)
    if args.team:
        from graphmem.collab import demo

        print(f"Playing the landing-page team scenario on the {m.store.name} store, with roles ...\n")
        demo.run(m)
        m.close()
        return 0
    m.delete_all(run_id=DEMO_RUN)  # the demo can be run again on the same store
    print(f"Adding the landing-page team's conversation to {m.store.name} store ...")
    for speaker, text in DEMO_CONVERSATION:
        m.add([{"role": "user", "name": speaker, "content": text}], run_id=DEMO_RUN)

    everything = m.get_all(run_id=DEMO_RUN, limit=1000)
    print("\nTimeline")
    for r in sorted(everything["results"], key=lambda r: r["created_at"]):
        print(f"  {r['created_at'][11:19]}  {r['actor_id']:<6} {r['memory']}")

    print("\nMemories by actor")
    counts = Counter(r["actor_id"] for r in everything["results"])
    for actor, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {actor:<6} {n}")

    print("\nRelations (who said each)")
    for rel in m.relations(run_id=DEMO_RUN):
        print(f"  {rel['source']} {rel['relationship']} {rel['destination']}  (said by {rel['actor_id']})")

    print("\nWho works with whom")
    for person in ("Alice", "Bob", "Carol", "David"):
        mates = m.who_works_with(person, run_id=DEMO_RUN)
        desc = ", ".join(
            f"{w['person']} ({'directly' if w['direct'] else 'via ' + ', '.join(w['shared'])})" for w in mates
        )
        print(f"  {person:<6} {desc or '-'}")

    for question in ("who is working on the landing page?", "what is Bob responsible for?"):
        print(f"\nSearch: {question}")
        _print_results(m.search(question, run_id=DEMO_RUN, limit=5))
    m.close()
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    m = _memory(args.dir)
    msg: dict[str, Any] = {"role": args.role, "content": args.text}
    if args.name:
        msg["name"] = args.name
    out = m.add([msg], **_scope(args))
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    m = _memory(args.dir)
    out = m.search(args.query, limit=args.limit, **_scope(args))
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        _print_results(out, args.limit)
    return 0


def cmd_relations(args: argparse.Namespace) -> int:
    m = _memory(args.dir)
    for rel in m.relations(entity=args.entity, relationship=args.relationship,
                           include_invalid=args.include_invalid, **_scope(args)):  # fmt: skip
        closed = f"  [closed {rel['valid_to']}]" if rel["valid_to"] else ""
        print(
            f"{rel['source']} {rel['relationship']} {rel['destination']}  (said by {rel['actor_id']}){closed}"
        )
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from graphmem import viz

    m = _memory(args.dir)
    try:
        g = m.graph(include_invalid=args.include_invalid, **_scope(args))
    finally:
        m.close()
    out = viz.render(g, args.out, title=args.title)
    print(f"wrote {out} ({g.number_of_nodes()} entities, {g.number_of_edges()} relations)")
    return 0


def cmd_neo4j(args: argparse.Namespace) -> int:
    from graphmem import neo4j_local

    return int(neo4j_local.cli(args.action, data_dir=args.data_dir) or 0)


def _store_memory(args: argparse.Namespace) -> Any:
    """The Memory a backup or doctor command works on: ``--neo4j-url`` or ``--dir`` (embedded)."""
    from graphmem import Memory

    store: dict[str, Any] = {"provider": "embedded", "config": {"path": args.dir} if args.dir else {}}
    config: dict[str, Any] = {"graph_store": store}
    if args.neo4j_url:
        if args.dir:
            from graphmem.errors import ConfigError

            raise ConfigError("give either --dir or --neo4j-url, not both")
        password = args.neo4j_password or os.environ.get("NEO4J_PASSWORD")
        neo4j = {"url": args.neo4j_url, "username": args.neo4j_user, "password": password}
        config["graph_store"] = {"provider": "neo4j", "config": {k: v for k, v in neo4j.items() if v}}
    if args.embedder:
        config["embedder"] = {"provider": args.embedder}
    return Memory.from_config(config)


def cmd_export(args: argparse.Namespace) -> int:
    with _store_memory(args) as m:
        out = m.export(args.out, **_scope(args))
    counts = ", ".join(f"{n} {kind}" for kind, n in out["counts"].items())
    print(f"exported {counts} to {out['path']} (sha256 {out['sha256'][:12]}...)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with _store_memory(args) as m:
        out = m.import_(args.file, reembed=args.reembed)
        where = m.store.name
    added = ", ".join(f"{n} {kind}" for kind, n in out["added"].items() if n) or "nothing new"
    updated = ", ".join(f"{n} {kind}" for kind, n in out["updated"].items() if n)
    print(f"imported into the {where} store: added {added}" + (f"; updated {updated}" if updated else ""))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from graphmem.collab.health import render

    with _store_memory(args) as m:
        report = m.health(probe_llm=args.probe_llm)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 0 if report["ok"] else 1


def _add_store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", help="embedded store directory (default $GRAPHMEM_HOME or ~/.graphmem)")
    p.add_argument("--neo4j-url", dest="neo4j_url", help="the Neo4j store at this bolt:// or neo4j:// URL")
    p.add_argument("--neo4j-user", dest="neo4j_user", default=None)
    p.add_argument("--neo4j-password", dest="neo4j_password", help="default: $NEO4J_PASSWORD")
    p.add_argument("--embedder", help="embedder provider (default: the config's, bundled MiniLM); "
                   "must be the one the store was written with")  # fmt: skip


def _scope(args: argparse.Namespace) -> dict[str, str]:
    return {k: v for k in ("user_id", "agent_id", "run_id") if (v := getattr(args, k, None))}


def _add_scope_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user-id", dest="user_id")
    p.add_argument("--agent-id", dest="agent_id")
    p.add_argument("--run-id", dest="run_id")
    p.add_argument("--dir", help="embedded store directory (default $GRAPHMEM_HOME or ~/.graphmem)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphmem", description="Graph memory for AI agents.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the landing-page team scenario on the embedded store")
    p.add_argument("--dir", help="embedded store directory (default $GRAPHMEM_HOME or ~/.graphmem)")
    p.add_argument("--team", action="store_true", help="roles, tasks, a meeting and contributions")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("add", help="add one message")
    p.add_argument("text")
    p.add_argument("--name", help="who said it (the actor)")
    p.add_argument("--role", default="user", choices=["user", "assistant", "system", "tool"])
    _add_scope_args(p)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("search", help="search memories and relations")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true")
    _add_scope_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("relations", help="list relations in a scope")
    p.add_argument("--entity")
    p.add_argument("--relationship")
    p.add_argument("--include-invalid", action="store_true")
    _add_scope_args(p)
    p.set_defaults(func=cmd_relations)

    p = sub.add_parser("export", help="back up a scope (or everything) to a versioned JSONL file")
    p.add_argument("--out", required=True, help="the file to write")
    for flag in ("--user-id", "--agent-id", "--run-id"):
        p.add_argument(flag, dest=flag[2:].replace("-", "_"))
    _add_store_args(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="restore an export (all or nothing; importing twice adds nothing)")
    p.add_argument("file")
    p.add_argument("--reembed", action="store_true", help="recompute vectors with this store's embedder")
    _add_store_args(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("doctor", help="check the store, its indexes, the embedder and the LLM")
    p.add_argument("--probe-llm", action="store_true", help="also make one small LLM call")
    p.add_argument("--json", action="store_true")
    _add_store_args(p)
    p.set_defaults(func=cmd_doctor)

    from graphmem.server._cli import add_commands as add_server_commands

    add_server_commands(sub, _add_store_args, _store_memory)  # serve, mcp, keys

    p = sub.add_parser("graph", help="draw a scope's graph to a .png, .svg or interactive .html file")
    p.add_argument("--out", required=True, help="the file to write; its extension picks the format")
    p.add_argument("--title", help="default: the entity and relation counts")
    p.add_argument("--include-invalid", action="store_true", help="also draw closed relations (dashed)")
    _add_scope_args(p)
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser("neo4j", help="a local Neo4j 5.26 for development (Java 17 + Maven)")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--data-dir", help="where the server keeps its data (default ~/.graphmem/neo4j)")
    p.set_defaults(func=cmd_neo4j)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except GraphMemError as e:
        print(f"graphmem: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
