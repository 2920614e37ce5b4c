// relations_add: create RELATES_TO facts between existing entities; returns how many were created
// params: $rows
UNWIND $rows AS row
MATCH (s:Entity {id: row.source_id})
MATCH (t:Entity {id: row.target_id})
CREATE (s)-[r:RELATES_TO]->(t)
SET r = row.props
WITH r, row
CALL (r, row) {
  WITH r, row WHERE row.embedding IS NOT NULL
  CALL db.create.setRelationshipVectorProperty(r, 'embedding', row.embedding)
}
RETURN count(r) AS created
