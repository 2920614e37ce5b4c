// memories_update: replace text, hash, embedding, metadata and updated_at of memories
// params: $rows
UNWIND $rows AS row
MATCH (m:Memory {id: row.props.id})
// Flattened metadata of the old version must not survive into filters of the new one.
FOREACH (k IN [k IN keys(m) WHERE k STARTS WITH 'meta_' OR k STARTS WITH 'metax_'] | REMOVE m[k])
SET m += row.props
WITH m, row WHERE row.embedding IS NOT NULL
CALL db.create.setNodeVectorProperty(m, 'embedding', row.embedding)
