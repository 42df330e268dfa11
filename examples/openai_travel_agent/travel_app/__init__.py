"""A travel agent on the OpenAI SDK (the pytest-clearstone openai_travel_agent example)."""
