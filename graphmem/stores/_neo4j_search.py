"""Scoped candidate search on Neo4j: the vector searches of ``Neo4jStore``, sized by counts.

Neo4j 5.26's vector and full-text procedures cannot filter, so scope and filters are applied
inside the same query right after the procedure, on an over-fetched candidate list, and the
store asks again with a larger list when too few survive:

1. Count the records in scope (an index seek on the scope's most selective key, stopping just
   past 20,000 or ``exact_search_limit``) and in total (Neo4j's count store). Counts are
   reused for a few seconds: they only decide how candidates are gathered, never which.
2. A small scope is searched exactly instead: cosine (``vector.similarity.cosine``, the index's
   own scale) over the scope's records, so a small scope next to a busy one is never starved
   and never approximated. Small means at most ``exact_search_limit`` records when it is set,
   else not much more than the index path would rescore (below).
3. Otherwise fetch ``k * total / in_scope * 2`` candidates (8x with a filter, at least ``2k``)
   from the index, keep those in scope that match the filter, and while fewer than ``k``
   survive and the index had more, fetch 4x as many. Once the fetch would cover the whole
   index, the exact search answers instead. Keyword search works the same way, and stops when
   Lucene has no more hits.
4. A filter naming a few actors (the search's actor signal) first tries an exact search over
   those actors' memories, found through their own index, when they are at most twice the
   first fetch: a few of many speakers' memories would take the vector index a large fetch,
   often two, to find.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any

#: Counting a scope stops here when ``exact_search_limit`` is automatic. The index is the cheaper
#: first try long before; the count still sizes the first fetch, and is remembered (``_COUNT_TTL``).
_AUTO_COUNT_LIMIT = 20_000
#: Seconds a scope's record count is reused by candidate searches (see ``CandidateSearch._count``).
_COUNT_TTL = 5.0


class CandidateSearch:
    """The candidate searches of :class:`~graphmem.stores.neo4j.Neo4jStore` (a mixin: the store
    provides the queries, ``_read`` and ``_rows``, and the state below)."""

    #: Scopes with at most this many records are searched exactly; ``None``: decided by cost.
    exact_search_limit: int | None
    #: (kind, cap, scope) -> (when, in scope, in all, learnt empty under the writer lock)
    _counts: dict[tuple[Any, ...], tuple[float, int, int, bool]]
    #: the thread holding the store's writer lock
    _lock_owner: int | None

    if TYPE_CHECKING:

        def _read(self, name: str, /, **params: Any) -> list[dict[str, Any]]: ...

        def _rows(self, name: str, /, **params: Any) -> list[dict[str, Any]]: ...

    def _count(self, kind: str, params: dict[str, Any]) -> tuple[int, int]:
        """``(records in scope, records in all)`` of ``<kind>_count``, the first capped.

        Counting stops just past the exact-search limit: a bigger scope's size only sizes the
        first fetch, and an underestimate there only makes that fetch larger. Non-zero counts
        are remembered for a few seconds (forgotten when this store adds or removes records, not
        when it only stores vectors): a search asks for the same scope's size several times, and
        a stale size only changes how the candidates are gathered (exactly, or from the index
        with a larger or smaller first fetch), never which ones are found. An empty scope
        answers no search, so "empty" is only remembered by the thread holding :meth:`write_lock`, until it writes or lets go:
        meanwhile no other graphmem writer can fill the scope (an add resolving many new names
        in a new scope asks for the same empty scope once per name).
        """
        cap = self._count_cap
        key = (kind, cap, *(params.get(name) for name in ("user_id", "agent_id", "run_id", "exact")))
        now = time.monotonic()
        held = self._lock_owner == threading.get_ident()
        cached = self._counts.get(key)
        if cached is not None and (held if cached[3] else now - cached[0] < _COUNT_TTL):
            return cached[1], cached[2]
        row = self._read(f"{kind}_count", **params, cap=cap)[0]
        in_scope, total = int(row["n"]), int(row["total"])
        if in_scope or held:
            if len(self._counts) > 1024:  # many scopes: start over rather than grow
                self._counts.clear()
            self._counts[key] = (now, in_scope, total, not in_scope)
        return in_scope, total

    @property
    def _count_cap(self) -> int:
        """Where counting a scope stops: just past the size that decides anything."""
        return (_AUTO_COUNT_LIMIT if self.exact_search_limit is None else self.exact_search_limit) + 1

    def _exact_first(self, in_scope: int, fetch: int, *, capped: bool, filtered: bool) -> bool:
        """Whether to search the scope exactly rather than over-fetch from the index first.

        With ``exact_search_limit`` unset, by cost: the exact search reads every embedding in
        scope, the index path about as much per candidate it rescores, so a scope not much
        larger than the first fetch is searched exactly. A filter is checked before the
        embedding is read, so a filtered exact search reads only the records that pass: it
        stays the cheaper choice up to a larger scope.
        """
        if self.exact_search_limit is not None:
            return in_scope <= self.exact_search_limit
        return not capped and in_scope <= fetch * (8 if filtered else 2)

    @staticmethod
    def _first_fetch(k: int, in_scope: int, total: int, *, capped: bool, filtered: bool) -> int:
        """Candidates to ask the index for first: enough for ``k`` if the scope's share holds."""
        if capped:  # counting stopped early: the scope is big, assume at least half of everything
            in_scope = max(in_scope, total // 2)
        factor = 8 if filtered else 2
        # The index ranks by quantized vectors and survivors are rescored exactly: twice k
        # candidates keep the exact top k in practice (the index-and-exact agreement tests).
        return max(math.ceil(k * total / max(in_scope, 1) * factor), 2 * k, 32)

    def _vector_search(
        self, kind: str, params: dict[str, Any], k: int, *, filtered: bool,
        actors: tuple[list[str], list[dict[str, Any]]] | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Top-k rows of ``<kind>_vector_index`` or ``<kind>_vector_exact``, sized by ``<kind>_count``.

        ``actors``: memories only, ``(names, rest)`` when the filter passes only memories of these
        actors, ``rest`` being the rest of the filter, compiled (:func:`graphmem.filters.split_actors`;
        the actor index seek applies the names). A scope too big to search exactly
        is then searched exactly among those actors' memories, found through the actor index,
        when they are few enough (``memories_vector_actors``): a few of many speakers' memories
        would otherwise take the index a large fetch, often two, to find.
        """
        if k <= 0:
            return []
        count_params = {key: v for key, v in params.items() if key not in ("filter", "vector")}
        in_scope, total = self._count(kind, count_params)
        if in_scope == 0:
            return []
        capped = in_scope >= self._count_cap
        fetch = self._first_fetch(k, in_scope, total, capped=capped, filtered=filtered)
        exact_first = self._exact_first(in_scope, fetch, capped=capped, filtered=filtered)
        if actors is not None and not exact_first:
            # as many embeddings as _exact_first lets an unfiltered exact search of a scope read
            cap = self.exact_search_limit if self.exact_search_limit is not None else 2 * fetch
            names, rest = actors
            result = self._read(
                "memories_vector_actors", **dict(params, filter=rest), actors=names, cap=cap, k=k
            )[0]
            if result["searched"]:
                found: list[dict[str, Any]] = result["rows"]
                return found
        if not exact_first:
            while fetch < total:
                result = self._read(f"{kind}_vector_index", **params, fetch=fetch, k=k)[0]
                rows: list[dict[str, Any]] = result["rows"]
                if len(rows) >= k:
                    rows.sort(key=best_first)
                    return rows[:k]
                if result["fetched"] < fetch:
                    break  # the approximate index gave up early: only the exact search can be sure
                fetch *= 4
        return self._rows(f"{kind}_vector_exact", **params, k=k)

    def _entity_search_many(
        self, params: dict[str, Any], vectors: list[Any], k: int
    ) -> list[list[dict[str, Any]]]:
        """``_vector_search("entities", ...)`` for many vectors, one round trip per step.

        Each vector takes the path and the fetch sizes it would take alone, so it gets the same
        rows: all are asked of the index at the first fetch, the starved ones again at 4x, and
        those the index cannot answer go to one exact search (which reads each embedding once).
        """
        out: list[list[dict[str, Any]] | None] = [None] * len(vectors)
        if k <= 0 or not vectors:
            return [[] for _ in vectors]
        in_scope, total = self._count("entities", params)
        if in_scope == 0:
            return [[] for _ in vectors]
        capped = in_scope >= self._count_cap
        fetch = self._first_fetch(k, in_scope, total, capped=capped, filtered=False)
        if not self._exact_first(in_scope, fetch, capped=capped, filtered=False):
            pending = list(range(len(vectors)))
            while pending and fetch < total:
                results = self._read(
                    "entities_vector_index_many",
                    **params,
                    vectors=[vectors[i] for i in pending],
                    fetch=fetch,
                    k=k,
                )[0]["results"]
                starved = []
                for i, result in zip(pending, sorted(results, key=lambda r: r["i"]), strict=True):
                    if len(result["rows"]) >= k:
                        out[i] = sorted(result["rows"], key=best_first)[:k]
                    elif result["fetched"] == fetch:  # the index has more: ask it for more
                        starved.append(i)
                    # else the approximate index gave up early: only the exact search can be sure
                pending = starved
                fetch *= 4
        rest = [i for i, rows in enumerate(out) if rows is None]
        if rest:
            results = self._read(
                "entities_vector_exact_many", **params, vectors=[vectors[i] for i in rest], k=k
            )
            for i, result in zip(rest, sorted(results[0]["results"], key=lambda r: r["i"]), strict=True):
                out[i] = result["rows"]
        return [rows or [] for rows in out]


def best_first(row: dict[str, Any]) -> tuple[float, str]:
    """Score descending, then id: the order the exact queries use, so both paths agree on ties."""
    record = next(v for v in row.values() if isinstance(v, dict))
    return (-float(row["score"]), str(record["id"]))
