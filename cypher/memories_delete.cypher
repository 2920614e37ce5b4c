// memories_delete: delete memories with their mentions; history events stay
// params: $ids
UNWIND $ids AS id
MATCH (m:Memory {id: id})
DETACH DELETE m
