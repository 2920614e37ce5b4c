// schema_await: wait until every index is online
// params: $timeout
CALL db.awaitIndexes($timeout)
