// schema: constraints, range and full-text indexes (a script: one statement per `;`)
// params: none
CREATE CONSTRAINT graphmem_memory_id IF NOT EXISTS FOR (m:Memory) REQUIRE m.id IS UNIQUE;
CREATE CONSTRAINT graphmem_entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT graphmem_history_id IF NOT EXISTS FOR (h:HistoryEvent) REQUIRE h.id IS UNIQUE;
CREATE CONSTRAINT graphmem_meta_key IF NOT EXISTS FOR (g:GraphMemMeta) REQUIRE g.key IS UNIQUE;
CREATE CONSTRAINT graphmem_doc_uid IF NOT EXISTS FOR (d:GraphMemDoc) REQUIRE d.uid IS UNIQUE;
CREATE INDEX graphmem_doc_kind IF NOT EXISTS FOR (d:GraphMemDoc) ON (d.kind);
CREATE CONSTRAINT graphmem_relation_id IF NOT EXISTS FOR ()-[r:RELATES_TO]-() REQUIRE r.id IS UNIQUE;
CREATE INDEX graphmem_memory_user IF NOT EXISTS FOR (m:Memory) ON (m.user_id);
CREATE INDEX graphmem_memory_agent IF NOT EXISTS FOR (m:Memory) ON (m.agent_id);
CREATE INDEX graphmem_memory_run IF NOT EXISTS FOR (m:Memory) ON (m.run_id);
CREATE INDEX graphmem_memory_created IF NOT EXISTS FOR (m:Memory) ON (m.created_at);
CREATE INDEX graphmem_memory_actor IF NOT EXISTS FOR (m:Memory) ON (m.actor_id);
CREATE INDEX graphmem_entity_user IF NOT EXISTS FOR (e:Entity) ON (e.user_id);
CREATE INDEX graphmem_entity_agent IF NOT EXISTS FOR (e:Entity) ON (e.agent_id);
CREATE INDEX graphmem_entity_run IF NOT EXISTS FOR (e:Entity) ON (e.run_id);
CREATE INDEX graphmem_entity_key IF NOT EXISTS FOR (e:Entity) ON (e.key);
CREATE INDEX graphmem_relation_user IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.user_id);
CREATE INDEX graphmem_relation_agent IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.agent_id);
CREATE INDEX graphmem_relation_run IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON (r.run_id);
CREATE INDEX graphmem_history_memory IF NOT EXISTS FOR (h:HistoryEvent) ON (h.memory_id);
CREATE FULLTEXT INDEX graphmem_memory_text IF NOT EXISTS FOR (m:Memory) ON EACH [m.memory, m.actor_id]
  OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words', `fulltext.eventually_consistent`: true}};
CREATE FULLTEXT INDEX graphmem_entity_name IF NOT EXISTS FOR (e:Entity) ON EACH [e.name, e.aliases]
  OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words', `fulltext.eventually_consistent`: true}};
CREATE FULLTEXT INDEX graphmem_relation_fact IF NOT EXISTS FOR ()-[r:RELATES_TO]-() ON EACH [r.fact]
  OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words', `fulltext.eventually_consistent`: true}};
