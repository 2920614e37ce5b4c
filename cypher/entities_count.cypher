// entities_count: how many entities are in scope (counting stops at $cap), and how many exist in all
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $exact, $cap
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
WITH e LIMIT $cap
WITH count(e) AS n
CALL () { MATCH (every:Entity) RETURN count(every) AS total }  // from the count store
RETURN n, total
