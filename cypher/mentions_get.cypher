// mentions_get: the entities each memory mentions
// params: $ids
UNWIND $ids AS id
MATCH (:Memory {id: id})-[:MENTIONS]->(e:Entity)
RETURN id, collect(e.id) AS entity_ids
