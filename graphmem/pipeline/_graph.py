"""Turning an extraction into graph writes: entity resolution, temporal reconciliation, provenance.

Shared by add, update and delete. Nothing here writes: it fills a :class:`WriteBatch` that the
caller applies in one transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from graphmem.extractors.base import ExtractedRelation, Extraction
from graphmem.models import (
    FUNCTIONAL_TYPES,
    SYMMETRIC_TYPES,
    Entity,
    Relation,
    Scope,
    Vector,
    entity_key,
    new_id,
    utcnow,
)
from graphmem.stores.base import Store, WriteBatch

log = logging.getLogger(__name__)

RELATION_TYPE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_GENERIC_TYPES = frozenset({"THING", "CONCEPT", "OTHER", ""})
#: Names are matched by vector only for these kinds: people and dates must match by name or alias.
_NO_VECTOR_MERGE = frozenset({"PERSON", "DATE", "STATUS"})


@dataclass
class GraphPlan:
    """What an extraction adds to the graph, ready to be merged into a WriteBatch."""

    entities: dict[str, Entity] = field(default_factory=dict)  # key -> entity (new or existing)
    added: list[Relation] = field(default_factory=list)
    invalidated: list[Relation] = field(default_factory=list)
    touched: dict[str, Relation] = field(default_factory=dict)  # existing relations changed, by id
    #: ids of existing relations the extraction states again (their provenance was extended)
    refound: set[str] = field(default_factory=set)
    #: vectors of the caller's ``also_embed`` texts, computed in the same batch as names and facts
    also_vectors: np.ndarray | None = None


def names_to_resolve(extraction: Extraction) -> dict[str, tuple[str, str]]:
    """key -> (name as first seen, most specific type) for every entity the extraction mentions."""
    found: dict[str, tuple[str, str]] = {}

    def see(name: str, etype: str) -> None:
        key = entity_key(name)
        if not key:
            return
        if key not in found or (found[key][1] in _GENERIC_TYPES and etype not in _GENERIC_TYPES):
            found[key] = (found[key][0] if key in found else name.strip(), etype or "THING")

    for ent in extraction.entities:
        see(ent.name, ent.type)
    for rel in extraction.relations:
        see(rel.source, rel.source_type)
        see(rel.destination, rel.destination_type)
    return found


def plan_graph(
    store: Store,
    scope: Scope,
    extraction: Extraction,
    *,
    turn_memory_ids: dict[int, list[str]],
    turn_times: dict[int, str],
    embed: Callable[[Sequence[str]], np.ndarray],
    merge_threshold: float,
    also_embed: Sequence[str] = (),
    embed_facts: bool = True,
) -> GraphPlan:
    """Resolve names to entities and reconcile relations with what the scope already holds.

    Args:
        turn_memory_ids: turn index -> ids of the memories that turn produced (provenance).
        turn_times: turn index -> the turn's created_at (a relation's ``valid_from``).
        embed: embeds names and facts (one batch per call).
        merge_threshold: minimum similarity to merge a new name into an existing entity.
        also_embed: the caller's own texts (the memories), embedded in the same batch so an add
            makes one embedding call; their vectors come back as ``plan.also_vectors``.
        embed_facts: embed the facts of new relations now; ``False`` leaves their embedding
            ``None`` for background indexing (``graphmem.pipeline.indexer``).
    """
    plan = GraphPlan()
    wanted = names_to_resolve(extraction)
    if not wanted:
        plan.also_vectors = embed(list(also_embed)) if also_embed else None
        return plan
    now = utcnow()

    # 1. exact key or alias, within exactly this scope; then "new landing page" finds "landing page"
    for ent in store.find_entities(scope, list(wanted), exact=True):
        for k in [ent.key, *(entity_key(a) for a in ent.aliases)]:
            if k in wanted and k not in plan.entities:
                plan.entities[k] = ent
    longer = {
        k: _word_suffixes(k)
        for k in wanted
        if k not in plan.entities and wanted[k][1] not in _NO_VECTOR_MERGE
    }
    if any(longer.values()):
        found = store.find_entities(scope, [x for xs in longer.values() for x in xs], exact=True)
        for k, suffixes in longer.items():
            for ent in found:
                if ent.key in suffixes and _same_kind(ent.type, wanted[k][1]):
                    _alias(ent, wanted[k][0])
                    plan.entities[k] = ent
                    break

    # 2. embeddings of unresolved names and of every fact, in one batch
    unresolved = [k for k in wanted if k not in plan.entities]
    facts = (
        list(dict.fromkeys(r.fact or _default_fact(r) for r in extraction.relations)) if embed_facts else []
    )
    texts = [*also_embed, *(wanted[k][0] for k in unresolved), *facts]
    vectors = embed(texts) if texts else None
    n = len(also_embed)
    plan.also_vectors = vectors[:n] if vectors is not None and n else None
    name_vec = {k: vectors[n + i] for i, k in enumerate(unresolved)} if vectors is not None else {}
    fact_vec = (
        {f: vectors[n + len(unresolved) + i] for i, f in enumerate(facts)} if vectors is not None else {}
    )

    # 3. similar names of the same kind become aliases; the rest are new entities. A name that is
    #    a word-suffix of another ("landing page" / "new landing page") needs less similarity.
    #    The stored entities near each name are read in one go: nothing is written meanwhile.
    by_vector = [k for k in unresolved if wanted[k][1] not in _NO_VECTOR_MERGE]
    nearest = store.vector_entities_many(scope, [name_vec[k] for k in by_vector], 3, exact=True)
    similar = dict(zip(by_vector, nearest, strict=True))
    for k in unresolved:
        if k in plan.entities:
            continue
        name, etype = wanted[k]
        merged = None
        if etype not in _NO_VECTOR_MERGE:
            created = [(e, 1.0) for e in plan.entities.values() if e.key != k and _is_word_suffix(e.key, k)]
            for cand, score in [*created, *similar[k]]:
                close = score >= merge_threshold or (score >= _SUFFIX_MERGE and _is_word_suffix(cand.key, k))
                if close and _same_kind(cand.type, etype):
                    merged = cand
                    break
        if merged is not None:
            _alias(merged, name)
            plan.entities[k] = merged
        else:
            plan.entities[k] = Entity(
                id=new_id(), name=name, key=k, type=etype, user_id=scope.user_id, agent_id=scope.agent_id,
                run_id=scope.run_id, created_at=now, embedding=name_vec[k],
            )  # fmt: skip

    _reconcile(store, scope, extraction.relations, plan, turn_memory_ids, turn_times, fact_vec, now)
    return plan


#: Similarity enough to merge names where one is a word-suffix of the other.
_SUFFIX_MERGE = 0.80


def _word_suffixes(key: str) -> list[str]:
    """The multi-word tails of a key: "new landing page" -> ["landing page"]."""
    words = key.split()
    return [" ".join(words[i:]) for i in range(1, len(words) - 1)]


def _is_word_suffix(a: str, b: str) -> bool:
    """One key ends the other on a word boundary, and the shorter has at least two words."""
    short, long_ = sorted((a, b), key=len)
    return short != long_ and len(short.split()) >= 2 and long_.endswith(" " + short)


def _same_kind(existing: str, new: str) -> bool:
    return existing == new or new in _GENERIC_TYPES


def _alias(entity: Entity, name: str) -> None:
    if name != entity.name and name not in entity.aliases:
        entity.aliases.append(name)


def _default_fact(rel: ExtractedRelation) -> str:
    return f"{rel.source} {rel.relationship.lower().replace('_', ' ')} {rel.destination}"


def _reconcile(
    store: Store,
    scope: Scope,
    relations: Sequence[ExtractedRelation],
    plan: GraphPlan,
    turn_memory_ids: dict[int, list[str]],
    turn_times: dict[int, str],
    fact_vec: dict[str, Vector],
    now: str,
) -> None:
    """Duplicates add provenance; a functional fact closes the current one; the rest are new."""
    ids = list({e.id for e in plan.entities.values()})
    current: list[Relation] = store.relations(scope, exact=True, entity_ids=ids) if ids else []

    for rel in sorted(relations, key=lambda r: turn_times.get(r.turn_index, now)):
        rtype = rel.relationship.strip().upper().replace(" ", "_").replace("-", "_")
        if not RELATION_TYPE.match(rtype):
            log.warning("dropping relation with a type outside the allow-list: %r", rel.relationship[:80])
            continue
        src = plan.entities.get(entity_key(rel.source))
        dst = plan.entities.get(entity_key(rel.destination))
        if src is None or dst is None or src.id == dst.id:
            continue
        provenance = turn_memory_ids.get(rel.turn_index, [])
        when = turn_times.get(rel.turn_index, now)

        same = [
            r for r in current
            if r.type == rtype and r.is_current and (
                (r.source_id == src.id and r.target_id == dst.id)
                or (rtype in SYMMETRIC_TYPES and r.source_id == dst.id and r.target_id == src.id)
            )
        ]  # fmt: skip
        if same:
            existing = same[0]
            for mid in provenance:
                if mid not in existing.memory_ids:
                    existing.memory_ids.append(mid)
            if existing.id not in {r.id for r in plan.added}:
                plan.touched[existing.id] = existing
                plan.refound.add(existing.id)
            continue

        fact = rel.fact or _default_fact(rel)
        new = Relation(
            id=new_id(), type=rtype, fact=fact, source_id=src.id, target_id=dst.id, source=src.name,
            target=dst.name, actor_id=rel.actor_id, memory_ids=list(provenance), user_id=scope.user_id,
            agent_id=scope.agent_id, run_id=scope.run_id, valid_from=when, created_at=now,
            confidence=float(rel.confidence), embedding=fact_vec.get(fact),
        )  # fmt: skip
        if rtype in FUNCTIONAL_TYPES:
            for old in [r for r in current if r.type == rtype and r.source_id == src.id and r.is_current]:
                if old.valid_from <= when:
                    old.valid_to, old.invalidated_by = when, new.id
                    plan.invalidated.append(old)
                    if old.id not in {r.id for r in plan.added}:
                        plan.touched[old.id] = old
                else:  # importing an older conversation: the new fact was already superseded
                    new.valid_to, new.invalidated_by = old.valid_from, old.id
        plan.added.append(new)
        current.append(new)


def merge_plan(
    batch: WriteBatch, plan: GraphPlan, turn_memory_ids: dict[int, list[str]], extraction: Extraction
) -> None:
    """Add a plan's entities, mentions and relations to a batch."""
    batch.entities_upsert.extend({e.id: e for e in plan.entities.values()}.values())
    batch.relations_add.extend(plan.added)
    batch.relations_update.extend(plan.touched.values())
    seen: set[tuple[str, str]] = set()
    by_turn: dict[int, set[str]] = {}
    for mentioned in extraction.entities:
        by_turn.setdefault(mentioned.turn_index, set()).add(entity_key(mentioned.name))
    for rel in extraction.relations:
        by_turn.setdefault(rel.turn_index, set()).update(
            {entity_key(rel.source), entity_key(rel.destination)}
        )
    for turn, keys in by_turn.items():
        for mid in turn_memory_ids.get(turn, []):
            for k in keys:
                ent = plan.entities.get(k)
                if ent is not None and (mid, ent.id) not in seen:
                    seen.add((mid, ent.id))
                    batch.mentions_add.append((mid, ent.id))


