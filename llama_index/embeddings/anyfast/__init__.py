"""``from llama_index.embeddings.anyfast import AnyfastEmbedding``: LlamaIndex's usual path."""

from llama_index_anyfast import AnyfastEmbedding

__all__ = ["AnyfastEmbedding"]
