// entities_missing_vectors: entities stored without a name embedding, oldest first
// params: $limit
MATCH (e:Entity) WHERE e.embedding IS NULL
WITH e ORDER BY e.created_at, e.id LIMIT $limit
RETURN collect({id: e.id, text: e.name}) AS rows
