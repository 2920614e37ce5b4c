// relations_delete: delete relations by id
// params: $ids
UNWIND $ids AS id
MATCH ()-[r:RELATES_TO {id: id}]->()
DELETE r
