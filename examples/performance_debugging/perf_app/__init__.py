"""A report-writing agent with a slow step (the pytest-clearstone performance_debugging example)."""
