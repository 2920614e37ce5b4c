// memories_list: memories in scope matching the filter, by created_at
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $filter, $newest_first, $limit
CALL () {
  // One branch seeks the scope through an index; the others get a null anchor and seek nothing.
  MATCH (m:Memory) WHERE m.run_id = $anchor_run_id RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.user_id = $anchor_user_id RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.agent_id = $anchor_agent_id RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.id >= $anchor_all RETURN m  // '' for an empty scope: every memory
}
WITH m WHERE ($user_id IS NULL OR m.user_id = $user_id)
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
WITH m ORDER BY CASE WHEN $newest_first THEN m.created_at END DESC, CASE WHEN $newest_first THEN null ELSE m.created_at END ASC, m.id
LIMIT $limit
RETURN collect({memory: m {.id, .memory, .hash, .user_id, .agent_id, .run_id, .actor_id, .role, .metadata, .memory_type, .created_at, .updated_at}}) AS rows
