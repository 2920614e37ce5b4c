// entities_vector_index_many: for each of $vectors, vector-index entity candidates (over-fetched), then scope, rescored exactly, top $k
// params: $user_id, $agent_id, $run_id, $exact, $vectors, $fetch, $k
UNWIND range(0, size($vectors) - 1) AS i
CALL (i) {
  CALL db.index.vector.queryNodes('graphmem_entity_embedding', $fetch, $vectors[i]) YIELD node
  // The index ranks by quantized vectors: its scores are approximate, so survivors are rescored exactly.
  WITH collect(node) AS hits
  CALL (hits, i) {
    UNWIND hits AS e
    WITH e WHERE (CASE WHEN $user_id IS NULL THEN NOT $exact OR e.user_id IS NULL ELSE e.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR e.agent_id IS NULL ELSE e.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR e.run_id IS NULL ELSE e.run_id = $run_id END)
    WITH e, vector.similarity.cosine(e.embedding, $vectors[i]) AS score
    ORDER BY score DESC, e.id
    LIMIT $k
    RETURN collect({entity: e {.id, .name, .key, .type, .user_id, .agent_id, .run_id, .created_at, .aliases}, score: score}) AS rows
  }
  RETURN size(hits) AS fetched, rows
}
RETURN collect({i: i, fetched: fetched, rows: rows}) AS results
