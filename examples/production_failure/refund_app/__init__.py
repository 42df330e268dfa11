"""A refund agent with production tracing and conditional checkpointing
(the pytest-clearstone production_failure example)."""
