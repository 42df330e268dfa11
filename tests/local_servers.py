"""Local servers the tests start: one served in a thread while a fixture's test runs."""

from __future__ import annotations

import contextlib
import socketserver
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """Serve ``server`` (an ``http.server.HTTPServer``...) in a daemon thread while the block
    runs; then shut it down, close its socket and wait for the thread."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
