// memories_add: insert memories (properties, flattened metadata, embedding as float32)
// params: $rows
UNWIND $rows AS row
CREATE (m:Memory)
SET m = row.props
WITH m, row WHERE row.embedding IS NOT NULL
CALL db.create.setNodeVectorProperty(m, 'embedding', row.embedding)
