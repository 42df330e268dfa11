"""Which frames run the plugin's own code: what the debugger leaves out of the stack it walks
and of the steps it takes, and what a failure's traceback is cut after.

The plugin's code is a module of this package, or code of its files that runs in another
module's globals (the shim :mod:`.golden.ids` puts in place of ``uuid.uuid4``'s code, whose frame
names the ``uuid`` module).
"""

from __future__ import annotations

import os
from types import FrameType

#: the directory of this package's files (with a separator at the end)
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


def is_plugins(frame: FrameType) -> bool:
    """Whether ``frame`` runs the plugin's code."""
    module = str(frame.f_globals.get("__name__", ""))
    if module == "pytest_clearstone" or module.startswith("pytest_clearstone."):
        return True
    return frame.f_code.co_filename.startswith(PACKAGE_DIR)