def detach_memories(
    store: Store,
    memory_ids: Sequence[str],
    batch: WriteBatch,
    *,
    keep: Collection[str] = (),
    pending: Mapping[str, Relation] | None = None,
) -> list[Relation]:
    """Remove memories from the provenance of their relations.

    ``keep``: relations left alone (an update's new text states them again). ``pending``: copies
    of relations the caller already changed in this batch (a plan that closed some), used
    instead of the stored ones so those changes carry over.

    A relation left with no provenance is deleted. A fact it had closed takes over its end: it
    held until the deleted fact replaced it, so now it holds until whatever replaced *that* one
    (following a chain of deleted facts), or is current again when the deleted fact was current.
    Reopening it outright would make two current values of a functional type when the deleted
    fact was itself already closed (Oslo -> Rome -> Lima, then Rome deleted: Oslo and Lima).
    Returns the deleted relations.
    """
    gone = set(memory_ids)
    pending = pending or {}
    rels = store.relations(Scope(), memory_ids=list(memory_ids), include_invalid=True)
    deleted: list[Relation] = []
    kept: dict[str, Relation] = {}  # one update per relation, whatever changed in it
    for stored in rels:
        if stored.id in keep:
            continue
        rel = pending.get(stored.id, stored)
        rel.memory_ids = [m for m in rel.memory_ids if m not in gone]
        if rel.memory_ids:
            kept[rel.id] = rel
        else:
            batch.relations_delete.append(rel.id)
            deleted.append(rel)
    if deleted:
        dead = {r.id: r for r in deleted}
        ends = list({e for r in deleted for e in (r.source_id, r.target_id)})
        for fresh in store.relations(Scope(), entity_ids=ends, include_invalid=True):
            if fresh.invalidated_by not in dead or fresh.id in dead:
                continue
            # The copy trimmed above, if any: a second, untrimmed copy would put the deleted
            # memories back into its provenance.
            rel = kept.get(fresh.id) or pending.get(fresh.id) or fresh
            end, by, seen = rel.valid_to, rel.invalidated_by, set()
            while by in dead and by not in seen:
                seen.add(by)
                end, by = dead[by].valid_to, dead[by].invalidated_by
            rel.valid_to, rel.invalidated_by = end, by
            kept[rel.id] = rel
    batch.relations_update.extend(kept.values())
    return deleted
