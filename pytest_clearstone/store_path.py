"""Where the plugin's trace store is, as its settings name it.

The plugin (``--clearstone-db``, ini ``clearstone_db``) and the command line's trace commands
(``traces`` and ``trace`` without a store given) read a setting the same way: ``~`` and
``$VARIABLES`` expanded, as pytest expands its ``cache_dir`` (no shell expands an ini's value),
a relative path taken under the rootdir (the default, :data:`DEFAULT_DB`, too).
"""

from __future__ import annotations

import os

#: the trace store under the rootdir when no setting names one
DEFAULT_DB = ".clearstone/traces.db"


def expanded(path: str) -> str:
    """``path`` with ``~`` and ``$VARIABLES`` expanded (``:memory:`` stays as it is)."""
    return os.path.expandvars(os.path.expanduser(path))
