// scope_delete_graph: delete the entities and relations in scope
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $exact
CALL () {
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
  WITH r WHERE (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  DELETE r
}
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
DETACH DELETE e
