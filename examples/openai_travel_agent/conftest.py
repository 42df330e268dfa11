"""Makes ``travel_app`` importable however pytest is started (here, or from the repo root)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
