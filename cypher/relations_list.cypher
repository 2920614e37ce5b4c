// relations_list: relations in scope by entity, source, type, provenance and validity, newest first
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $exact, $entity_ids, $source_ids, $types, $memory_ids, $as_of, $include_invalid, $limit
CALL () {
  // Seek from the named entities when there are any (the scope anchors are then null) ...
  UNWIND coalesce($entity_ids, $source_ids, []) AS entity_id
  MATCH (:Entity {id: entity_id})-[r:RELATES_TO]-()
  RETURN r
  UNION
  // ... else from the scope.
  MATCH ()-[r:RELATES_TO]->() WHERE r.run_id = $anchor_run_id RETURN r
  UNION
  MATCH ()-[r:RELATES_TO]->() WHERE r.user_id = $anchor_user_id RETURN r
  UNION
  MATCH ()-[r:RELATES_TO]->() WHERE r.agent_id = $anchor_agent_id RETURN r
  UNION
  MATCH ()-[r:RELATES_TO]->() WHERE r.id >= $anchor_all RETURN r
}
WITH r WHERE (CASE WHEN $user_id IS NULL THEN NOT $exact OR r.user_id IS NULL ELSE r.user_id = $user_id END)
  AND (CASE WHEN $agent_id IS NULL THEN NOT $exact OR r.agent_id IS NULL ELSE r.agent_id = $agent_id END)
  AND (CASE WHEN $run_id IS NULL THEN NOT $exact OR r.run_id IS NULL ELSE r.run_id = $run_id END)
  AND ($entity_ids IS NULL OR startNode(r).id IN $entity_ids OR endNode(r).id IN $entity_ids)
  AND ($source_ids IS NULL OR startNode(r).id IN $source_ids)
  AND ($types IS NULL OR r.type IN $types)
  AND ($memory_ids IS NULL OR any(x IN r.memory_ids WHERE x IN $memory_ids))
  AND CASE
    WHEN $as_of IS NOT NULL THEN r.valid_from <= $as_of AND (r.valid_to IS NULL OR $as_of < r.valid_to)
    WHEN $include_invalid THEN true
    ELSE r.valid_to IS NULL
  END
WITH r ORDER BY r.valid_from DESC, r.created_at DESC, r.id
LIMIT $limit
RETURN collect({relation: r {.id, .type, .fact, .source, .target, .actor_id, .memory_ids, .user_id, .agent_id, .run_id,
    .valid_from, .valid_to, .created_at, .invalidated_by, .confidence,
    source_id: startNode(r).id, target_id: endNode(r).id}}) AS rows
