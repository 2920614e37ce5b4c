// mentions_get: the entities each memory mentions
// params: $ids
UNWIND $ids AS id
MATCH (:Memory {id: id})-[:MENTIONS]->(e:Entity)
WITH id, collect(e.id) AS entity_ids
RETURN collect({id: id, entity_ids: entity_ids}) AS rows
