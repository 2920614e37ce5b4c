// entities_vector_exact_many: for each of $vectors, exact cosine top-k over the entities in scope
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $exact, $vectors, $k
CALL () {
  // One branch seeks the scope through an index; the others get a null anchor and seek nothing.
  MATCH (e:Entity) WHERE e.run_id = $anchor_run_id RETURN e
  UNION ALL
  MATCH (e:Entity) WHERE e.user_id = $anchor_user_id RETURN e
  UNION ALL
  MATCH (e:Entity) WHERE e.agent_id = $anchor_agent_id RETURN e
  UNION ALL
  MATCH (e:Entity) WHERE e.id >= $anchor_all RETURN e  // '' for an empty scope: every entity
}
WITH e WHERE (CASE WHEN $user_id IS NULL THEN NOT $exact OR e.user_id IS NULL ELSE e.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR e.agent_id IS NULL ELSE e.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR e.run_id IS NULL ELSE e.run_id = $run_id END)
// Each embedding, the costly property, is read once whatever the number of vectors; none: no score.
WITH e, e.embedding AS embedding WHERE embedding IS NOT NULL
WITH collect({e: e, embedding: embedding}) AS candidates
UNWIND range(0, size($vectors) - 1) AS i
CALL (candidates, i) {
  UNWIND candidates AS c
  WITH c.e AS e, vector.similarity.cosine(c.embedding, $vectors[i]) AS score
  ORDER BY score DESC, e.id
  LIMIT $k
  RETURN collect({entity: e {.id, .name, .key, .type, .user_id, .agent_id, .run_id, .created_at, .aliases}, score: score}) AS rows
}
RETURN collect({i: i, rows: rows}) AS results
