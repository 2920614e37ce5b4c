// schema_indexes: graphmem's indexes (constraints included) with the dimension of vector ones
// params: none
SHOW INDEXES YIELD name, type, options
WHERE name STARTS WITH 'graphmem_'
RETURN name, type, options.indexConfig.`vector.dimensions` AS dim
