// memories_get: memories by id (order restored by the caller)
// params: $ids
UNWIND $ids AS id
MATCH (m:Memory {id: id})
RETURN collect({memory: m {.id, .memory, .hash, .user_id, .agent_id, .run_id, .actor_id, .role, .metadata, .memory_type, .created_at, .updated_at}}) AS rows
