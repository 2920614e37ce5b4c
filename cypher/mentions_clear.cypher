// mentions_clear: remove every mention of these memories
// params: $ids
UNWIND $ids AS id
MATCH (:Memory {id: id})-[x:MENTIONS]->()
DELETE x
