"""``from llama_index.llms.anyfast import Anyfast``: LlamaIndex's usual import path."""

from llama_index_anyfast import Anyfast, AnyfastWarning, anyfast_tokenizer

__all__ = ["Anyfast", "AnyfastWarning", "anyfast_tokenizer"]
