// entities_around: relations within $hops of the entities (nearest first) and the memories mentioning them, in scope
// params: $user_id, $agent_id, $run_id, $exact, $filter, $entity_ids, $hops, $limit, $k
// One round trip for both halves of a search's graph signal: `relations`, current and never leaving the scope
// ($limit of them), and `mentions`, newest first with the entities each names ($k of them). A zero $limit or $k
// skips that half.
CALL () {
  // Hop by hop over relationships, not paths: two hops around a busy entity are thousands of paths.
  MATCH (s:Entity) WHERE $limit > 0 AND s.id IN $entity_ids AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR s.user_id IS NULL ELSE s.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR s.agent_id IS NULL ELSE s.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR s.run_id IS NULL ELSE s.run_id = $run_id END)
  MATCH (s)-[r:RELATES_TO]-(n:Entity)
  WHERE r.valid_to IS NULL AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
    AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR n.user_id IS NULL ELSE n.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR n.agent_id IS NULL ELSE n.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR n.run_id IS NULL ELSE n.run_id = $run_id END)
  WITH collect(DISTINCT r) AS near, collect(DISTINCT n) AS ends, collect(DISTINCT s) AS starts
  CALL (near) {
    UNWIND near AS r
    WITH r ORDER BY r.valid_from DESC, r.id
    LIMIT $limit
    RETURN collect(r) AS first
  }
  CALL (near, ends, starts) {
    // The second hop only matters when the first leaves room under $limit. A relation touching a
    // start entity is a first-hop one (both hops filter alike), so the second hop leaves those out.
    WITH near, ends, starts WHERE $hops >= 2 AND size(near) < $limit
    UNWIND ends AS n
    WITH n, starts WHERE NOT n IN starts
    MATCH (n)-[r:RELATES_TO]-(x)
    WHERE r.valid_to IS NULL AND NOT x IN starts
    WITH DISTINCT r
    ORDER BY r.valid_from DESC, r.id
    // Newest first, then the scope checks lazily: only until the room left is filled, not for the
    // thousands of relations around a busy neighbour (collect/UNWIND keeps them after the sort).
    WITH collect(r) AS ordered
    UNWIND ordered AS r
    WITH r, startNode(r) AS a, endNode(r) AS b
    WHERE (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
    AND a:Entity AND b:Entity
    AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR a.user_id IS NULL ELSE a.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR a.agent_id IS NULL ELSE a.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR a.run_id IS NULL ELSE a.run_id = $run_id END)
    AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR b.user_id IS NULL ELSE b.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR b.agent_id IS NULL ELSE b.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR b.run_id IS NULL ELSE b.run_id = $run_id END)
    WITH r LIMIT $limit
    RETURN collect(r) AS second
  }
  UNWIND [r IN first | {r: r, hop: 1}] + [r IN second[..$limit - size(near)] | {r: r, hop: 2}] AS hit
  WITH hit.r AS r, hit.hop AS hop
  RETURN collect({relation: r {.id, .type, .fact, .source, .target, .actor_id, .memory_ids, .user_id, .agent_id, .run_id,
      .valid_from, .valid_to, .created_at, .invalidated_by, .confidence,
      source_id: startNode(r).id, target_id: endNode(r).id}, hop: hop}) AS relations
}
CALL () {
  UNWIND CASE WHEN $k > 0 THEN $entity_ids ELSE [] END AS entity_id
  MATCH (e:Entity {id: entity_id})<-[:MENTIONS]-(m:Memory)
  WITH m, collect(DISTINCT e.id) AS entity_ids
  WITH m, entity_ids WHERE ($user_id IS NULL OR m.user_id = $user_id)
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
  WITH m, entity_ids
  ORDER BY m.created_at DESC, m.id
  LIMIT $k
  RETURN collect({memory: m {.id, .memory, .hash, .user_id, .agent_id, .run_id, .actor_id, .role, .metadata, .memory_type, .created_at, .updated_at}, entity_ids: entity_ids}) AS mentions
}
RETURN relations, mentions
