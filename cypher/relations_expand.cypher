// relations_expand: current relations within $hops (1 or 2) of the entities, never leaving the scope, nearest first
// params: $user_id, $agent_id, $run_id, $exact, $entity_ids, $hops, $limit
// Hop by hop over relationships, not paths: two hops around a busy entity are thousands of paths.
MATCH (s:Entity) WHERE s.id IN $entity_ids AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR s.user_id IS NULL ELSE s.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR s.agent_id IS NULL ELSE s.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR s.run_id IS NULL ELSE s.run_id = $run_id END)
MATCH (s)-[r:RELATES_TO]-(n:Entity)
WHERE r.valid_to IS NULL AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR n.user_id IS NULL ELSE n.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR n.agent_id IS NULL ELSE n.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR n.run_id IS NULL ELSE n.run_id = $run_id END)
WITH collect(DISTINCT r) AS near, collect(DISTINCT n) AS ends
CALL (near, ends) {
  UNWIND near AS r
  RETURN r, 1 AS hop
  UNION ALL
  // The second hop only matters when the first leaves room under $limit.
  WITH near, ends WHERE $hops >= 2 AND size(near) < $limit
  UNWIND ends AS n
  MATCH (n)-[r:RELATES_TO]-(x:Entity)
  WHERE r.valid_to IS NULL AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR x.user_id IS NULL ELSE x.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR x.agent_id IS NULL ELSE x.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR x.run_id IS NULL ELSE x.run_id = $run_id END)
  RETURN r, 2 AS hop
}
WITH r, min(hop) AS hop
ORDER BY hop, r.valid_from DESC, r.id
LIMIT $limit
RETURN collect({relation: r {.id, .type, .fact, .source, .target, .actor_id, .memory_ids, .user_id, .agent_id, .run_id,
    .valid_from, .valid_to, .created_at, .invalidated_by, .confidence,
    source_id: startNode(r).id, target_id: endNode(r).id}, hop: hop}) AS rows
