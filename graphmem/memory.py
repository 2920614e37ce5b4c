"""``Memory``: the mem0-compatible facade over a store, an embedder and an extractor.

Every public method validates its arguments before anything is read or written, scopes the call
(at least one of ``user_id``, ``agent_id``, ``run_id``), and hands over to the pipelines.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
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
from graphmem.pipeline.indexer import Indexer
from graphmem.pipeline.search import run_search
from graphmem.stores.base import Store

if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO

    import networkx as nx

    from graphmem.collab import ActingMemory, Meetings, Projects, Tasks
    from graphmem.context import TokenCounter

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
        self._indexer = Indexer(self.store, self.embedder) if self.config.indexing == "background" else None
        self._ctx = AddContext(
            store=self.store, embedder=self.embedder, extractor=self.extractor,
            merge_threshold=self.config.entity_merge_threshold,
            llm_add=_factory.make_llm_add(self.config, self.llm), indexer=self._indexer,
        )  # fmt: skip
        if self._indexer is not None:
            self._indexer.recover()  # what a process that died mid-indexing left without vectors
        # Entity resolution reads, then writes: serialise writers, within the process and across
        # every process and client of the store (see Store.write_lock).
        self._write_lock = _WriteLock(self.store)

    @classmethod
    def from_config(cls, config_dict: dict[str, Any]) -> Memory:
        """Build a Memory from a mem0-style config dict (unknown keys raise ConfigError)."""
        return cls(MemoryConfig.from_dict(config_dict))

    def __repr__(self) -> str:
        return f"Memory(store={self.store.name!r}, embedder={type(self.embedder).__name__}, extractor={self.extractor.name!r})"

    def close(self) -> None:
        """Finish background indexing, then close the store."""
        try:
            if self._indexer is not None:
                self._indexer.close()
        finally:
            self.store.close()

    def flush(self) -> None:
        """Wait until every memory added so far is indexed for vector search.

        Searches (and updates, exports and LLM adds) call this themselves; call it before
        reading the store by other means, or to time adds including their indexing.

        Raises:
            EmbeddingError: background embedding failed (the records stay without vectors
                until the store is opened again, when they are queued once more).
            StoreUnavailableError: the store cannot be reached; the vectors stay queued.
        """
        if self._indexer is not None:
            self._indexer.flush()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- scoping ---------------------------------------------------------------------------
    def _scope(
        self,
        user_id: Any,
        agent_id: Any,
        run_id: Any,
        filters: dict[str, Any] | None = None,
        required: bool = True,
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
        parsed = (
            []
            if llm_path and not _is_plain(messages)
            else check.normalise_messages(messages, self.config.limits)
        )
        req = AddRequest(
            messages=parsed, scope=scope, metadata=check.check_metadata(metadata, self.config.limits),
            infer=infer, memory_type=check.check_memory_type(memory_type),
            prompt=check.check_text(prompt, "prompt", self.config.limits) if prompt is not None else None,
            timestamp=check.check_timestamp(timestamp), raw=messages,
        )  # fmt: skip
        if llm_path:
            self.flush()  # it reconciles with similar memories: their vectors must be stored
        with self._write_lock:
            return run_add(self._ctx, req)

    def update(self, memory_id: str, data: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """Replace a memory's text: re-embed, re-extract its relations, keep the old text in history.

        Raises:
            MemoryNotFoundError: no memory has this id.
        """
        text = check.check_text(data, "data", self.config.limits)
        meta = check.check_metadata(metadata, self.config.limits) if metadata is not None else None
        self.flush()  # a queued vector of the old text must not land after the new one
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
        _check_memory_id(memory_id)
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
        self.flush()
        return run_search(
            self.store, self.embedder, self.config.search, text, scope, parse_filters(filters), n, threshold
        )

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """Every ADD / UPDATE / DELETE event of a memory, oldest first (kept after deletion)."""
        _check_memory_id(memory_id)
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

    # ---- the team layer (graphmem.collab) ---------------------------------------------------
    @property
    def projects(self) -> Projects:
        """Projects and their members' roles, stored in the store (no checks: the operator's view).

        Example:
            >>> m.projects.create("landing-page", admin="Alice")  # doctest: +SKIP
            >>> m.projects.add_member("landing-page", "Bob", "member")  # doctest: +SKIP
        """
        from graphmem.collab import Projects

        return Projects(self)

    @property
    def tasks(self) -> Tasks:
        """Tasks on the graph: assign (RESPONSIBLE_FOR), set_status (HAS_STATUS), due (DUE_ON), list."""
        from graphmem.collab import Tasks

        return Tasks(self)

    @property
    def meetings(self) -> Meetings:
        """Meeting notes linked to the people in them: record, list."""
        from graphmem.collab import Meetings

        return Meetings(self)

    def as_actor(self, principal: str) -> ActingMemory:
        """This memory acting for ``principal``: the same API, with project roles enforced.

        Without it, graphmem behaves like mem0: no roles. See :mod:`graphmem.collab.acting` for
        the rules.

        Raises:
            InvalidInputError: ``principal`` is not a non-empty string.
        """
        from graphmem.collab import ActingMemory

        return ActingMemory(self, principal)

    def timeline(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The scope's memories in chronological order, each with its actor and time.

        Args:
            actor: only this actor's memories.
            limit: the latest ``limit`` memories (still oldest first); all of them by default.

        Returns:
            ``[{"id", "created_at", "actor_id", "role", "memory", "metadata", "line"}]`` where
            ``line`` is ``"2026-03-02 09:15:04 Alice: ..."``.
        """
        from graphmem.collab import views

        scope, _ = self._scope(user_id, agent_id, run_id)
        n = check.check_limit(limit) if limit is not None else None
        return views.timeline(self, scope, actor=actor, limit=n)

    def memories_by_actor(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Memories grouped by actor with counts, most active first:
        ``[{"actor_id", "count", "memories": [...newest ``limit``...]}]``."""
        from graphmem.collab import views

        scope, _ = self._scope(user_id, agent_id, run_id)
        return views.memories_by_actor(
            self, scope, limit=check.check_limit(limit) if limit is not None else None
        )

    def contributions(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Per actor: memories written, facts asserted (closed ones included) and tasks completed
        (COMPLETED, or a status set to DONE by them):
        ``[{"actor_id", "memories", "facts", "tasks_completed", "completed"}]``."""
        from graphmem.collab import views

        scope, _ = self._scope(user_id, agent_id, run_id)
        return views.contributions(self, scope)

    def summary(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None,
        use_llm: bool | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A project summary: counts, tasks by status, open tasks, recent decisions (DECIDED), who
        works with whom, and ``text`` rendering them; computed offline, the same for the same data.

        Args:
            use_llm: also ask the LLM for a prose ``llm_summary`` (and its ``usage``); default: when
                an LLM is configured.

        Raises:
            ConfigError: ``use_llm=True`` without an LLM.
        """
        from graphmem.collab.summary import summarize

        scope, _ = self._scope(user_id, agent_id, run_id)
        return summarize(self, scope, use_llm=use_llm)

    def export(
        self, target: str | Path | IO[str], *, user_id: str | None = None, agent_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Write the scope (the whole store when no id is given) to a versioned JSONL file.

        Memories with embeddings, entities, relations (closed ones too), mentions, history and
        project roles; the last line holds counts and a sha256 of the rest. See
        :mod:`graphmem.collab._export_format`.

        Returns:
            ``{"path", "counts", "sha256"}``.
        """
        from graphmem.collab.backup import export

        scope, _ = self._scope(user_id, agent_id, run_id, required=False)
        self.flush()  # the file holds the vectors the store searches with
        return export(self, target, scope)

    def import_(self, source: str | Path | IO[str], *, reembed: bool = False) -> dict[str, Any]:
        """Load an export: validated whole first, then written in one transaction (all or nothing).

        Ids are kept, so importing a file again writes nothing; it works into either store.

        Args:
            reembed: recompute the vectors with this memory's embedder (another embedder wrote them).

        Returns:
            ``{"records": {kind: n}, "added": {kind: n}, "updated": {kind: n}}``.

        Raises:
            ImportFormatError: wrong format or version, a corrupted or truncated file, a broken
                reference; nothing was written.
            DimensionMismatchError: the file's vectors do not fit this memory's embedder.
        """
        from graphmem.collab.backup import import_

        return import_(self, source, reembed=reembed)

    def health(self, *, probe_llm: bool = False) -> dict[str, Any]:
        """Store reachability, search-index probes, embedder and LLM status (never the key), counts.

        Never raises for a failing component: each reports ``ok``, ``ms`` and ``error``; ``ok`` at
        the top is true when all of them are.
        """
        from graphmem.collab.health import health

        return health(self, probe_llm=probe_llm)

    def context(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        max_tokens: int = 1000,
        limit: int = 20,
        filters: dict[str, Any] | None = None,
        token_counter: TokenCounter | None = None,
    ) -> dict[str, Any]:
        """An agent's context for ``query``: the relevant memories and facts, one line each, every
        line saying who said it and when, packed most relevant first into ``max_tokens``.

        Lines look like ``[2026-11-21 14:03] Alice: Bob and I are building the landing page.`` and
        ``[2026-11-21 14:03] Fact (said by Bob): Bob is responsible for hero section copy``. Tokens
        are counted with :func:`graphmem.context.estimate_tokens` (deterministic, errs high) unless
        ``token_counter`` is given. See :mod:`graphmem.context` for the ranking rules.

        Args:
            query: what the agent is about to work on.
            user_id, agent_id, run_id: the scope; at least one is required.
            max_tokens: the budget; the text never counts more.
            limit: how many memories, and how many relations, to consider (as in ``search``).
            filters: ``search`` filters, e.g. ``{"actor_id": {"ne": "reviewer"}}``.
            token_counter: a function from text to its token count, e.g. a model's tokenizer.

        Returns:
            ``{"text", "tokens", "max_tokens", "items": [{type, id, actor_id, time, line, score,
            relevance, tokens}], "omitted"}``: ``text`` is what goes into the prompt.

        Raises:
            ScopeRequiredError: no scope id was given.
            InvalidInputError: ``max_tokens`` is negative or not an integer.

        Example:
            >>> m.context("what is Bob doing?", run_id="landing-page", max_tokens=200)["text"]  # doctest: +SKIP
            '[2026-11-21 14:03] Bob: I'll take the hero section copy.\\n...'
        """
        from graphmem.context import build_context

        build_context({}, max_tokens, token_counter)  # reject a bad budget before searching
        found = self.search(
            query, user_id=user_id, agent_id=agent_id, run_id=run_id, limit=limit, filters=filters
        )
        return build_context(found, max_tokens, token_counter)

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
        return [
            r.to_dict()
            for r in self._relations(
                user_id, agent_id, run_id, entity, relationship, include_invalid, as_of, limit
            )
        ]

    def _relations(
        self, user_id: Any, agent_id: Any, run_id: Any, entity: Any, relationship: Any,
        include_invalid: bool, as_of: Any, limit: int,
    ) -> list[Relation]:  # fmt: skip
        scope, _ = self._scope(user_id, agent_id, run_id)
        types = None
        if relationship is not None:
            if not isinstance(relationship, str) or not RELATION_TYPE.match(relationship.upper()):
                raise InvalidRelationTypeError(
                    f"relationship {relationship!r} is not an UPPER_SNAKE relation type"
                )
            types = [relationship.upper()]
        ids = None
        if entity is not None:
            ids = [
                e.id
                for e in self.store.find_entities(
                    scope, [entity_key(check.check_text(entity, "entity", self.config.limits))]
                )
            ]
            if not ids:
                return []
        when = check.check_timestamp(as_of)
        return self.store.relations(
            scope, entity_ids=ids, types=types, include_invalid=include_invalid,
            as_of=format_time(when) if when else None, limit=check.check_limit(limit),
        )  # fmt: skip

    def who_works_with(
        self,
        entity: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """People linked to ``entity`` directly (WORKS_WITH) or through shared work (two hops:
        both WORKS_ON / RESPONSIBLE_FOR / MEMBER_OF the same thing), strongest first.

        Returns:
            ``[{"person": name, "direct": bool, "shared": [names of shared work items]}]``.
        """
        scope, _ = self._scope(user_id, agent_id, run_id)
        me = self.store.find_entities(
            scope, [entity_key(check.check_text(entity, "entity", self.config.limits))]
        )
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


class _WriteLock:
    """What ``with self._write_lock:`` takes in every write method: this Memory's threads queue
    on an RLock, then the store's writer lock (:meth:`Store.write_lock`) excludes every other
    writer of the same store (another Memory on the path, another process, another client). Both
    are reentrant, so a write method may call another."""

    def __init__(self, store: Store) -> None:
        self._thread_lock = threading.RLock()
        self._store = store
        self._held: list[AbstractContextManager[None]] = []  # touched only by the owning thread

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            held = self._store.write_lock()
            held.__enter__()
        except BaseException:
            self._thread_lock.release()
            raise
        self._held.append(held)

    def __exit__(self, *exc: Any) -> None:
        try:
            self._held.pop().__exit__(*exc)
        finally:
            self._thread_lock.release()


def _check_memory_id(memory_id: Any) -> None:
    """Ids are non-empty text: anything else names no memory. A lone surrogate cannot even be
    sent to a store (UTF-8 cannot encode it: both drivers would raise UnicodeEncodeError)."""
    if not isinstance(memory_id, str) or not memory_id:
        raise MemoryNotFoundError(f"memory id must be a non-empty string, got {memory_id!r}")
    try:
        memory_id.encode("utf-8")
    except UnicodeEncodeError:
        raise MemoryNotFoundError(f"no memory with id {memory_id!r} (not valid Unicode text)") from None


def _is_plain(messages: Any) -> bool:
    items = messages if isinstance(messages, list) else [messages]
    return all(
        isinstance(m, str) or (isinstance(m, dict) and isinstance(m.get("content"), str)) for m in items
    )
