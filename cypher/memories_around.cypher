// memories_around: each memory's conversation neighbours in scope: up to $k just before and $k just after, within its window
// params: $user_id, $agent_id, $run_id, $filter, $rows, $k
// One seek on created_at per side and memory (rows: {id, t, lo, hi}), instead of two list queries each.
UNWIND $rows AS row
CALL (row) {
  MATCH (m:Memory) WHERE m.created_at >= row.lo AND m.created_at < row.t
  AND ($user_id IS NULL OR m.user_id = $user_id)
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
  WITH m ORDER BY m.created_at DESC, m.id DESC
  LIMIT $k
  RETURN collect(m {.id, .memory, .hash, .user_id, .agent_id, .run_id, .actor_id, .role, .metadata, .memory_type, .created_at, .updated_at}) AS before
}
CALL (row) {
  MATCH (m:Memory) WHERE m.created_at > row.t AND m.created_at <= row.hi
  AND ($user_id IS NULL OR m.user_id = $user_id)
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
  WITH m ORDER BY m.created_at, m.id
  LIMIT $k
  RETURN collect(m {.id, .memory, .hash, .user_id, .agent_id, .run_id, .actor_id, .role, .metadata, .memory_type, .created_at, .updated_at}) AS after
}
RETURN collect({id: row.id, before: before, after: after}) AS rows
