// memories_vectors: the stored embeddings of memories by id (unknown and vector-less ids left out)
// params: $ids
UNWIND $ids AS id
MATCH (m:Memory {id: id}) WHERE m.embedding IS NOT NULL
RETURN collect({id: id, embedding: m.embedding}) AS rows
