// relations_update: replace the mutable fields (fact, provenance, validity, confidence, embedding) of relations
// params: $rows
UNWIND $rows AS row
MATCH ()-[r:RELATES_TO {id: row.id}]->()
SET r.fact = row.fact, r.memory_ids = row.memory_ids, r.actor_id = row.actor_id, r.valid_to = row.valid_to,
    r.invalidated_by = row.invalidated_by, r.confidence = row.confidence
WITH r, row WHERE row.embedding IS NOT NULL
CALL db.create.setRelationshipVectorProperty(r, 'embedding', row.embedding)
