// mentions_add: link memories to the entities they mention (idempotent); returns how many pairs matched
// params: $rows
UNWIND $rows AS row
MATCH (m:Memory {id: row.memory_id})
MATCH (e:Entity {id: row.entity_id})
MERGE (m)-[:MENTIONS]->(e)
RETURN count(*) AS matched
