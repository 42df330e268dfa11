"""A hostile pickle for the trust tests: unpickling it creates a marker directory, so a test can
tell whether anything was unpickled."""

from __future__ import annotations

import base64
import os
import pickle
from pathlib import Path
from typing import Any


class Mkdir:
    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (self.path,))


def pickle_payload(marker: Path) -> dict[str, str]:
    """A ``pickle`` tag whose unpickling creates the directory ``marker``."""
    data = base64.b64encode(pickle.dumps(Mkdir(marker))).decode()
    return {"__cs__": "pickle", "type": "evil.Payload", "v": data}
