// docs_delete: delete documents by kind and key
// params: $uids
UNWIND $uids AS uid
MATCH (d:GraphMemDoc {uid: uid})
DELETE d
