// entities_find: entities in scope whose key or an alias is one of $keys
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $exact, $keys
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
WITH e WHERE (e.key IN $keys OR any(alias IN coalesce(e.aliases, []) WHERE alias IN $keys))
  AND (CASE WHEN $user_id IS NULL THEN NOT $exact OR e.user_id IS NULL ELSE e.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR e.agent_id IS NULL ELSE e.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR e.run_id IS NULL ELSE e.run_id = $run_id END)
WITH e ORDER BY e.created_at, e.id
RETURN collect({entity: e {.id, .name, .key, .type, .user_id, .agent_id, .run_id, .created_at, .aliases}}) AS rows
