-- pgvector for code retrieval (issue: hybrid retrieval with pgvector).
--
-- The extension lives in its own schema, which every role may use but none may create in:
-- tenant schemas reach the type and operators as extensions.vector / OPERATOR(extensions.<=>),
-- since a tenant's search_path holds only its own schema. On Azure Database for PostgreSQL the
-- server parameter azure.extensions must allow VECTOR.
CREATE SCHEMA IF NOT EXISTS extensions;
REVOKE CREATE ON SCHEMA extensions FROM PUBLIC;
GRANT USAGE ON SCHEMA extensions TO PUBLIC;
CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;
