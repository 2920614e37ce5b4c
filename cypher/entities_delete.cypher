// entities_delete: delete entities with their mentions and relations
// params: $ids
UNWIND $ids AS id
MATCH (e:Entity {id: id})
DETACH DELETE e
