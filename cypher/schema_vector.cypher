// schema_vector: the three cosine vector indexes for embeddings of $dim floats (a script)
// params: $dim
CREATE VECTOR INDEX graphmem_memory_embedding IF NOT EXISTS FOR (m:Memory) ON (m.embedding)
  OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine', `vector.quantization.enabled`: true}};
CREATE VECTOR INDEX graphmem_entity_embedding IF NOT EXISTS FOR (e:Entity) ON (e.embedding)
  OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine', `vector.quantization.enabled`: true}};
CREATE VECTOR INDEX graphmem_relation_embedding IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.embedding)
  OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine', `vector.quantization.enabled`: true}};
