// meta_get: the stored embedding dimension, and whether any vector is stored
// params: none
OPTIONAL MATCH (g:GraphMemMeta {key: 'schema'})
RETURN g.dim AS dim,
  EXISTS { MATCH (m:Memory) WHERE m.embedding IS NOT NULL }
  OR EXISTS { MATCH (e:Entity) WHERE e.embedding IS NOT NULL }
  OR EXISTS { MATCH ()-[r:RELATES_TO]->() WHERE r.embedding IS NOT NULL } AS has_vectors
