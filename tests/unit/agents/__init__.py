"""Small agent and tool modules imported by the unit tests (by top-level name, see AGENTS_DIR)."""

from __future__ import annotations

from pathlib import Path

AGENTS_DIR = Path(__file__).resolve().parent
