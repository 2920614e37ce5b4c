// memories_set_vectors: store the embeddings of existing memories (background indexing); ids stored
// params: $rows
UNWIND $rows AS row
MATCH (m:Memory {id: row.id})
CALL db.create.setNodeVectorProperty(m, 'embedding', row.embedding)
RETURN collect(m.id) AS rows
