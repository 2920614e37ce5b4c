// entities_upsert: insert new entities; existing ones only get their aliases replaced
// params: $rows
UNWIND $rows AS row
OPTIONAL MATCH (old:Entity {id: row.props.id})
FOREACH (_ IN CASE WHEN old IS NULL THEN [] ELSE [1] END | SET old.aliases = row.props.aliases)
WITH row WHERE old IS NULL
CREATE (e:Entity)
SET e = row.props
WITH e, row WHERE row.embedding IS NOT NULL
CALL db.create.setNodeVectorProperty(e, 'embedding', row.embedding)
