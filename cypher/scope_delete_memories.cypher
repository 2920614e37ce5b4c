// scope_delete_memories: delete the memories in scope, recording a DELETE history event for each
// params: $user_id, $agent_id, $run_id, $anchor_user_id, $anchor_agent_id, $anchor_run_id, $anchor_all, $now
CALL () {
  // One branch seeks the scope through an index; the others get a null anchor and seek nothing.
  MATCH (m:Memory) WHERE m.run_id = $anchor_run_id RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.user_id = $anchor_user_id RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.agent_id = $anchor_agent_id RETURN m
  UNION ALL
  MATCH (m:Memory) WHERE m.id >= $anchor_all RETURN m  // '' for an empty scope: every memory
}
WITH m WHERE ($user_id IS NULL OR m.user_id = $user_id)
  AND ($agent_id IS NULL OR m.agent_id = $agent_id)
  AND ($run_id IS NULL OR m.run_id = $run_id)
// actor and role stay unset: a delete_all is the caller's act, not the memory's author's
CREATE (h:HistoryEvent {id: randomUUID(), memory_id: m.id, event: 'DELETE', old_memory: m.memory,
                         created_at: $now})
WITH m, m.id AS id
DETACH DELETE m
RETURN id
