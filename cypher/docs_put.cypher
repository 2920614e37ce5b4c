// docs_put: upsert small JSON documents (project roles, API keys, webhooks) by kind and key
// params: $rows
UNWIND $rows AS row
MERGE (d:GraphMemDoc {uid: row.uid})
SET d.kind = row.kind, d.key = row.key, d.value = row.value
