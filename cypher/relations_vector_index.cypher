// relations_vector_index: vector-index fact candidates (over-fetched), then scope and currency
// params: $user_id, $agent_id, $run_id, $exact, $vector, $fetch
CALL db.index.vector.queryRelationships('graphmem_relation_embedding', $fetch, $vector) YIELD relationship, score
WITH collect({rel: relationship, score: score}) AS hits
CALL (hits) {
  UNWIND hits AS hit
  WITH hit.rel AS r, hit.score AS score
  WHERE r.valid_to IS NULL AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  RETURN collect({relation: r {.id, .type, .fact, .source, .target, .actor_id, .memory_ids, .user_id, .agent_id, .run_id,
    .valid_from, .valid_to, .created_at, .invalidated_by, .confidence,
    source_id: startNode(r).id, target_id: endNode(r).id}, score: score}) AS rows
}
RETURN size(hits) AS fetched, rows
