// memories_missing_vectors: memories stored without an embedding, oldest first (background indexing)
// params: $limit
MATCH (m:Memory) WHERE m.embedding IS NULL
WITH m ORDER BY m.created_at, m.id LIMIT $limit
RETURN collect({id: m.id, memory: m.memory, actor_id: m.actor_id}) AS rows
