// entities_vector_index: vector-index entity candidates (over-fetched), then scope
// params: $user_id, $agent_id, $run_id, $exact, $vector, $fetch
CALL db.index.vector.queryNodes('graphmem_entity_embedding', $fetch, $vector) YIELD node, score
WITH collect({node: node, score: score}) AS hits
CALL (hits) {
  UNWIND hits AS hit
  WITH hit.node AS e, hit.score AS score
  WHERE (CASE WHEN $user_id IS NULL THEN NOT $exact OR e.user_id IS NULL ELSE e.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR e.agent_id IS NULL ELSE e.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR e.run_id IS NULL ELSE e.run_id = $run_id END)
  RETURN collect({entity: e {.id, .name, .key, .type, .user_id, .agent_id, .run_id, .created_at, .aliases}, score: score}) AS rows
}
RETURN size(hits) AS fetched, rows
