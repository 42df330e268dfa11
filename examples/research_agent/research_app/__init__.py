"""The research agent of the Time-Travel Debugging guide (pytest-clearstone research_agent)."""
