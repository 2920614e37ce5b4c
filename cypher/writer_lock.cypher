// writer_lock: take the store-wide writer lock: an exclusive lock on one node, held until the transaction ends
// params: $now
MERGE (g:GraphMemMeta {key: 'writer'})
SET g.locked_at = $now
