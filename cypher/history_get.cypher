// history_get: every history event of one memory, oldest first
// params: $memory_id
MATCH (h:HistoryEvent {memory_id: $memory_id})
WITH h ORDER BY h.created_at, h.seq, h.id
RETURN collect({event: h {.id, .memory_id, .event, .old_memory, .new_memory, .actor_id, .role, .created_at}}) AS rows
