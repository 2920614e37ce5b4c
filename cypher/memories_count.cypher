// memories_count: how many memories are in scope (counting stops at $cap), and how many exist in all
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $cap
CALL () {
  // One branch seeks the scope through an index; the others get a null anchor and seek nothing.
  // Each branch checks only the keys its seek does not: no property read for the anchor's key.
  MATCH (m:Memory) WHERE m.run_id = $anchor_run_id
    AND ($user_id IS NULL OR m.user_id = $user_id) AND ($agent_id IS NULL OR m.agent_id = $agent_id)
  RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.user_id = $anchor_user_id
    AND ($agent_id IS NULL OR m.agent_id = $agent_id) AND ($run_id IS NULL OR m.run_id = $run_id)
  RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.agent_id = $anchor_agent_id
    AND ($user_id IS NULL OR m.user_id = $user_id) AND ($run_id IS NULL OR m.run_id = $run_id)
  RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.id >= $anchor_all RETURN m  // '' for an empty scope: every memory
}
WITH m LIMIT $cap
WITH count(m) AS n
CALL () { MATCH (every:Memory) RETURN count(every) AS total }  // from the count store
RETURN n, total
