// schema_drop_index: drop one index by name (used to rebuild empty vector indexes for a new dimension)
// params: $name
DROP INDEX $name IF EXISTS
