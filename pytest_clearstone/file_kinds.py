"""What a path that is no regular file is, as messages name it (``"FIFO"``): a golden or a trace
store at such a path is refused before it is opened, since reading a device never ends and
opening a FIFO waits for a writer."""

from __future__ import annotations

import stat

__all__ = ["file_kind"]


def file_kind(mode: int) -> str:
    """The kind of file of ``st_mode`` ``mode`` that is neither a regular file nor a directory:
    ``"character device"``, ``"block device"``, ``"FIFO"``, ``"socket"``."""
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"
