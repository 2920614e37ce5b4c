// history_add: append history events, linked to their memory while it exists
// params: $rows
UNWIND $rows AS row
CREATE (h:HistoryEvent)
SET h = row
WITH h
CALL (h) {
  MATCH (m:Memory {id: h.memory_id})
  MERGE (h)-[:OF]->(m)
}
