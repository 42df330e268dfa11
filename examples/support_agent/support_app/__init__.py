"""A tool-using customer-support agent (the pytest-clearstone support_agent example)."""
