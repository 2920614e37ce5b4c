// meta_set: record the embedding dimension the indexes were built for
// params: $dim, $version
MERGE (g:GraphMemMeta {key: 'schema'})
SET g.dim = $dim, g.version = $version
