"""An asyncio order-status agent (the pytest-clearstone async_agent example)."""
