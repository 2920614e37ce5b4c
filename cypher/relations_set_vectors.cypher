// relations_set_vectors: store the fact embeddings of existing relations (background indexing); ids stored
// params: $rows
UNWIND $rows AS row
MATCH ()-[r:RELATES_TO {id: row.id}]->()
CALL db.create.setRelationshipVectorProperty(r, 'embedding', row.embedding)
RETURN collect(r.id) AS rows
