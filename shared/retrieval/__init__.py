"""Code retrieval: symbol chunks ranked by fused BM25F, symbol graph and embeddings."""
