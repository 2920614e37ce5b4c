// relations_vector_index: vector-index fact candidates (over-fetched), then scope and currency, rescored exactly, top $k
// params: $user_id, $agent_id, $run_id, $exact, $vector, $fetch, $k
CALL db.index.vector.queryRelationships('graphmem_relation_embedding', $fetch, $vector) YIELD relationship
// The index ranks by quantized vectors: its scores are approximate, so survivors are rescored exactly.
WITH collect(relationship) AS hits
CALL (hits) {
  UNWIND hits AS r
  WITH r WHERE r.valid_to IS NULL AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  WITH r, vector.similarity.cosine(r.embedding, $vector) AS score
  ORDER BY score DESC, r.id
  LIMIT $k
  RETURN collect({relation: r {.id, .type, .fact, .source, .target, .actor_id, .memory_ids, .user_id, .agent_id, .run_id,
    .valid_from, .valid_to, .created_at, .invalidated_by, .confidence,
    source_id: startNode(r).id, target_id: endNode(r).id}, score: score}) AS rows
}
RETURN size(hits) AS fetched, rows
