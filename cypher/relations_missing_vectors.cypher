// relations_missing_vectors: relations stored without a fact embedding, oldest first (background indexing)
// params: $limit
MATCH ()-[r:RELATES_TO]->() WHERE r.embedding IS NULL
WITH r ORDER BY r.created_at, r.id LIMIT $limit
RETURN collect({id: r.id, text: r.fact}) AS rows
