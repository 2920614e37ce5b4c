// reset: delete every graphmem node and relationship in batches; the schema and meta node stay
// params: none
MATCH (n) WHERE n:Memory OR n:Entity OR n:HistoryEvent OR n:GraphMemDoc
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 2000 ROWS
