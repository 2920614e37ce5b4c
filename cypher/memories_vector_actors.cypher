// memories_vector_actors: exact cosine top-k over the memories of $actors in scope matching the filter, unless the actors have more than $cap memories
// params: $actors, $cap, $user_id, $agent_id, $run_id, $filter, $vector, $k
CALL () {
  // Counted in the index alone (no property read), across scopes, only up to just past $cap.
  MATCH (m:Memory) USING INDEX m:Memory(actor_id) WHERE m.actor_id IN $actors
  WITH m LIMIT $cap + 1
  RETURN count(m) AS n
}
CALL (n) {
  WITH n WHERE n <= $cap
  MATCH (m:Memory) USING INDEX m:Memory(actor_id) WHERE m.actor_id IN $actors
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
  // The embedding, the costly property, is read only for the records that pass; none: no score.
  WITH m, vector.similarity.cosine(m.embedding, $vector) AS score WHERE score IS NOT NULL
  ORDER BY score DESC, m.id
  LIMIT $k
  RETURN collect({memory: m {.id, .memory, .hash, .user_id, .agent_id, .run_id, .actor_id, .role, .metadata, .memory_type, .created_at, .updated_at}, score: score}) AS rows
}
RETURN n <= $cap AS searched, rows
