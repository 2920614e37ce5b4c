"""``Memory``: the mem0-compatible facade over a store, an embedder and an extractor.

Every public method validates its arguments before anything is read or written, scopes the call
(at least one of ``user_id``, ``agent_id``, ``run_id``), and hands over to the pipelines.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphmem.config import MemoryConfig
from graphmem.embedders.base import Embedder
from graphmem.errors import ConfigError, InvalidInputError, InvalidRelationTypeError, MemoryNotFoundError
from graphmem.extractors.base import Extractor
from graphmem.filters import parse_filters
from graphmem.models import SCOPE_KEYS, Relation, Scope, entity_key, format_time
from graphmem.pipeline import _input as check
from graphmem.pipeline._graph import RELATION_TYPE
from graphmem.pipeline.add import AddContext, AddRequest, run_add, run_delete, run_update
from graphmem.pipeline.search import run_search
from graphmem.stores.base import Store

if TYPE_CHECKING:
    import networkx as nx

#: Relations that put two people on the same piece of work.
SHARED_WORK_TYPES = ("WORKS_ON", "RESPONSIBLE_FOR", "MEMBER_OF")


class Memory:
    """Graph memory for agents, with mem0's ``Memory`` API.

    Example:
        >>> m = Memory()  # embedded store in $GRAPHMEM_HOME or ~/.graphmem, local MiniLM, offline
        >>> m.add("I work at Acme.", user_id="alice")  # doctest: +SKIP
        >>> m.search("where does alice work?", user_id="alice")  # doctest: +SKIP
    """

    def __init__(
        self,
        config: MemoryConfig | dict[str, Any] | None = None,
        *,
        store: Store | None = None,
        embedder: Embedder | None = None,
        extractor: Extractor | None = None,
        llm: Any = None,
    ) -> None:
        if isinstance(config, dict):
            config = MemoryConfig.from_dict(config)
        self.config: MemoryConfig = config or MemoryConfig()
        from graphmem import _factory

        self.llm = llm if llm is not None else _factory.make_llm(self.config)
        self.embedder: Embedder = embedder or _factory.make_embedder(self.config)
        self.extractor: Extractor = extractor or _factory.make_extractor(self.config, self.llm)
        self.store: Store = store or _factory.make_store(self.config)
        self.store.ensure_schema(self.embedder.dim)
        self._ctx = AddContext(
            store=self.store, embedder=self.embedder, extractor=self.extractor,
            merge_threshold=self.config.entity_merge_threshold,
            llm_add=_factory.make_llm_add(self.config, self.llm),
        )  # fmt: skip
        # Entity resolution reads, then writes: serialise writers within the process.
        self._write_lock = threading.RLock()

    @classmethod
    def from_config(cls, config_dict: dict[str, Any]) -> Memory:
        """Build a Memory from a mem0-style config dict (unknown keys raise ConfigError)."""
        return cls(MemoryConfig.from_dict(config_dict))

    def __repr__(self) -> str:
        return f"Memory(store={self.store.name!r}, embedder={type(self.embedder).__name__}, extractor={self.extractor.name!r})"

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- scoping ---------------------------------------------------------------------------
    def _scope(
        self, user_id: Any, agent_id: Any, run_id: Any, filters: dict[str, Any] | None = None, required: bool = True
    ) -> tuple[Scope, dict[str, Any] | None]:
        """The call's scope; scope ids given only inside ``filters`` (mem0 2.x style) are lifted out."""
        if filters and isinstance(filters, dict) and not any((user_id, agent_id, run_id)):
            lifted = {k: filters[k] for k in SCOPE_KEYS if isinstance(filters.get(k), str)}
            if lifted:
                filters = {k: v for k, v in filters.items() if k not in lifted}
                user_id, agent_id, run_id = (lifted.get(k) for k in SCOPE_KEYS)
        return check.check_scope(user_id, agent_id, run_id, self.config.limits, required=required), filters

    # ---- writes ----------------------------------------------------------------------------
    def add(
        self,
        messages: Any,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        memory_type: str | None = None,
        prompt: str | None = None,
        timestamp: datetime | str | float | None = None,
    ) -> dict[str, Any]:
        """Store messages as memories and write what they state into the graph.

        Args:
            messages: a string (one user message), a message dict ``{"role", "content", "name"}``
                or a list of them. A message's ``name`` is its actor.
            user_id, agent_id, run_id: the scope; at least one is required.
            metadata: a JSON object stored with every memory of this call.
            infer: with an LLM configured, extract fact memories and reconcile them with what is
                stored; without one, messages are stored as they are and the offline extractor runs.
            memory_type: e.g. ``"procedural_memory"`` (with an LLM and ``agent_id``).
            prompt: overrides the fact-extraction prompt for this call.
            timestamp: when the messages were said (datetime, ISO-8601 or Unix seconds); default now.

        Returns:
            ``{"results": [{id, memory, event, actor_id, role, created_at, ...}], "relations":
            {"added": [...], "invalidated": [...]}, "extractor": name}``, results in message order.

        Raises:
            ScopeRequiredError, EmptyContentError, ContentTooLargeError, InvalidMetadataError,
            InvalidInputError: the input is rejected and nothing is written.
        """
        scope, _ = self._scope(user_id, agent_id, run_id)
        if not isinstance(infer, bool):
            raise InvalidInputError("infer must be True or False")
        # The LLM path also takes image and PDF parts (it validates and converts them itself).
        llm_path = self._ctx.llm_add is not None and (infer or memory_type == "procedural_memory")
        parsed = [] if llm_path and not _is_plain(messages) else check.normalise_messages(messages, self.config.limits)
        req = AddRequest(
            messages=parsed, scope=scope, metadata=check.check_metadata(metadata, self.config.limits),
            infer=infer, memory_type=check.check_memory_type(memory_type),
            prompt=check.check_text(prompt, "prompt", self.config.limits) if prompt is not None else None,
            timestamp=check.check_timestamp(timestamp), raw=messages,
        )  # fmt: skip
        with self._write_lock:
            return run_add(self._ctx, req)

    def update(self, memory_id: str, data: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Replace a memory's text: re-embed, re-extract its relations, keep the old text in history.

        Raises:
            MemoryNotFoundError: no memory has this id.
        """
        text = check.check_text(data, "data", self.config.limits)
        meta = check.check_metadata(metadata, self.config.limits) if metadata is not None else None
        with self._write_lock:
            return run_update(self._ctx, self._get_record(memory_id), text, meta)

    def delete(self, memory_id: str) -> dict[str, str]:
        """Delete a memory, its mentions, and the facts whose only provenance it was.

        Raises:
            MemoryNotFoundError: no memory has this id.
        """
        with self._write_lock:
            run_delete(self._ctx, self._get_record(memory_id))
        return {"message": "Memory deleted successfully!"}

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, str]:
        """Delete every memory, entity and relation in the scope (history is kept)."""
        scope, _ = self._scope(user_id, agent_id, run_id)
        with self._write_lock:
            self.store.delete_scope(scope)
        return {"message": "Memories deleted successfully!"}

    def reset(self) -> None:
        """Delete everything in the store, history included."""
        with self._write_lock:
            self.store.reset()

    # ---- reads -----------------------------------------------------------------------------
    def _get_record(self, memory_id: str) -> Any:
        if not isinstance(memory_id, str) or not memory_id:
            raise MemoryNotFoundError(f"memory id must be a non-empty string, got {memory_id!r}")
        found = self.store.get_memories([memory_id])
        if not found:
            raise MemoryNotFoundError(f"no memory with id {memory_id!r}")
        return found[0]

    def get(self, memory_id: str) -> dict[str, Any]:
        """One memory by id.

        Raises:
            MemoryNotFoundError: no memory has this id.
        """
        return dict(self._get_record(memory_id).to_dict())

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Memories in scope (newest first) and the current relations in scope."""
        scope, filters = self._scope(user_id, agent_id, run_id, filters)
        tree = parse_filters(filters)
        n = check.check_limit(limit)
        memories = self.store.list_memories(scope, tree, limit=n)
        return {
            "results": [m.to_dict() for m in memories],
            "relations": [r.to_dict() for r in self.store.relations(scope, limit=n)],
        }

    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        filters: dict[str, Any] | None = None,
        threshold: float | None = None,
        top_k: int | None = None,
    ) -> dict[str, Any]:
        """Memories and relations relevant to ``query``, fusing vector, keyword and graph signals.

        Returns:
            ``{"results": [{..., "score", "scores": {signal: value}}], "relations": [{..., "score"}]}``.
            ``score`` is the fused rank score in [0, 1]; ``scores`` holds each signal's own value
            (``vector`` is the (1+cos)/2 similarity).
        """
        scope, filters = self._scope(user_id, agent_id, run_id, filters)
        text = check.check_text(query, "query", self.config.limits)
        n = check.check_limit(top_k if top_k is not None else limit)
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
            raise InvalidInputError("threshold must be a number")
        return run_search(
            self.store, self.embedder, self.config.search, text, scope, parse_filters(filters), n, threshold
        )

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """Every ADD / UPDATE / DELETE event of a memory, oldest first (kept after deletion)."""
        if not isinstance(memory_id, str) or not memory_id:
            raise MemoryNotFoundError(f"memory id must be a non-empty string, got {memory_id!r}")
        events = self.store.history(memory_id)
        if not events:
            raise MemoryNotFoundError(f"no memory with id {memory_id!r}")
        return [e.to_dict() for e in events]

    def ask(
        self,
        question: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 10,
        answer_name: str = "assistant",
        store_answer: bool = True,
    ) -> dict[str, Any]:
        """Answer ``question`` with the LLM from the memories and relations in scope, citing who said
        what; the answer is stored as an assistant message attributed to ``answer_name``.

        Returns:
            ``{"answer", "memories", "relations", "usage", "stored"}``.

        Raises:
            ConfigError: no LLM is configured.
        """
        if self.llm is None:
            raise ConfigError("ask needs an llm in the config")
        scope, _ = self._scope(user_id, agent_id, run_id)
        from graphmem.pipeline.ask import ask

        return ask(self, question, llm=self.llm, scope_kwargs=scope.to_dict(), limit=check.check_limit(limit),
                   answer_name=answer_name, store_answer=store_answer)  # fmt: skip

    # ---- the graph -------------------------------------------------------------------------
    def relations(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        entity: str | None = None,
        relationship: str | None = None,
        include_invalid: bool = False,
        as_of: datetime | str | float | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Relations in scope, optionally touching one entity or of one type; current ones unless
        ``include_invalid``; or those valid at ``as_of``."""
        return [r.to_dict() for r in self._relations(user_id, agent_id, run_id, entity, relationship, include_invalid, as_of, limit)]

    def _relations(
        self, user_id: Any, agent_id: Any, run_id: Any, entity: Any, relationship: Any,
        include_invalid: bool, as_of: Any, limit: int,
    ) -> list[Relation]:  # fmt: skip
        scope, _ = self._scope(user_id, agent_id, run_id)
        types = None
        if relationship is not None:
            if not isinstance(relationship, str) or not RELATION_TYPE.match(relationship.upper()):
                raise InvalidRelationTypeError(f"relationship {relationship!r} is not an UPPER_SNAKE relation type")
            types = [relationship.upper()]
        ids = None
        if entity is not None:
            ids = [e.id for e in self.store.find_entities(scope, [entity_key(check.check_text(entity, "entity", self.config.limits))])]
            if not ids:
                return []
        when = check.check_timestamp(as_of)
        return self.store.relations(
            scope, entity_ids=ids, types=types, include_invalid=include_invalid,
            as_of=format_time(when) if when else None, limit=check.check_limit(limit),
        )  # fmt: skip

    def who_works_with(
        self, entity: str, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> list[dict[str, Any]]:
        """People linked to ``entity`` directly (WORKS_WITH) or through shared work (two hops:
        both WORKS_ON / RESPONSIBLE_FOR / MEMBER_OF the same thing), strongest first.

        Returns:
            ``[{"person": name, "direct": bool, "shared": [names of shared work items]}]``.
        """
        scope, _ = self._scope(user_id, agent_id, run_id)
        me = self.store.find_entities(scope, [entity_key(check.check_text(entity, "entity", self.config.limits))])
        if not me:
            return []
        my_ids = {e.id for e in me}
        found: dict[str, dict[str, Any]] = {}
        for rel in self.store.relations(scope, entity_ids=list(my_ids), types=["WORKS_WITH"]):
            other = rel.target if rel.source_id in my_ids else rel.source
            found.setdefault(other, {"person": other, "direct": False, "shared": []})["direct"] = True
        mine = self.store.relations(scope, source_ids=list(my_ids), types=list(SHARED_WORK_TYPES))
        targets = {r.target_id: r.target for r in mine}
        if targets:
            for rel in self.store.relations(scope, entity_ids=list(targets), types=list(SHARED_WORK_TYPES)):
                if rel.source_id in my_ids or rel.target_id not in targets:
                    continue
                entry = found.setdefault(rel.source, {"person": rel.source, "direct": False, "shared": []})
                if rel.target not in entry["shared"]:
                    entry["shared"].append(rel.target)
        return sorted(found.values(), key=lambda e: (not e["direct"], -len(e["shared"]), e["person"]))

    def graph(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        include_invalid: bool = False,
    ) -> nx.MultiDiGraph:
        """The scope's entities and relations as a ``networkx.MultiDiGraph`` (nodes keyed by entity id,
        with ``name``/``type`` attributes; edges keyed by relation id with the relation's fields)."""
        import networkx as nx

        scope, _ = self._scope(user_id, agent_id, run_id)
        g = nx.MultiDiGraph()
        for ent in self.store.list_entities(scope):
            g.add_node(ent.id, name=ent.name, label=ent.name, type=ent.type, aliases=list(ent.aliases))
        for rel in self.store.relations(scope, include_invalid=include_invalid):
            d = rel.to_dict()
            g.add_edge(rel.source_id, rel.target_id, key=rel.id, **{k: v for k, v in d.items() if k != "id"})
        return g


def _is_plain(messages: Any) -> bool:
    items = messages if isinstance(messages, list) else [messages]
    return all(isinstance(m, str) or (isinstance(m, dict) and isinstance(m.get("content"), str)) for m in items)

