"""Where the plugin's trace store is, as its settings name it.

The plugin (``--clearstone-db``, ini ``clearstone_db``) and the command line's trace commands
(``traces`` and ``trace`` without a store given) read a setting the same way: ``~`` and
``$VARIABLES`` expanded, as pytest expands its ``cache_dir`` (no shell expands an ini's value),
a relative path taken under the rootdir (the default, :data:`DEFAULT_DB`, too).
"""

from __future__ import annotations

import os
from pathlib import Path

#: the trace store under the rootdir when no setting names one
DEFAULT_DB = ".clearstone/traces.db"
#: the ``.gitignore`` of the plugin's own directory (the default store's): everything in it is
#: the machine's, as pytest's ``.pytest_cache`` is
_IGNORE_ALL = "# Created by pytest-clearstone automatically.\n*\n"


def expanded(path: str) -> str:
    """``path`` with ``~`` and ``$VARIABLES`` expanded (``:memory:`` stays as it is)."""
    return os.path.expandvars(os.path.expanduser(path))


def make_own_directory(db_path: Path, rootdir: Path) -> None:
    """Make the directory of the trace store ``db_path`` when it is the plugin's own (the
    default store's, ``.clearstone`` under ``rootdir``) and does not exist yet, with a
    ``.gitignore`` ignoring everything in it (so ``git add -A`` does not commit the store), as
    pytest makes ``.pytest_cache``. A directory that exists is left as it is: a ``.gitignore``
    of the user's own is never overwritten. What cannot be made is left to the store to report
    when it opens."""
    directory = db_path.parent
    if directory != rootdir / Path(DEFAULT_DB).parent or directory.exists():
        return
    try:
        directory.mkdir(parents=True)  # (another process made it first: it writes the file)
        with open(directory / ".gitignore", "x", encoding="utf-8") as file:
            file.write(_IGNORE_ALL)
    except OSError:
        return
