"""LLM provider adapters (Ollama, OpenAI/Azure OpenAI, Anthropic, scripted) and their stores."""
