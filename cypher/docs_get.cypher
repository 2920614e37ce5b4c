// docs_get: documents of one kind, all of them or those with the given keys
// params: $kind, $keys
MATCH (d:GraphMemDoc) WHERE d.kind = $kind AND ($keys IS NULL OR d.key IN $keys)
WITH d ORDER BY d.key
RETURN collect({key: d.key, value: d.value}) AS rows
