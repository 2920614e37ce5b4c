// entities_vectors: the stored name embeddings of entities by id (unknown and vector-less ids left out)
// params: $ids
UNWIND $ids AS id
MATCH (e:Entity {id: id}) WHERE e.embedding IS NOT NULL
RETURN collect({id: id, embedding: e.embedding}) AS rows
