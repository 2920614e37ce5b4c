// relations_vector_exact: exact cosine top-k over the current relations in scope
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $exact, $vector, $k
CALL () {
  // One branch seeks the scope through an index; the others get a null anchor and seek nothing.
  MATCH ()-[r:RELATES_TO]->() WHERE r.run_id = $anchor_run_id RETURN r
  UNION ALL
  MATCH ()-[r:RELATES_TO]->() WHERE r.user_id = $anchor_user_id RETURN r
  UNION ALL
  MATCH ()-[r:RELATES_TO]->() WHERE r.agent_id = $anchor_agent_id RETURN r
  UNION ALL
  MATCH ()-[r:RELATES_TO]->() WHERE r.id >= $anchor_all RETURN r  // '' for an empty scope: every relation
}
WITH r WHERE r.valid_to IS NULL AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
// The embedding, the costly property, is read only for the records that pass; none: no score.
WITH r, vector.similarity.cosine(r.embedding, $vector) AS score WHERE score IS NOT NULL
ORDER BY score DESC, r.id
LIMIT $k
RETURN collect({relation: r {.id, .type, .fact, .source, .target, .actor_id, .memory_ids, .user_id, .agent_id, .run_id,
    .valid_from, .valid_to, .created_at, .invalidated_by, .confidence,
    source_id: startNode(r).id, target_id: endNode(r).id}, score: score}) AS rows
