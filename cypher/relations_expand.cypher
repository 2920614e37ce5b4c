// relations_expand: current relations within $hops (1 or 2) of the entities, never leaving the scope, nearest first
// params: $user_id, $agent_id, $run_id, $exact, $entity_ids, $hops, $limit
MATCH (s:Entity) WHERE s.id IN $entity_ids AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR s.user_id IS NULL ELSE s.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR s.agent_id IS NULL ELSE s.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR s.run_id IS NULL ELSE s.run_id = $run_id END)
MATCH p = (s)-[:RELATES_TO*1..2]-(:Entity)
WHERE length(p) <= $hops
  AND all(r IN relationships(p) WHERE r.valid_to IS NULL AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END) AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END) AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END))
  AND all(e IN nodes(p) WHERE (CASE WHEN $user_id IS NULL THEN NOT $exact OR e.user_id IS NULL ELSE e.user_id = $user_id END) AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR e.agent_id IS NULL ELSE e.agent_id = $agent_id END) AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR e.run_id IS NULL ELSE e.run_id = $run_id END))
UNWIND range(0, length(p) - 1) AS i
WITH relationships(p)[i] AS r, i + 1 AS hop
WITH r, min(hop) AS hop
RETURN r {.id, .type, .fact, .source, .target, .actor_id, .memory_ids, .user_id, .agent_id, .run_id,
    .valid_from, .valid_to, .created_at, .invalidated_by, .confidence,
    source_id: startNode(r).id, target_id: endNode(r).id} AS relation, hop
ORDER BY hop, r.valid_from DESC, r.id
LIMIT $limit
