-- Embeddings of a repository's code chunks (shared.retrieval), one row per chunk.
--
-- A file's rows are replaced together whenever the file is re-indexed (push webhook or checkout
-- build); chunk_key is "path:start-end". Vectors are unit length (64 dimensions, the shipped
-- static model), so cosine distance ranks them. Search is an exact scan of one repository's rows.
-- pgvector lives in the database's "extensions" schema, installed in template1 by the superuser
-- step (roles.ensure_vector_extension), as a tenant's search_path holds only its own schema.
-- A server without pgvector (Debian's PostgreSQL, say) gets no table: retrieval then ranks
-- without stored embeddings.
DO $migration$
BEGIN
    IF to_regtype('extensions.vector') IS NOT NULL THEN
        CREATE TABLE code_vectors (
            repo        text NOT NULL,
            path        text NOT NULL,
            chunk_key   text NOT NULL,
            embedding   extensions.vector(64) NOT NULL,
            indexed_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (repo, chunk_key)
        );
        CREATE INDEX code_vectors_file ON code_vectors (repo, path);
    END IF;
END
$migration$;
