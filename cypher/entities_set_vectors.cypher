// entities_set_vectors: store the name embeddings of existing entities; ids stored
// params: $rows
UNWIND $rows AS row
MATCH (e:Entity {id: row.id})
CALL db.create.setNodeVectorProperty(e, 'embedding', row.embedding)
RETURN collect(e.id) AS rows
