"""Re-create goldens/incident_ORD-1042.ckpt: run the production entry point as it was before
the fix, when a refused refund escaped ``RefundAgent`` as an exception.

    python reproduce_incident.py     # prints the traceback and "Error checkpoint saved: ..."
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.observability import TracerProvider

from refund_app.agent import RefundAgent
from refund_app.clients import PaymentError
from refund_app.service import handle_refund_request

HERE = Path(__file__).parent
MESSAGE = "I was charged twice for order ORD-1042, please refund the duplicate."


def _before_the_fix(self: RefundAgent, order_id: str, cents: int, exc: PaymentError) -> str:
    raise exc


def main(db_path: str = str(HERE / "refund_traces.db"),
         checkpoint_dir: str = str(HERE / "goldens")) -> None:  # fmt: skip
    provider = TracerProvider(db_path=db_path)
    manager = CheckpointManager(checkpoint_dir)
    with mock.patch.object(RefundAgent, "_on_payment_error", _before_the_fix):
        handle_refund_request("ORD-1042", MESSAGE, provider=provider, manager=manager)


if __name__ == "__main__":
    main(*sys.argv[1:])
