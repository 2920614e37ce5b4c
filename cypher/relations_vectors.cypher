// relations_vectors: the stored fact embeddings of relations by id (unknown and vector-less ids left out)
// params: $ids
UNWIND $ids AS id
MATCH ()-[r:RELATES_TO {id: id}]->() WHERE r.embedding IS NOT NULL
RETURN collect({id: id, embedding: r.embedding}) AS rows
