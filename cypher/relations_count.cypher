// relations_count: how many current relations are in scope (counting stops at $cap), and how many exist in all
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $exact, $cap
CALL () {
  // One branch seeks the scope through an index; the others get a null anchor and seek nothing.
  // Each branch checks only the keys its seek does not: no property read for the anchor's key.
  MATCH ()-[r:RELATES_TO]->() WHERE r.run_id = $anchor_run_id
    AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  RETURN r
  UNION ALL
  MATCH ()-[r:RELATES_TO]->() WHERE r.user_id = $anchor_user_id
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  RETURN r
  UNION ALL
  MATCH ()-[r:RELATES_TO]->() WHERE r.agent_id = $anchor_agent_id
    AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  RETURN r
  UNION ALL
  MATCH ()-[r:RELATES_TO]->() WHERE r.id >= $anchor_all  // '' for an empty scope: every relation
    AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
    AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
    AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  RETURN r
}
WITH r WHERE r.valid_to IS NULL
WITH r LIMIT $cap
WITH count(r) AS n
CALL () { MATCH ()-[every:RELATES_TO]->() RETURN count(every) AS total }  // from the count store
RETURN n, total
