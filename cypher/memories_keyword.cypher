// memories_keyword: full-text (Lucene BM25) candidates (over-fetched), then scope and filter, top $k
// params: $user_id, $agent_id, $run_id, $filter, $query, $fetch, $k
// The full-text indexes are updated after commit (a synchronous update costs every write
// ~10 ms); waiting here for pending updates makes every committed write visible.
CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()
CALL db.index.fulltext.queryNodes('graphmem_memory_text', $query, {limit: $fetch}) YIELD node, score
WITH collect({node: node, score: score}) AS hits
CALL (hits) {
  UNWIND hits AS hit
  WITH hit.node AS m, hit.score AS score
  WHERE ($user_id IS NULL OR m.user_id = $user_id)
  AND ($agent_id IS NULL OR m.agent_id = $agent_id)
  AND ($run_id IS NULL OR m.run_id = $run_id)
    // filter:begin (compiled by graphmem/stores/_neo4j_filters.py; every copy is identical)
    AND (size($filter) = 0 OR reduce(acc = [], f IN $filter | acc + [CASE f.op
      WHEN 'and' THEN all(i IN f.args WHERE acc[i])
      WHEN 'or' THEN any(i IN f.args WHERE acc[i])
      WHEN 'not' THEN NOT acc[f.args[0]]
      WHEN 'const' THEN f.value
      WHEN 'exists' THEN CASE WHEN f.meta THEN f.key IN coalesce(m.meta_keys, []) ELSE m[f.prop] IS NOT NULL END
      WHEN 'isnull' THEN f.key IN coalesce(m.meta_keys, []) AND m[f.prop] IS NULL AND m[f.text] IS NULL
      WHEN 'eq' THEN coalesce(m[f.prop] = f.value, false)
      WHEN 'in' THEN coalesce(m[f.prop] IN f.value, false)
      WHEN 'gt' THEN coalesce(m[f.prop] > f.value, false)
      WHEN 'gte' THEN coalesce(m[f.prop] >= f.value, false)
      WHEN 'lt' THEN coalesce(m[f.prop] < f.value, false)
      WHEN 'lte' THEN coalesce(m[f.prop] <= f.value, false)
      WHEN 'contains' THEN CASE WHEN m[f.prop] IS :: LIST<ANY> NOT NULL THEN f.value IN m[f.prop]
        ELSE coalesce(coalesce(m[f.text], m[f.prop]) CONTAINS f.value, false) END
      WHEN 'icontains' THEN CASE WHEN m[f.prop] IS :: LIST<ANY> NOT NULL
        THEN any(x IN m[f.prop] WHERE toLower(x) = toLower(f.value))
        ELSE coalesce(toLower(coalesce(m[f.text], m[f.prop])) CONTAINS toLower(f.value), false) END
    END])[-1])
    // filter:end
  WITH m, score
  ORDER BY score DESC, m.id
  LIMIT $k
  RETURN collect({memory: m {.id, .memory, .hash, .user_id, .agent_id, .run_id, .actor_id, .role, .metadata, .memory_type, .created_at, .updated_at}, score: score}) AS rows
}
RETURN size(hits) AS fetched, rows
